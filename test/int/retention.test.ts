import t from 'tap';
import { testConfig } from '../helpers/gateway-config.js';
import { testEachDriver } from '../helpers/ledger-drivers.js';
import { applyMesEvent, createAndForward, mesEventInput } from '../fixtures/mes-events.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-11-25T10:00:00Z');
/** Messages whose cause was removed from under them. */
const danglingCauses =
  'SELECT COUNT(*) FROM messages m WHERE m.cause_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.id = m.cause_id)';

testEachDriver(
  t,
  'rows past the retention are pruned in batches; open work and recent rows stay',
  async (t, driver) => {
    const env = testConfig();
    t.teardown(env.remove);
    const { config } = env;
    const { ledger, count, rows } = await driver.open(t, config, { synchronous: 'NORMAL' });
    // 40 days ago: 1,200 orders, half rejected by the MES (a final status), half shipped (not final:
    // delivery is still to be reported); one accepted, one whose command the MES never answered
    // (open), one whose order events the broker never confirmed.
    // The orders side by side, each one's steps in turn: the group commit takes them in batches, as
    // the pipeline's consumers give it theirs (one at a time, a PostgreSQL ledger commits each alone).
    const old = NOW - 40 * DAY;
    await Promise.all(
      Array.from({ length: 1200 }, async (_, i) => {
        await createAndForward(ledger, `OLD-${i}`, old);
        for (const state of i % 2 ? ['REJECTED'] : ['ACCEPTED', 'DISPATCHED'])
          await applyMesEvent(ledger, config.dialect, state, `OLD-${i}`, old + 1000);
      }),
    );
    await createAndForward(ledger, 'OLD-ACTIVE', old);
    await applyMesEvent(ledger, config.dialect, 'ACCEPTED', 'OLD-ACTIVE', old + 1000);
    await createAndForward(ledger, 'OLD-OPEN', old);
    await createAndForward(ledger, 'OLD-UNCONF', old);
    await ledger.recordMesEvent(mesEventInput(config.dialect, 'ACCEPTED', 'OLD-UNCONF', old + 1000), old + 1000);
    // Flagged lost (the MES never answered its command), then cancelled by the CRM: final, still flagged.
    await createAndForward(ledger, 'OLD-LOST', old);
    for (let hour = 1; hour <= 3; hour++) {
      const due = (await ledger.overdueCommands(old + hour * HOUR, 10)).find((d) => d.orderId === 'OLD-LOST');
      if (!due) throw new Error(`OLD-LOST not overdue at hour ${hour}`);
      const out = await ledger.resolveOverdueCommand(due.rowId, old + hour * HOUR, undefined);
      await ledger.markPublished(
        out.filter((o) => o.channel === 'order.event').map((o) => o.rowId),
        old + hour * HOUR,
      );
    }
    const cancelled = await ledger.recordCrmFact(
      {
        messageId: 'crm-fact-OLD-LOST',
        type: 'order.cancelled',
        orderId: 'OLD-LOST',
        status: 'cancelled',
        occurredAt: new Date(old + 4 * HOUR).toISOString(),
      },
      old + 4 * HOUR,
    );
    if (cancelled.kind === 'recorded' || cancelled.kind === 'duplicate')
      await ledger.markPublished(
        cancelled.publish.map((p) => p.rowId),
        old + 4 * HOUR,
      );
    t.match(
      await ledger.getOrder('OLD-LOST'),
      { state: { status: 'cancelled' }, attention: { kind: 'lost' } },
      'a final order still flagged lost',
    );
    // A day older still: accepted, then flagged stuck past its status deadline (no other order is due yet).
    const older = old - DAY;
    await createAndForward(ledger, 'AGED-STUCK', older);
    await applyMesEvent(ledger, config.dialect, 'ACCEPTED', 'AGED-STUCK', older + 1000);
    const flagged = await ledger.flagStuckOrders(older + 5 * HOUR, 10);
    await ledger.markPublished(
      flagged.map((o) => o.rowId),
      older + 5 * HOUR,
    );
    t.match(await ledger.getOrder('AGED-STUCK'), { attention: { kind: 'stuck' } }, 'an old order flagged stuck');
    // Yesterday: recent, whatever its state.
    await createAndForward(ledger, 'NEW-1', NOW - DAY);
    await applyMesEvent(ledger, config.dialect, 'ACCEPTED', 'NEW-1', NOW - DAY + 1000);

    const lostTimeline = await ledger.timeline('OLD-LOST');
    const stuckTimeline = await ledger.timeline('AGED-STUCK');
    t.ok(lostTimeline.length >= 8, `the lost order's timeline before pruning (${lostTimeline.length} entries)`);
    const before = {
      messages: await count('SELECT COUNT(*) FROM messages'),
      journal: await count('SELECT COUNT(*) FROM journal'),
    };
    const pruner = ledger.retention;
    const steps: number[] = [];
    const stepOnce = pruner.step.bind(pruner);
    pruner.step = async (cutoff, batch) => {
      const result = await stepOnce(cutoff, batch);
      steps.push(result.messages);
      return result;
    };
    const pruned = await pruner.pruneOlderThan(NOW - 30 * DAY, 500);

    t.ok(
      steps.length > 3 && steps.every((n) => n <= 500),
      `in small steps (${steps.length} steps, at most 500 messages each)`,
    );
    t.ok(
      pruned.messages > 3000 && pruned.journal > 3000,
      `old messages and journal rows pruned (${pruned.messages} messages, ${pruned.journal} journal rows of ${before.messages} and ${before.journal})`,
    );
    t.same(
      await rows(
        "SELECT channel, state, COUNT(*) AS n FROM messages WHERE order_id LIKE 'OLD-%' AND order_id NOT IN ('OLD-OPEN', 'OLD-UNCONF', 'OLD-LOST') GROUP BY channel, state",
      ),
      [],
      'every final old message is gone',
    );
    t.ok(
      (await count("SELECT COUNT(*) FROM messages WHERE order_id = 'OLD-OPEN' AND channel = 'crm.command'")) === 1,
      'a command still waiting for the MES stays',
    );
    t.ok(
      (await count("SELECT COUNT(*) FROM messages WHERE order_id = 'OLD-UNCONF' AND state = 'pending'")) > 0,
      'order events the broker never confirmed stay',
    );
    t.ok((await count("SELECT COUNT(*) FROM messages WHERE order_id = 'NEW-1'")) >= 3, 'recent messages stay');
    t.equal(pruned.orders, 600, 'the 600 rejected orders are pruned');
    t.equal(
      await count("SELECT COUNT(*) FROM orders WHERE order_id LIKE 'OLD-%'"),
      604,
      'orders not in a final status stay (shipped, accepted, open, unconfirmed), and a final one still flagged',
    );
    t.match(
      await ledger.getOrder('OLD-LOST'),
      { state: { status: 'cancelled' }, attention: { kind: 'lost' } },
      'the flagged cancelled order is kept for an operator to see',
    );
    t.same(await ledger.timeline('OLD-LOST'), lostTimeline, 'with its whole timeline: every message and journal entry');
    t.same(await ledger.timeline('AGED-STUCK'), stuckTimeline, 'a stuck order keeps its whole timeline too');
    t.equal(await count("SELECT COUNT(*) FROM orders WHERE order_id = 'NEW-1'"), 1);
    t.same(
      await pruner.pruneOlderThan(NOW - 30 * DAY, 500),
      { messages: 0, journal: 0, orders: 0, webhookDeliveries: 0, idempotencyKeys: 0 },
      'a second run finds nothing',
    );
    t.equal(await count(danglingCauses), 0, 'no dangling cause references');

    // The stuck order moves on (its flag clears): from then on its old evidence goes like any other.
    await applyMesEvent(ledger, config.dialect, 'CUTTING', 'AGED-STUCK', NOW - HOUR);
    t.equal((await ledger.getOrder('AGED-STUCK'))?.attention, null, 'the flag cleared by progress');
    await pruner.pruneOlderThan(NOW - 30 * DAY, 500);
    t.equal(
      await count(`SELECT COUNT(*) FROM messages WHERE order_id = 'AGED-STUCK' AND created_at < ${NOW - 30 * DAY}`),
      0,
      'its old messages are pruned once the flag is gone',
    );
    t.equal(
      await count(`SELECT COUNT(*) FROM journal WHERE order_id = 'AGED-STUCK' AND at < ${NOW - 30 * DAY}`),
      0,
      'and its old journal',
    );
    t.ok((await count("SELECT COUNT(*) FROM messages WHERE order_id = 'AGED-STUCK'")) > 0, 'its recent messages stay');
    t.equal(await count(danglingCauses), 0, 'still no dangling cause references');
  },
);
