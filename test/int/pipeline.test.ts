import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { startGateway } from '../../src/gateway.js';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { deadLetterHeaders } from '../../src/app/dead-letter-headers.js';
import { referenceMesValidators } from '../../sim/mes/contracts.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { amqpPeer, waitFor } from '../helpers/amqp-peer.js';
import { testConfig } from '../helpers/gateway-config.js';
import { createVhost } from '../helpers/vhost.js';
import { crmCreateCommand, mesEvent } from '../fixtures/mes-events.js';
import { messagesAcked, startTestGateway } from '../helpers/test-gateway.js';

const validOrderEvent = validatorFor('orderEvent');
const validMesCommand = referenceMesValidators().command;

async function setup(t: Test, gateway = {}) {
  const vhost = await createVhost();
  const env = testConfig({ amqpUrl: vhost.url, gateway });
  const running = await startGateway({ config: env.config, logger: silentLogger });
  const peer = await amqpPeer(vhost.url);
  const { queues, exchanges } = env.config.gateway.amqp;
  const toMes = await peer.collect(queues.mesCommands);
  const toCrm = await peer.collect(queues.crmOrderEvents);
  const deadLetters = await peer.collect(queues.deadLetter);
  t.teardown(async () => {
    await peer.close();
    await running.stop();
    await vhost.remove();
    env.remove();
  });
  return { gateway: running, peer, exchanges, queues, toMes, toCrm, deadLetters };
}

t.test('a CRM order reaches the MES in its format and the MES acceptance reaches the CRM as CloudEvents', async (t) => {
  const { peer, exchanges, toMes, toCrm } = await setup(t);
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-1'));
  await waitFor(() => toMes.length === 1, 5000, 'the MES command');
  const command = toMes[0]!;
  t.ok(validMesCommand(command.body).ok, 'valid MES command');
  t.match(command.body, {
    header: { messageId: mesCommandId('crm-P-1'), messageType: 'CREATE_ORDER' },
    body: { externalRef: 'P-1', positions: [{ pos: 10, material: 'BRKT-200', qty: 4, uom: 'PCE' }] },
  });
  t.equal(command.message.properties.messageId, mesCommandId('crm-P-1'));

  await peer.publish(
    exchanges.mesEvents,
    'ORDER_ACCEPTED',
    mesEvent('ACCEPTED', {
      orderId: 'P-1',
      eventId: 'ev-p1',
      correlationId: mesCommandId('crm-P-1'),
      at: new Date().toISOString(),
    }),
  );
  await waitFor(() => toCrm.length === 2, 5000, 'two order events');
  for (const event of toCrm) t.ok(validOrderEvent(event.body).ok, 'valid CloudEvent');
  t.same(
    toCrm.map((e) => e.message.fields.routingKey),
    ['order.ack.accepted', 'order.status.accepted'],
  );
  t.match(toCrm[0]!.body, { data: { kind: 'acknowledged', acknowledgement: 'accepted', commandId: 'crm-P-1' } });
});

t.test('the same CRM command twice is forwarded once; the same MES event twice is published once', async (t) => {
  const { gateway, peer, exchanges, queues, toMes, toCrm } = await setup(t);
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-2'));
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-2'));
  const event = mesEvent('ACCEPTED', {
    orderId: 'P-2',
    eventId: 'ev-p2',
    correlationId: mesCommandId('crm-P-2'),
    at: new Date().toISOString(),
  });
  await waitFor(() => toMes.length >= 1, 5000, 'the MES command');
  await peer.publish(exchanges.mesEvents, 'ORDER_ACCEPTED', event);
  await peer.publish(exchanges.mesEvents, 'ORDER_ACCEPTED', event);
  await waitFor(
    async () => (await gateway.ledger.timeline('P-2')).filter((e) => e.kind === 'duplicate_delivery').length === 2,
    5000,
    'both duplicates recorded',
  );
  await waitFor(async () => (await messagesAcked(gateway)) === 4, 5000, 'all four deliveries handled');
  await peer.fence(queues.mesCommands);
  await peer.fence(queues.crmOrderEvents);
  t.equal(toMes.length, 1, 'one MES command');
  t.equal(toCrm.length, 2, 'one acknowledgement and one status change, not twice');
});

t.test(
  'undecodable and schema-invalid messages are dead-lettered with the reason; the pipeline keeps going',
  async (t) => {
    const { gateway, peer, exchanges, toMes, deadLetters } = await setup(t);
    await peer.publish(exchanges.crmCommands, 'order.create', '{not json');
    await peer.publish(exchanges.crmCommands, 'order.create', { ...crmCreateCommand('P-3'), lines: [] });
    await peer.publish(exchanges.mesEvents, 'ORDER_STATE_CHANGED', { header: { eventId: 'x' }, order: {} });
    await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-4'));
    await waitFor(
      () => deadLetters.length === 3 && toMes.length === 1,
      5000,
      'three dead letters and one forwarded command',
    );
    const headers = deadLetters.map((d) => d.message.properties.headers ?? {});
    t.same(headers.map((h) => h[deadLetterHeaders.reason]).sort(), ['invalid', 'invalid', 'undecodable']);
    t.match(
      headers.find((h) => String(h[deadLetterHeaders.error]).includes('/lines'))?.[deadLetterHeaders.error],
      /\/lines: .*fix:/,
    );
    t.equal(headers[0]?.[deadLetterHeaders.originalExchange], exchanges.crmCommands);
    t.equal((await gateway.ledger.stats()).invalid, 3);
    t.match(toMes[0]!.body, { body: { externalRef: 'P-4' } });
  },
);

t.test(
  'a command whose id another command already has is dead-lettered as invalid, never dropped as a repeat',
  async (t) => {
    const { gateway, peer, exchanges, toMes, deadLetters } = await setup(t);
    await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-R1', 'crm-reused'));
    await waitFor(() => toMes.length === 1, 5000, 'the first command forwarded');
    await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-R2', 'crm-reused'));
    await waitFor(() => deadLetters.length === 1, 5000, 'the second dead-lettered');
    t.match(deadLetters[0]!.message.properties.headers, {
      [deadLetterHeaders.reason]: 'invalid',
      [deadLetterHeaders.error]: /crm-reused was used before, for order.create of order P-R1/,
    });
    t.equal(toMes.length, 1, 'nothing forwarded for it');
    const timeline = await gateway.ledger.timeline('P-R2');
    t.match(
      timeline,
      [{ channel: 'crm.command', state: 'invalid' }],
      'kept in the ledger under its own order, for the action list',
    );
  },
);

t.test(
  'a command the MES never acknowledges is re-forwarded with the same id, then flagged lost to the CRM',
  async (t) => {
    const { peer, exchanges, toMes, toCrm } = await setup(t, {
      acknowledgement: { deadline: '300ms', maxAttempts: 2, backoff: 1, evidenceLookup: false },
      stuck: { checkInterval: '100ms' },
    });
    const sent = Date.now();
    await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-5'));
    await waitFor(
      () => toCrm.some((e) => e.message.fields.routingKey === 'order.attention.lost'),
      5000,
      'the lost event',
    );
    const detected = Date.now() - sent;
    t.equal(toMes.length, 2, 'forwarded twice');
    t.same(new Set(toMes.map((m) => m.message.properties.messageId)).size, 1, 'with one message id');
    t.ok(detected < 600 + 2000, `flagged lost ${detected} ms after sending (deadlines 2 × 300 ms)`);
    t.match(toCrm.at(-1)!.body, {
      data: { kind: 'attention_raised', attention: 'lost', orderId: 'P-5', commandId: 'crm-P-5' },
    });
  },
);

t.test('after its connection is dropped the gateway reconnects, re-declares and resumes consuming', async (t) => {
  const { gateway, peer, exchanges, toMes } = await setup(t);
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-6'));
  await waitFor(() => toMes.length === 1, 5000, 'the first command');
  const reconnectsBefore = gateway.broker.reconnects;
  closeConnectionsOf(gateway.broker.connectionName);
  await waitFor(() => !gateway.broker.connected, 5000, 'the gateway to notice');
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-7'));
  await waitFor(() => toMes.length === 2, 15_000, 'the command sent while it was away');
  t.ok(gateway.broker.connected);
  t.ok(gateway.broker.reconnects > reconnectsBefore, 'it reconnected');
  t.match(toMes[1]!.body, { body: { externalRef: 'P-7' } });
});

t.test('classic queues work as well as quorum queues', async (t) => {
  const { peer, exchanges, toMes } = await setup(t, { amqp: { queueType: 'classic' } });
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('P-8'));
  await waitFor(() => toMes.length === 1, 5000, 'the MES command');
  t.match(toMes[0]!.body, { body: { externalRef: 'P-8' } });
});

/** Closes the broker-side connections with this client-provided name, as a network cut would. */
function closeConnectionsOf(name: string): void {
  const lines = execFileSync('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties'], {
    encoding: 'utf8',
  }).split('\n');
  const pids = lines.filter((l) => l.includes(name)).map((l) => l.split('\t')[0]!);
  if (!pids.length) throw new Error(`no connection named ${name}`);
  for (const pid of pids)
    execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'test: connection cut'], { stdio: 'ignore' });
}

t.test('past its status deadline the watchdog flags the order stuck and tells the CRM, once', async (t) => {
  let now = Date.now();
  const { gateway, peer, amqp } = await startTestGateway(t, {
    // The timer never fires in this test: each tick is called by hand, on the test's clock.
    gateway: { stuck: { checkInterval: '1h', deadlines: { accepted: '4h' } } },
    clock: () => now,
  });
  const { exchanges, queues } = amqp;
  const [toMes, toCrm] = [await peer.collect(queues.mesCommands), await peer.collect(queues.crmOrderEvents)];
  await peer.publish(exchanges.crmCommands, 'order.create', crmCreateCommand('S-1'));
  await waitFor(() => toMes.length === 1, 5000, 'the MES command');
  await peer.publish(
    exchanges.mesEvents,
    'ORDER_ACCEPTED',
    mesEvent('ACCEPTED', {
      orderId: 'S-1',
      eventId: 'ev-s1',
      correlationId: mesCommandId('crm-S-1'),
      at: new Date(now).toISOString(),
    }),
  );
  await waitFor(async () => (await gateway.ledger.getOrder('S-1'))?.state.status === 'accepted', 5000, 'accepted');

  now += 4 * 3600_000 - 1000;
  await gateway.watchdog.tick();
  t.notOk((await gateway.ledger.getOrder('S-1'))?.attention, 'a second before the deadline: not stuck');

  now += 2000;
  await gateway.watchdog.tick();
  t.match(await gateway.ledger.getOrder('S-1'), { state: { status: 'accepted' }, attention: { kind: 'stuck' } });
  const stuck = () => toCrm.filter((e) => e.message.fields.routingKey === 'order.attention.stuck');
  await waitFor(() => stuck().length === 1, 5000, 'the stuck event at the CRM');
  t.match(stuck()[0]!.body, { data: { kind: 'attention_raised', attention: 'stuck', orderId: 'S-1' } });

  now += 3600_000;
  await gateway.watchdog.tick();
  const flags = (await gateway.ledger.timeline('S-1')).filter((e) => e.kind === 'attention_raised');
  t.equal(flags.length, 1, 'flagged once, however many ticks follow');
});
