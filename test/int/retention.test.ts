import t from 'tap';
import { mesCommandId } from '../../src/adapters/mes/codec.js';
import { ledgerPolicy } from '../../src/gateway.js';
import { openSqliteLedger, type CommandInput } from '../../src/ledger/index.js';
import { RetentionPruner } from '../../src/ledger/sqlite-retention.js';
import { readMesEvent, translate } from '../../src/mapping/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { mesEvent } from '../fixtures/mes-events.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T10:00:00Z');

t.test('rows past the retention are pruned in batches; open work and recent rows stay', async (t) => {
  const env = testConfig();
  const { config } = env;
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const create = async (orderId: string, at: number) => {
    const mesId = mesCommandId(`crm-${orderId}`);
    const input: CommandInput = { crmMessageId: `crm-${orderId}`, type: 'order.create', orderId, partner: 'shop', sentAt: new Date(at).toISOString(), mes: { messageId: mesId, routingKey: 'CREATE_ORDER', payload: '{}' } };
    const result = await ledger.recordCommand(input, at);
    if (result.kind === 'forward') await ledger.markForwarded(result.out, at);
  };
  const mesSays = async (orderId: string, state: string, at: number) => {
    const read = readMesEvent(mesEvent(state, { eventId: `${orderId}-${state}`, orderId, at: new Date(at).toISOString(), ...(['ACCEPTED', 'REJECTED'].includes(state) ? { correlationId: mesCommandId(`crm-${orderId}`) } : {}) }), config.mapping.paths);
    if (!read.ok) throw new Error(read.problems.join());
    const result = await ledger.recordMesEvent({ fields: read.fields, translation: translate(read.fields, config.mapping.states), type: 'ORDER_STATE_CHANGED' }, at);
    if (result.kind !== 'refused') await ledger.markPublished(result.publish.map((p) => p.rowId), at);
  };

  // 40 days ago: 1,200 orders, half rejected by the MES (a final status), half shipped (not final:
  // delivery is still to be reported); one accepted, one whose command the MES never answered
  // (open), one whose order events the broker never confirmed.
  const old = NOW - 40 * DAY;
  for (let i = 0; i < 1200; i++) {
    await create(`OLD-${i}`, old);
    for (const state of i % 2 ? ['REJECTED'] : ['ACCEPTED', 'DISPATCHED']) await mesSays(`OLD-${i}`, state, old + 1000);
  }
  await create('OLD-ACTIVE', old);
  await mesSays('OLD-ACTIVE', 'ACCEPTED', old + 1000);
  await create('OLD-OPEN', old);
  await create('OLD-UNCONF', old);
  const read = readMesEvent(mesEvent('ACCEPTED', { eventId: 'OLD-UNCONF-acc', orderId: 'OLD-UNCONF', at: new Date(old + 1000).toISOString(), correlationId: mesCommandId('crm-OLD-UNCONF') }), config.mapping.paths);
  if (!read.ok) throw new Error('bad fixture');
  await ledger.recordMesEvent({ fields: read.fields, translation: translate(read.fields, config.mapping.states), type: 'ORDER_STATE_CHANGED' }, old + 1000);
  // Yesterday: recent, whatever its state.
  await create('NEW-1', NOW - DAY);
  await mesSays('NEW-1', 'ACCEPTED', NOW - DAY + 1000);

  const count = (sql: string) => ledger.db.prepare(sql).pluck().get() as number;
  const before = { messages: count('SELECT COUNT(*) FROM messages'), journal: count('SELECT COUNT(*) FROM journal') };
  const pruner = new RetentionPruner(ledger.db, ledger.commits);
  const steps: number[] = [];
  const stepOnce = pruner.step.bind(pruner);
  pruner.step = async (cutoff, batch) => {
    const result = await stepOnce(cutoff, batch);
    steps.push(result.messages);
    return result;
  };
  const pruned = await pruner.pruneOlderThan(NOW - 30 * DAY, 500);

  t.ok(steps.length > 3 && steps.every((n) => n <= 1000), `in small steps (${steps.length} steps, at most 2 × 500 messages each)`);
  t.ok(pruned.messages > 3000 && pruned.journal > 3000, `old messages and journal rows pruned (${pruned.messages} messages, ${pruned.journal} journal rows of ${before.messages} and ${before.journal})`);
  t.same(ledger.db.prepare("SELECT channel, state, COUNT(*) AS n FROM messages WHERE order_id LIKE 'OLD-%' AND order_id NOT IN ('OLD-OPEN', 'OLD-UNCONF') GROUP BY channel, state").all(), [], 'every final old message is gone');
  t.ok(count("SELECT COUNT(*) FROM messages WHERE order_id = 'OLD-OPEN' AND channel = 'crm.command'") === 1, 'a command still waiting for the MES stays');
  t.ok(count("SELECT COUNT(*) FROM messages WHERE order_id = 'OLD-UNCONF' AND state = 'pending'") > 0, 'order events the broker never confirmed stay');
  t.ok(count("SELECT COUNT(*) FROM messages WHERE order_id = 'NEW-1'") >= 3, 'recent messages stay');
  t.equal(pruned.orders, 600, 'the 600 rejected orders are pruned');
  t.equal(count("SELECT COUNT(*) FROM orders WHERE order_id LIKE 'OLD-%'"), 603, 'orders not in a final status stay (shipped, accepted, open, unconfirmed)');
  t.equal(count("SELECT COUNT(*) FROM orders WHERE order_id = 'NEW-1'"), 1);
  t.same(await pruner.pruneOlderThan(NOW - 30 * DAY, 500), { messages: 0, journal: 0, orders: 0, webhookDeliveries: 0, idempotencyKeys: 0 }, 'a second run finds nothing');
  t.equal(count('PRAGMA foreign_key_check'), undefined, 'no dangling cause references');
});
