import t, { type Test } from 'tap';
import { openSqliteLedger, type CommandInput, type SqliteLedger } from '../../src/ledger/index.js';
import { prepareStatements } from '../../src/ledger/sqlite/statements.js';
import { ledgerPolicy } from '../../src/gateway.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { mesCommandId } from '../../src/adapters/mes/codec.js';
import { testConfig } from '../helpers/gateway-config.js';
import { mesEvent } from '../fixtures/mes-events.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');

function setup(t: Test, gateway = {}) {
  const env = testConfig({ gateway });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(env.config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const event = (state: string, opts: Parameters<typeof mesEvent>[1] = {}) => {
    const read = readMesEvent(mesEvent(state, opts), env.config.mapping.paths);
    if (!read.ok) throw new Error(read.problems.join());
    return { fields: read.fields, translation: translate(read.fields, env.config.mapping.states), type: 'ORDER_STATE_CHANGED' };
  };
  return { ledger, config: env.config, event };
}

function create(orderId: string, crmMessageId = `crm-${orderId}`): CommandInput {
  const mesId = mesCommandId(crmMessageId);
  return { crmMessageId, type: 'order.create', orderId, partner: 'shop', sentAt: new Date(T0).toISOString(), mes: { messageId: mesId, routingKey: 'CREATE_ORDER', payload: `{"header":{"messageId":"${mesId}"}}` } };
}

t.test('the schema is migrated once; WAL, with the WAL fsynced off the event loop before a unit settles', async (t) => {
  const { ledger } = setup(t);
  const db = (ledger as SqliteLedger).db;
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'SQLite itself NORMAL: the group commit does the fsync (configured FULL)');
  t.ok((ledger as SqliteLedger).commits.durable, 'configured FULL: units wait for the fsync of their commit');
  const env = testConfig();
  const normal = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(env.config) });
  t.teardown(async () => {
    await normal.close();
    env.remove();
  });
  t.notOk(normal.commits.durable, 'configured NORMAL: they do not');
  t.same(db.prepare('SELECT version FROM schema_migrations').pluck().all(), [1, 2]);
});

t.test('a command is forwarded once; its redelivery before the confirm forwards the same message again', async (t) => {
  const { ledger } = setup(t);
  const first = await ledger.recordCommand(create('A-1'), T0);
  t.match(first, { kind: 'forward', redelivery: false, out: { channel: 'mes.command', messageId: mesCommandId('crm-A-1') } });
  t.same(await ledger.recordCommand(create('A-1'), T0 + 5), { kind: 'already_forwarded' }, 'a second copy from the CRM is not forwarded');
  const again = await ledger.recordCommand({ ...create('A-1'), redelivered: true }, T0 + 10);
  t.match(again, { kind: 'forward', redelivery: true, out: { messageId: mesCommandId('crm-A-1') } }, 'a redelivery before the confirm forwards again, same id');
  if (first.kind !== 'forward') throw new Error('expected forward');
  await ledger.markForwarded(first.out, T0 + 20);
  t.same(await ledger.recordCommand(create('A-1'), T0 + 30), { kind: 'already_forwarded' });
  const stats = await ledger.stats();
  t.same(stats.commandsByState, { forwarded: 1 });
  t.equal(stats.openCommands, 1);
});

t.test('a second create for an order and a cancel for an unknown order are refused', async (t) => {
  const { ledger } = setup(t);
  await ledger.recordCommand(create('A-2'), T0);
  t.match(await ledger.recordCommand(create('A-2', 'crm-other'), T0), { kind: 'refused', reason: /order A-2 already exists/ });
  const cancel: CommandInput = { crmMessageId: 'c-1', type: 'order.cancel', orderId: 'NOPE', sentAt: new Date(T0).toISOString(), mes: { messageId: mesCommandId('c-1'), routingKey: 'CANCEL_ORDER', payload: '{}' } };
  t.match(await ledger.recordCommand(cancel, T0), { kind: 'refused', reason: /unknown order NOPE/ });
  t.match(await ledger.recordCommand(cancel, T0), { kind: 'refused' }, 'the redelivery is refused the same way');
});

t.test('acceptance by correlation id acknowledges the command and moves the status; a duplicate re-offers only unconfirmed events', async (t) => {
  const { ledger, event } = setup(t);
  const fwd = await ledger.recordCommand(create('A-3'), T0);
  if (fwd.kind !== 'forward') throw new Error('expected forward');
  await ledger.markForwarded(fwd.out, T0);
  const accepted = await ledger.recordMesEvent(event('ACCEPTED', { eventId: 'e1', orderId: 'A-3', correlationId: mesCommandId('crm-A-3'), at: '2026-11-25T10:00:01Z' }), T0 + 1000);
  t.match(accepted, { kind: 'recorded', state: 'applied' });
  if (accepted.kind !== 'recorded') throw new Error('expected recorded');
  t.same(accepted.publish.map((m) => m.routingKey), ['order.ack.accepted', 'order.status.accepted']);
  const ack = JSON.parse(accepted.publish[0]!.payload);
  t.match(ack, { specversion: '1.0', type: 'dev.orderbridge.order.acknowledged', subject: 'A-3', data: { acknowledgement: 'accepted', commandId: 'crm-A-3' } });
  t.equal((await ledger.getOrder('A-3'))?.state.status, 'accepted');

  const copy = await ledger.recordMesEvent(event('ACCEPTED', { eventId: 'e1', orderId: 'A-3', correlationId: mesCommandId('crm-A-3') }), T0 + 1500);
  t.same(copy, { kind: 'duplicate', publish: [] }, 'a duplicate copy leaves the publishing to the first');
  const dup = await ledger.recordMesEvent({ ...event('ACCEPTED', { eventId: 'e1', orderId: 'A-3', correlationId: mesCommandId('crm-A-3') }), redelivered: true }, T0 + 2000);
  t.match(dup, { kind: 'duplicate', publish: [{ routingKey: 'order.ack.accepted' }, { routingKey: 'order.status.accepted' }] }, 'a redelivery offers the unconfirmed events again');
  await ledger.markPublished(accepted.publish.map((m) => m.rowId), T0 + 2000);
  t.match(await ledger.recordMesEvent({ ...event('ACCEPTED', { eventId: 'e1', orderId: 'A-3' }), redelivered: true }, T0 + 3000), { kind: 'duplicate', publish: [] }, 'once confirmed, nothing');
  t.same((await ledger.stats()).commandsByState, { acknowledged: 1 });
  t.same(await ledger.overdueCommands(T0 + 10 * 60_000, 10), [], 'an acknowledged command is never overdue');
});

t.test('a state change without correlation is evidence of acceptance; late and unknown events are recorded, not applied', async (t) => {
  const { ledger, event } = setup(t);
  const fwd = await ledger.recordCommand(create('A-4'), T0);
  if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
  const cutting = await ledger.recordMesEvent(event('CUTTING', { eventId: 'e2', orderId: 'A-4', at: '2026-11-25T10:05:00Z' }), T0 + 1000);
  t.match(cutting, { kind: 'recorded', state: 'applied', publish: [{ routingKey: 'order.ack.accepted' }, { routingKey: 'order.status.in_production' }] });
  const late = await ledger.recordMesEvent(event('PLANNING', { eventId: 'e3', orderId: 'A-4', at: '2026-11-25T10:01:00Z' }), T0 + 2000);
  t.match(late, { kind: 'recorded', state: 'out_of_order', publish: [] });
  const unknown = await ledger.recordMesEvent(event('SANDBLASTING', { eventId: 'e4', orderId: 'A-4', at: '2026-11-25T10:06:00Z' }), T0 + 3000);
  t.match(unknown, { kind: 'recorded', state: 'quarantined', publish: [] });
  const stranger = await ledger.recordMesEvent(event('CUTTING', { eventId: 'e5', orderId: 'NEVER-SEEN' }), T0 + 3000);
  t.match(stranger, { kind: 'recorded', state: 'quarantined' });
  t.equal((await ledger.getOrder('A-4'))?.state.status, 'in_production');
  t.same((await ledger.stats()).eventsByState, { applied: 1, out_of_order: 1, quarantined: 2 });
});

t.test('an unacknowledged command is re-forwarded with backoff, then flagged lost; a late acknowledgement clears the flag', async (t) => {
  const { ledger, event, config } = setup(t, { acknowledgement: { deadline: '1s', maxAttempts: 3, backoff: 2, evidenceLookup: false } });
  t.equal(config.gateway.acknowledgement.deadline, '1s');
  const fwd = await ledger.recordCommand(create('A-5'), T0);
  if (fwd.kind !== 'forward') throw new Error('expected forward');
  await ledger.markForwarded(fwd.out, T0);
  t.same(await ledger.overdueCommands(T0 + 999, 10), [], 'not before the deadline');
  const [due1] = await ledger.overdueCommands(T0 + 1000, 10);
  t.match(due1, { orderId: 'A-5', attempts: 1 });
  t.match(await ledger.resolveOverdueCommand(due1!.rowId, T0 + 1000, undefined), [{ channel: 'mes.command', messageId: mesCommandId('crm-A-5') }], 'same message id');
  t.same(await ledger.overdueCommands(T0 + 2999, 10), [], 'second wait is deadline × 2');
  const [due2] = await ledger.overdueCommands(T0 + 3000, 10);
  t.match(await ledger.resolveOverdueCommand(due2!.rowId, T0 + 3000, undefined), [{ channel: 'mes.command' }]);
  const [due3] = await ledger.overdueCommands(T0 + 7000, 10);
  t.match(due3, { attempts: 3 });
  const lost = await ledger.resolveOverdueCommand(due3!.rowId, T0 + 7000, undefined);
  t.match(lost, [{ channel: 'order.event', routingKey: 'order.attention.lost' }]);
  t.match(JSON.parse(lost[0]!.payload), { data: { kind: 'attention_raised', attention: 'lost', commandId: 'crm-A-5' } });
  t.match(await ledger.getOrder('A-5'), { attention: { kind: 'lost', since: T0 + 7000 } });
  t.same(await ledger.overdueCommands(T0 + 60_000, 10), [], 'a lost command is not retried forever');

  const late = await ledger.recordMesEvent(event('ACCEPTED', { eventId: 'late', orderId: 'A-5', correlationId: mesCommandId('crm-A-5') }), T0 + 8000);
  t.match(late, { kind: 'recorded', publish: [{ routingKey: 'order.ack.accepted' }, { routingKey: 'order.attention.cleared' }, { routingKey: 'order.status.accepted' }] });
  t.equal((await ledger.getOrder('A-5'))?.attention, null);
});

t.test('evidence from the MES API acknowledges instead of flagging lost', async (t) => {
  const { ledger } = setup(t, { acknowledgement: { deadline: '1s', maxAttempts: 1, backoff: 2, evidenceLookup: true } });
  const fwd = await ledger.recordCommand(create('A-6'), T0);
  if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
  const [due] = await ledger.overdueCommands(T0 + 1000, 10);
  const out = await ledger.resolveOverdueCommand(due!.rowId, T0 + 1000, true);
  t.match(out, [{ routingKey: 'order.ack.accepted' }]);
  t.equal((await ledger.getOrder('A-6'))?.attention, null);
  t.same((await ledger.stats()).commandsByState, { acknowledged: 1 });
});

t.test('an order past its status deadline is flagged stuck once; progress clears it', async (t) => {
  const { ledger, event } = setup(t, { stuck: { deadlines: { received: '10s', accepted: '5s' } } });
  const fwd = await ledger.recordCommand(create('A-7'), T0);
  if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0);
  await ledger.recordMesEvent(event('ACCEPTED', { eventId: 'a7', orderId: 'A-7', correlationId: mesCommandId('crm-A-7'), at: '2026-11-25T10:00:01Z' }), T0 + 1000);
  const commits = (ledger as SqliteLedger).commits;
  const unitsBefore = commits.units;
  t.same(await ledger.flagStuckOrders(T0 + 5999, 10), []);
  t.equal(commits.units, unitsBefore, 'a tick with nothing due writes nothing');
  const stuck = await ledger.flagStuckOrders(T0 + 6000, 10);
  t.match(stuck, [{ routingKey: 'order.attention.stuck' }]);
  t.same(await ledger.flagStuckOrders(T0 + 60_000, 10), [], 'flagged once');
  const progress = await ledger.recordMesEvent(event('CUTTING', { eventId: 'c7', orderId: 'A-7', at: '2026-11-25T10:01:00Z' }), T0 + 61_000);
  t.match(progress, { kind: 'recorded', publish: [{ routingKey: 'order.status.in_production' }, { routingKey: 'order.attention.cleared' }] });
});

t.test('messages that arrive together share one commit (group commit)', async (t) => {
  const { ledger } = setup(t);
  const sqlite = ledger as SqliteLedger;
  const before = sqlite.commits.batches;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.recordCommand(create(`G-${i}`), T0)));
  t.equal(results.filter((r) => r.kind === 'forward').length, 200);
  t.ok(sqlite.commits.batches - before <= 2, `200 commands in ${sqlite.commits.batches - before} commit(s)`);
});

t.test('one failing unit rolls back alone inside a shared commit', async (t) => {
  const { ledger } = setup(t);
  const sqlite = ledger as SqliteLedger;
  const [ok, failed] = await Promise.allSettled([sqlite.commits.run(() => sqlite.db.prepare(`INSERT INTO journal (at, kind) VALUES (1, 'kept')`).run()), sqlite.commits.run(() => {
    sqlite.db.prepare(`INSERT INTO journal (at, kind) VALUES (1, 'rolled back')`).run();
    throw new Error('boom');
  })]);
  t.equal(ok.status, 'fulfilled');
  t.equal(failed.status, 'rejected');
  t.same(sqlite.db.prepare('SELECT kind FROM journal').pluck().all(), ['kept']);
});

t.test('the order timeline lists messages and changes in time order', async (t) => {
  const { ledger, event } = setup(t);
  const fwd = await ledger.recordCommand(create('A-8'), T0);
  if (fwd.kind === 'forward') await ledger.markForwarded(fwd.out, T0 + 5);
  await ledger.recordMesEvent(event('ACCEPTED', { eventId: 'a8', orderId: 'A-8', correlationId: mesCommandId('crm-A-8') }), T0 + 1000);
  const timeline = await ledger.timeline('A-8');
  const kinds = timeline.map((e) => e.kind);
  t.same(kinds.slice(0, 3), ['received order.create', 'sent order.create', 'status_changed']);
  t.ok(kinds.includes('command_accepted'));
  t.ok(timeline.every((e, i) => i === 0 || e.at >= timeline[i - 1]!.at), 'sorted by time');
});

t.test("the watchdog's every-tick queries search an index; none walks a table", async (t) => {
  const { ledger } = setup(t);
  const db = (ledger as SqliteLedger).db;
  const statements = prepareStatements(db);
  for (const name of ['unpublished', 'overdue', 'stuckOrders'] as const) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${statements[name].source}`).all(T0, 100) as { detail: string }[]).map((row) => row.detail);
    t.match(plan[0], /^SEARCH \w+ USING (COVERING )?INDEX /, `${name}: ${plan.join(' | ')}`);
    t.notOk(plan.some((step) => /^SCAN (messages|orders)\b/.test(step)), `${name} scans no table`);
  }
});
