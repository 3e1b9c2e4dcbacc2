import t from 'tap';
import { createHash } from 'node:crypto';
import { runCli } from '../../src/cli/main.js';
import { waitFor } from '../helpers/amqp-peer.js';
import { startTestGateway } from '../helpers/test-gateway.js';

const opsKey = 'ops-key-0123456789abcdef-replay';

t.test('dead letters are listed by reason; a replay after the fix completes the order; one that fails again comes back counted', async (t) => {
  const { gateway, peer, env, amqp } = await startTestGateway(t, { vhost: 'ob-dead-letters', gateway: { partners: [{ id: 'ops', name: 'Operators', apiKeySha256: createHash('sha256').update(opsKey).digest('hex'), role: 'operator' }] } });
  const { exchanges, queues } = amqp;
  const toMes = await peer.collect(queues.mesCommands);
  const lines: string[] = [];
  const errors: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => errors.push(line), env: { AMQP_URL: env.config.gateway.amqp.url, ORDERBRIDGE_LEDGER_PATH: env.ledgerPath }, cwd: process.cwd() };
  const cli = async (...args: string[]) => {
    lines.length = 0;
    return runCli(args, io);
  };
  const deadLetterCount = async () => (await peer.channel.checkQueue(queues.deadLetter)).messageCount;

  // An update for an order the gateway has not seen yet (the create is late), and a message that is not JSON.
  const update = { messageId: 'crm-D-1:update', type: 'order.update', sentAt: new Date().toISOString(), orderId: 'D-1', changes: { priority: 'rush' } };
  await peer.publish(exchanges.crmCommands, 'order.update', update);
  await peer.publish(exchanges.crmCommands, 'order.create', Buffer.from('{"not json'));
  await waitFor(async () => (await deadLetterCount()) === 2, 5000, 'two dead letters');

  t.equal(await cli('dead-letters'), 0, errors.join('\n'));
  const listing = lines.join('\n');
  t.match(listing, /refused: 1\n.*crm\.command order D-1 .*unknown order D-1/, 'the refused update, with its order and why');
  t.match(listing, /undecodable: 1/, 'the undecodable one');
  t.equal(await deadLetterCount(), 2, 'listing takes nothing out of the queue');
  t.equal(await cli('dead-letters', '--json', '--reason', 'refused'), 0);
  const refused = (JSON.parse(lines.join('\n')) as { groups: { letters: { id: string }[] }[] }).groups[0]!.letters[0]!;

  // The fix: the order's create arrives. Then the update is replayed through the gateway's API.
  await peer.publish(exchanges.crmCommands, 'order.create', { messageId: 'crm-D-1', type: 'order.create', sentAt: new Date().toISOString(), orderId: 'D-1', partner: 'shop', customer: { id: 'C', name: 'C' }, lines: [{ sku: 'S', quantity: 1 }] });
  await waitFor(() => toMes.length === 1, 5000, 'the create forwarded');
  const replay = await fetch(`http://127.0.0.1:${gateway.http.port}/ops/dead-letters/${encodeURIComponent(refused.id)}/replay`, { method: 'POST', headers: { authorization: `Bearer ${opsKey}` } });
  t.equal(replay.status, 200, 'POST /ops/dead-letters/{id}/replay');
  t.match(await replay.json(), { replayed: [{ id: refused.id, reason: 'refused', orderId: 'D-1' }], kept: 1 });
  await waitFor(() => toMes.length === 2, 5000, 'the replayed update forwarded to the MES');
  t.match(toMes[1]!.body, { header: { messageType: 'CHANGE_ORDER' }, body: { externalRef: 'D-1' } }, 'the update reached the MES this time');
  const timeline = await gateway.ledger.timeline('D-1');
  t.ok(timeline.some((e) => e.kind === 'replayed'), 'the replay is in the order\'s timeline');
  t.ok(timeline.some((e) => e.messageId === 'crm-D-1:update' && e.state === 'forwarded'), 'the update is ledgered and forwarded');

  // The undecodable one is replayed without a fix: it fails again and comes back, counted.
  t.equal(await cli('replay', '--reason', 'undecodable'), 0, errors.join('\n'));
  t.match(lines.join('\n'), /1 replayed; 0 left/);
  await waitFor(async () => (await deadLetterCount()) === 1, 5000, 'back in the dead letters');
  t.equal(await cli('dead-letters'), 0);
  t.match(lines.join('\n'), /undecodable: 1\n.*replayed 1×/, 'with its replay count');
  t.equal(await cli('replay', '--id', 'no-such-id'), 1, 'an unknown id: exit 1');
  t.equal((await fetch(`http://127.0.0.1:${gateway.http.port}/ops/dead-letters/nope/replay`, { method: 'POST', headers: { authorization: `Bearer ${opsKey}` } })).status, 404);
});
