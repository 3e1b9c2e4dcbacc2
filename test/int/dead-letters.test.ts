import t from 'tap';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { Channel } from 'amqplib';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import { deadLetterHeaders } from '../../src/app/dead-letter-headers.js';
import { runCli } from '../../src/cli/main.js';
import type { TimelineEntry } from '../../src/ledger/index.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { runCliCaptured } from '../helpers/cli.js';
import { createVhost } from '../helpers/vhost.js';

const opsKey = 'ops-key-0123456789abcdef-replay';

t.test(
  'dead letters are listed by reason; a replay after the fix completes the order; one that fails again comes back counted',
  async (t) => {
    const { gateway, peer, env, amqp } = await startTestGateway(t, {
      vhost: 'ob-dead-letters',
      gateway: {
        partners: [
          {
            id: 'ops',
            name: 'Operators',
            apiKeySha256: createHash('sha256').update(opsKey).digest('hex'),
            role: 'operator',
          },
        ],
      },
    });
    const { exchanges, queues } = amqp;
    const toMes = await peer.collect(queues.mesCommands);
    const lines: string[] = [];
    const errors: string[] = [];
    const io = {
      out: (line: string) => lines.push(line),
      err: (line: string) => errors.push(line),
      env: { AMQP_URL: env.config.gateway.amqp.url, ORDERBRIDGE_LEDGER_PATH: env.ledgerPath },
      cwd: process.cwd(),
    };
    const cli = async (...args: string[]) => {
      lines.length = 0;
      return runCli(args, io);
    };
    const deadLetterCount = async () => (await peer.channel.checkQueue(queues.deadLetter)).messageCount;

    // An update for an order the gateway has not seen yet (the create is late), and a message that is not JSON.
    const update = {
      messageId: 'crm-D-1:update',
      type: 'order.update',
      sentAt: new Date().toISOString(),
      orderId: 'D-1',
      changes: { priority: 'rush' },
    };
    await peer.publish(exchanges.crmCommands, 'order.update', update);
    await peer.publish(exchanges.crmCommands, 'order.create', Buffer.from('{"not json'));
    await waitFor(async () => (await deadLetterCount()) === 2, 5000, 'two dead letters');

    t.equal(await cli('dead-letters'), 0, errors.join('\n'));
    const listing = lines.join('\n');
    t.match(
      listing,
      /refused: 1\n.*crm\.command order D-1 .*unknown order D-1/,
      'the refused update, with its order and why',
    );
    t.match(listing, /undecodable: 1/, 'the undecodable one');
    // Returned to a quorum queue through its log: the count catches up a moment after the listing.
    await waitFor(async () => (await deadLetterCount()) === 2, 5000, 'listing takes nothing out of the queue');
    t.equal(await cli('dead-letters', '--json', '--reason', 'refused'), 0);
    const refused = (JSON.parse(lines.join('\n')) as { groups: { letters: { id: string }[] }[] }).groups[0]!
      .letters[0]!;

    // The fix: the order's create arrives. Then the update is replayed through the gateway's API.
    await peer.publish(exchanges.crmCommands, 'order.create', {
      messageId: 'crm-D-1',
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId: 'D-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    });
    await waitFor(() => toMes.length === 1, 5000, 'the create forwarded');
    const replay = await fetch(
      `http://127.0.0.1:${gateway.http.port}/ops/dead-letters/${encodeURIComponent(refused.id)}/replay`,
      { method: 'POST', headers: { authorization: `Bearer ${opsKey}` } },
    );
    t.equal(replay.status, 200, 'POST /ops/dead-letters/{id}/replay');
    t.match(await replay.json(), { replayed: [{ id: refused.id, reason: 'refused', orderId: 'D-1' }], kept: 1 });
    await waitFor(() => toMes.length === 2, 5000, 'the replayed update forwarded to the MES');
    t.match(
      toMes[1]!.body,
      { header: { messageType: 'CHANGE_ORDER' }, body: { externalRef: 'D-1' } },
      'the update reached the MES this time',
    );
    // The MES may hold the update before the broker's confirm reaches the gateway, which marks it then.
    const forwarded = (entries: TimelineEntry[]) =>
      entries.some((e) => e.messageId === 'crm-D-1:update' && e.state === 'forwarded');
    await waitFor(
      async () => forwarded(await gateway.ledger.timeline('D-1')),
      5000,
      'the update marked forwarded',
    ).catch(() => undefined);
    const timeline = await gateway.ledger.timeline('D-1');
    t.ok(
      timeline.some((e) => e.kind === 'replayed'),
      "the replay is in the order's timeline",
    );
    t.ok(forwarded(timeline), 'the update is ledgered and forwarded');

    // The undecodable one is replayed without a fix: it fails again and comes back, counted.
    t.equal(await cli('replay', '--reason', 'undecodable'), 0, errors.join('\n'));
    t.match(lines.join('\n'), /1 replayed; 0 left/);
    await waitFor(async () => (await deadLetterCount()) === 1, 5000, 'back in the dead letters');
    t.equal(await cli('dead-letters'), 0);
    t.match(lines.join('\n'), /undecodable: 1\n.*replayed 1×/, 'with its replay count');
    t.equal(await cli('replay', '--id', 'no-such-id'), 1, 'an unknown id: exit 1');
    t.equal(
      (
        await fetch(`http://127.0.0.1:${gateway.http.port}/ops/dead-letters/nope/replay`, {
          method: 'POST',
          headers: { authorization: `Bearer ${opsKey}` },
        })
      ).status,
      404,
    );
  },
);

t.test(
  'a replay goes only to the gateway input its own records name; a letter of unknown origin stays, refused',
  async (t) => {
    const brokerDeadLetter = async (
      channel: Channel,
      deadLetterQueue: string,
      exchange: string,
      queue: string,
      messageId: string,
      body: unknown,
    ) => {
      channel.publish(exchange, 'order.create', Buffer.from(JSON.stringify(body)), { messageId, persistent: true });
      await waitFor(async () => (await channel.checkQueue(queue)).messageCount === 1, 5000, `the message in ${queue}`);
      const message = await channel.get(queue, { noAck: false });
      if (!message) throw new Error(`nothing in ${queue}`);
      const before = (await channel.checkQueue(deadLetterQueue)).messageCount;
      channel.nack(message, false, false);
      await waitFor(
        async () => (await channel.checkQueue(deadLetterQueue)).messageCount === before + 1,
        5000,
        `the broker dead-lettered ${messageId}`,
      );
    };
    const create = {
      messageId: 'crm-R-1',
      type: 'order.create',
      sentAt: new Date().toISOString(),
      orderId: 'R-1',
      partner: 'shop',
      customer: { id: 'C', name: 'C' },
      lines: [{ sku: 'S', quantity: 1 }],
    };
    const { gateway, peer, amqp } = await startTestGateway(t, {
      vhost: 'ob-replay-origin',
      gateway: {
        partners: [
          {
            id: 'ops',
            name: 'Operators',
            apiKeySha256: createHash('sha256').update(opsKey).digest('hex'),
            role: 'operator',
          },
        ],
      },
      // Before the gateway consumes: the broker itself dead-letters a CRM command (no origin
      // header), and one from the MES's own queue, which is no gateway input.
      beforeStart: async (url, amqp) => {
        const connection = await connect(url);
        const channel = await connection.createChannel();
        await declareTopology(channel, amqp);
        await brokerDeadLetter(
          channel,
          amqp.queues.deadLetter,
          amqp.exchanges.crmCommands,
          amqp.queues.crmCommands,
          'broker-dl-input',
          create,
        );
        await brokerDeadLetter(
          channel,
          amqp.queues.deadLetter,
          amqp.exchanges.mesCommands,
          amqp.queues.mesCommands,
          'broker-dl-mes',
          { any: 'thing' },
        );
        await connection.close();
      },
    });
    const { exchanges, queues } = amqp;
    const toMes = await peer.collect(queues.mesCommands);
    const deadLetterCount = async () => (await peer.channel.checkQueue(queues.deadLetter)).messageCount;
    const forged = {
      [deadLetterHeaders.originalExchange]: exchanges.mesCommands,
      [deadLetterHeaders.originalRoutingKey]: 'CREATE_ORDER',
      [deadLetterHeaders.reason]: 'fine',
      'x-death': [
        {
          queue: queues.crmCommands,
          reason: 'rejected',
          count: 1,
          exchange: exchanges.crmCommands,
          'routing-keys': ['x'],
        },
      ],
    };
    // A sender forges the gateway's origin headers (and an x-death) on a message the gateway will dead-letter…
    await peer.publish(
      exchanges.crmCommands,
      'order.create',
      { messageId: 'crm-F-1', type: 'order.create', orderId: 'F-1' },
      forged,
    );
    // …and, with publish rights on the dead-letter exchange, puts a letter there that nobody dead-lettered.
    peer.channel.publish(exchanges.deadLetter, 'crm.command', Buffer.from(JSON.stringify(create)), {
      messageId: 'planted-1',
      headers: { [deadLetterHeaders.reason]: 'invalid', [deadLetterHeaders.originalExchange]: exchanges.mesCommands },
    });
    await peer.channel.waitForConfirms();
    await waitFor(async () => (await deadLetterCount()) === 4, 5000, 'four dead letters');

    const ops = (path: string, method = 'GET') =>
      fetch(`http://127.0.0.1:${gateway.http.port}${path}`, { method, headers: { authorization: `Bearer ${opsKey}` } });
    const letters = (
      (await (await ops('/ops/dead-letters')).json()) as {
        groups: { letters: { id: string; reason: string; exchange: string; channel: string; error: string }[] }[];
      }
    ).groups.flatMap((g) => g.letters);
    const byId = (id: string) => letters.find((l) => l.id === id);
    t.match(
      byId('broker-dl-input'),
      { reason: 'broker:rejected', channel: 'crm.command', exchange: exchanges.crmCommands },
      "a broker dead letter is listed with the broker's reason and its input",
    );
    const invalid = letters.find((l) => l.reason === 'invalid' && l.id.startsWith('invalid:'))!;
    t.match(
      invalid,
      { exchange: exchanges.crmCommands, channel: 'crm.command' },
      'forged origin headers do not survive into the dead letter',
    );

    const replayInput = await ops('/ops/dead-letters/broker-dl-input/replay', 'POST');
    t.equal(replayInput.status, 200, 'the broker dead letter from a gateway input is replayed');
    await waitFor(() => toMes.length === 1, 5000, 'the replayed create forwarded to the MES');
    t.match(toMes[0]!.body, { body: { externalRef: 'R-1' } });

    for (const [id, why] of [
      ['broker-dl-mes', /not a gateway input/],
      ['planted-1', /origin cannot be established/],
    ] as const) {
      const refused = await ops(`/ops/dead-letters/${id}/replay`, 'POST');
      t.equal(refused.status, 409, `${id}: refused`);
      t.match(await refused.json(), { type: /replay-refused/, detail: why });
    }
    // Kept letters return to the quorum queue through its log: the count catches up a moment later.
    await waitFor(async () => (await deadLetterCount()) === 3, 5000, 'the refused letters stay in the dead letters');

    // With the input queue unbound, the copy would be routed nowhere: the letter must stay.
    await peer.channel.unbindQueue(queues.crmCommands, exchanges.crmCommands, '#');
    const unroutable = await ops(`/ops/dead-letters/${encodeURIComponent(invalid.id)}/replay`, 'POST');
    t.equal(unroutable.status, 409, 'an unroutable replay is refused');
    t.match(await unroutable.json(), { detail: /unroutable/ });
    await waitFor(async () => (await deadLetterCount()) === 3, 5000, 'and the letter stays in the dead letters');
    await peer.channel.bindQueue(queues.crmCommands, exchanges.crmCommands, '#');

    const replayForged = await ops(`/ops/dead-letters/${encodeURIComponent(invalid.id)}/replay`, 'POST');
    t.equal(replayForged.status, 200);
    await waitFor(async () => (await deadLetterCount()) === 3, 5000, 'the invalid message back in the dead letters');
    const back = (
      (await (await ops('/ops/dead-letters')).json()) as {
        groups: { letters: { id: string; replays: number; exchange: string }[] }[];
      }
    ).groups
      .flatMap((g) => g.letters)
      .find((l) => l.id === invalid.id);
    t.match(
      back,
      { replays: 1, exchange: exchanges.crmCommands },
      'it went back through the CRM input, not where its forged headers pointed',
    );
    // Back in the dead letters, the gateway is done with it: whatever it sent the MES is before a fence.
    await peer.fence(queues.mesCommands);
    t.equal(toMes.length, 1, 'nothing reached the MES past the ledger');

    // A refused letter whose replay found no queue keeps the gateway's record of it: the next replay
    // still finds where it came from.
    await peer.publish(exchanges.crmCommands, 'order.update', {
      messageId: 'crm-U-9:update',
      type: 'order.update',
      sentAt: new Date().toISOString(),
      orderId: 'U-9',
      changes: { priority: 'rush' },
    });
    await waitFor(async () => (await deadLetterCount()) === 4, 5000, 'the refused update dead-lettered');
    const listed = (
      (await (await ops('/ops/dead-letters')).json()) as {
        groups: { letters: { id: string; reason: string; replays: number }[] }[];
      }
    ).groups.flatMap((g) => g.letters);
    const refusedUpdate = listed.find((l) => l.reason === 'refused')!;
    await peer.channel.unbindQueue(queues.crmCommands, exchanges.crmCommands, '#');
    t.equal(
      (await ops(`/ops/dead-letters/${encodeURIComponent(refusedUpdate.id)}/replay`, 'POST')).status,
      409,
      'unroutable: refused',
    );
    await peer.channel.bindQueue(queues.crmCommands, exchanges.crmCommands, '#');
    t.equal(
      (await ops(`/ops/dead-letters/${encodeURIComponent(refusedUpdate.id)}/replay`, 'POST')).status,
      200,
      'replayed once a queue is bound again',
    );
    await waitFor(
      async () => {
        const letters = (
          (await (await ops('/ops/dead-letters')).json()) as {
            groups: { letters: { reason: string; replays: number }[] }[];
          }
        ).groups.flatMap((g) => g.letters);
        return letters.some((l) => l.reason === 'refused' && l.replays === 1);
      },
      5000,
      'the update refused again (its order still unknown), back with its replay count',
    );
  },
);

t.test('replay refuses a ledger path that holds no ledger, naming it, and creates nothing there', async (t) => {
  const vhost = await createVhost('ob-replay-no-ledger');
  t.teardown(() => vhost.remove());
  const missing = join(tmpdir(), `orderbridge-no-such-dir-${process.pid}`, 'ledger.db');
  const result = await runCliCaptured(['replay', '--reason', 'invalid'], {
    AMQP_URL: vhost.url,
    ORDERBRIDGE_LEDGER_PATH: missing,
  });
  t.equal(result.code, 2, result.stderr);
  t.match(result.stderr, missing, 'the path is named');
  t.notOk(existsSync(dirname(missing)), 'no ledger (nor its folder) was created');
});
