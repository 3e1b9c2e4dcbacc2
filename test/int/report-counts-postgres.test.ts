import t from 'tap';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger } from '../../src/ledger/index.js';
import { type ChannelStateCount, messageFigures } from '../../src/ledger/report-rows.js';
import { firstRowIdOfDay } from '../../src/ledger/postgres/partitions.js';
import { testConfig } from '../helpers/gateway-config.js';
import { freshDatabase } from '../helpers/postgres.js';

// The PostgreSQL report counts only the channels and states it reports (migration 005's
// messages_report index): its figures must equal those of counting every message of the window.

const from = Date.parse('2026-11-25T10:00:00Z');
const to = from + 86_400_000;
const channels = ['crm.command', 'mes.command', 'mes.event', 'order.event', 'crm.request'];
const states = ['received', 'acknowledged', 'published', 'applied', 'lost', 'invalid', 'dead_lettered', 'pending'];

t.test('the report figures equal those of counting every message of the window, on every channel', async (t) => {
  const env = testConfig();
  t.teardown(env.remove);
  const url = await freshDatabase(t);
  const ledger = await openPostgresLedger({ url, policy: ledgerPolicy(env.config) });
  t.teardown(() => ledger.close());
  await ledger.pool.query(
    `SELECT ledger_day_partition(t, d) FROM unnest(ARRAY['messages', 'journal']) AS t,
       generate_series(($1::bigint / 86400000)::int - 1, ($2::bigint / 86400000)::int + 1) AS d`,
    [from, to],
  );
  // Every channel in every state, some sent twice, some closed by evidence, each before, in and
  // after the window: a message's id names its day (partitions.ts).
  await ledger.pool.query(
    `INSERT INTO messages (id, direction, channel, type, message_id, order_id, state, attempts, reason, created_at, updated_at)
     SELECT ${firstRowIdOfDay('at')} + n, 'in', channel, 't', 'm-' || n, 'O-' || n, state, n % 3,
       CASE WHEN n % 5 = 0 THEN 'evidence: a later MES state' END, at, at + 10
     FROM (SELECT row_number() OVER () AS n, channel, state, at
       FROM unnest($1::text[]) AS channel, unnest($2::text[]) AS state,
         unnest(ARRAY[$3::bigint - 1, $3::bigint, $3::bigint + 3600000, $4::bigint - 1, $4::bigint]) AS at) AS rows`,
    [channels, states, from, to],
  );
  const { rows: everyCount } = await ledger.pool.query<ChannelStateCount>(
    `SELECT channel, state, COUNT(*)::int AS n, COUNT(*) FILTER (WHERE attempts > 1)::int AS reforwarded,
       COUNT(*) FILTER (WHERE reason LIKE 'evidence:%')::int AS "byEvidence"
     FROM messages WHERE created_at >= $1 AND created_at < $2 GROUP BY channel, state`,
    [from, to],
  );
  const expected = messageFigures(everyCount);
  t.ok(
    expected.invalid > 0 && expected.deadLettered > expected.invalid && expected.reforwarded > 0,
    'the window has them all',
  );
  const rows = await ledger.reportRows(from, to, to);
  t.same(
    {
      commandsByState: rows.commandsByState,
      reforwarded: rows.reforwarded,
      eventsConsumed: rows.eventsConsumed,
      eventsByState: rows.eventsByState,
      invalid: rows.invalid,
      deadLettered: rows.deadLettered,
    },
    expected,
  );
});
