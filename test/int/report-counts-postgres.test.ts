import t from 'tap';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger } from '../../src/ledger/index.js';
import { type ChannelStateCount, messageFigures } from '../../src/ledger/report-rows.js';
import { firstRowIdOfDay } from '../../src/ledger/postgres/partitions.js';
import { testConfig } from '../helpers/gateway-config.js';
import { freshDatabase } from '../helpers/postgres.js';

// The PostgreSQL report counts only the channels and states it reports (migration 005's
// messages_report index), and takes whole hours from the counts its triggers keep (migration 006):
// its figures must equal those of counting every message of the window, whatever was written,
// changed, deleted, folded, moved or dropped since.

const from = Date.parse('2026-11-25T10:00:00Z');
const to = from + 86_400_000;
const hour = 3_600_000;
const channels = ['crm.command', 'mes.command', 'mes.event', 'order.event', 'crm.request'];
const states = ['received', 'acknowledged', 'published', 'applied', 'lost', 'invalid', 'dead_lettered', 'pending'];
/** Windows on whole hours, within hours, across hour edges, and one holding no whole hour. */
const windows: [number, number][] = [
  [from, to],
  [from + 20 * 60_000, to - 20 * 60_000],
  [from - 1, to + 1],
  [from + hour + 60_000, from + hour + 30 * 60_000],
  [from - 2 * 86_400_000, to + 5 * 86_400_000],
];

type Ledger = Awaited<ReturnType<typeof openPostgresLedger>>;

/** Every message in every state, some sent twice, some closed by evidence, at `times` (epoch ms); ids name their days. */
async function insertMessages(ledger: Ledger, times: number[], prefix: string): Promise<void> {
  const after = Number((await ledger.pool.query('SELECT COUNT(*) AS n FROM messages')).rows[0].n);
  await ledger.pool.query(
    `INSERT INTO messages (id, direction, channel, type, message_id, order_id, state, attempts, reason, created_at, updated_at)
     SELECT ${firstRowIdOfDay('at')} + n, 'in', channel, 't', $4 || n, 'O-' || n, state, n % 3,
       CASE WHEN n % 5 = 0 THEN 'evidence: a later MES state' END, at, at + 10
     FROM (SELECT $5::bigint + row_number() OVER () AS n, channel, state, at
       FROM unnest($1::text[]) AS channel, unnest($2::text[]) AS state, unnest($3::bigint[]) AS at) AS rows`,
    [channels, states, times, prefix, after],
  );
}

/** The report's figures and those of counting every message, for each window. */
async function figures(ledger: Ledger) {
  const report = [];
  const everyMessage = [];
  for (const [start, end] of windows) {
    const { rows: everyCount } = await ledger.pool.query<ChannelStateCount>(
      `SELECT channel, state, COUNT(*)::int AS n, COUNT(*) FILTER (WHERE attempts > 1)::int AS reforwarded,
         COUNT(*) FILTER (WHERE reason LIKE 'evidence:%')::int AS "byEvidence"
       FROM messages WHERE created_at >= $1 AND created_at < $2 GROUP BY channel, state`,
      [start, end],
    );
    everyMessage.push(messageFigures(everyCount));
    const rows = await ledger.reportRows(start, end, end);
    report.push({
      commandsByState: rows.commandsByState,
      reforwarded: rows.reforwarded,
      eventsConsumed: rows.eventsConsumed,
      eventsByState: rows.eventsByState,
      invalid: rows.invalid,
      deadLettered: rows.deadLettered,
    });
  }
  return { report, everyMessage };
}

async function countRows(ledger: Ledger): Promise<number> {
  return Number((await ledger.pool.query('SELECT COUNT(*) AS n FROM message_counts')).rows[0].n);
}

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
  // Before, on and in the window's edges, within its hours and beside an hour's edge.
  await insertMessages(
    ledger,
    [from - 1, from, from + 1, from + 20 * 60_000, from + hour - 1, from + hour, from + hour + 60_000, to - 1, to],
    'm-',
  );
  const expected = messageFigures(
    (
      await ledger.pool.query<ChannelStateCount>(
        `SELECT channel, state, COUNT(*)::int AS n, COUNT(*) FILTER (WHERE attempts > 1)::int AS reforwarded,
           COUNT(*) FILTER (WHERE reason LIKE 'evidence:%')::int AS "byEvidence"
         FROM messages WHERE created_at >= $1 AND created_at < $2 GROUP BY channel, state`,
        [from, to],
      )
    ).rows,
  );
  t.ok(
    expected.invalid > 0 && expected.deadLettered > expected.invalid && expected.reforwarded > 0,
    'the window has them all',
  );
  const written = await figures(ledger);
  t.same(written.report, written.everyMessage, 'as written');

  // Changed as the pipeline changes them: states, a second send, evidence; and some deleted.
  await ledger.pool.query(`UPDATE messages SET state = 'acknowledged' WHERE state = 'received' AND id % 2 = 0`);
  await ledger.pool.query('UPDATE messages SET attempts = attempts + 2 WHERE id % 3 = 1');
  await ledger.pool.query(`UPDATE messages SET reason = 'evidence: the MES API' WHERE reason IS NULL AND id % 4 = 1`);
  await ledger.pool.query('UPDATE messages SET deliveries = deliveries + 1, due_at = 1 WHERE id % 5 = 2');
  await ledger.pool.query('DELETE FROM messages WHERE id % 7 = 3');
  const changed = await figures(ledger);
  t.same(changed.report, changed.everyMessage, 'after updates and deletes');
  t.not(JSON.stringify(changed.everyMessage), JSON.stringify(written.everyMessage), 'the changes changed the figures');

  // Folded by the retention tick (nothing is past a retention of 1970), then again: the same figures.
  const beforeFolding = await countRows(ledger);
  await ledger.retention.pruneOlderThan(0);
  const folded = await countRows(ledger);
  t.ok(folded < beforeFolding / 2, `folded into fewer rows (${beforeFolding} → ${folded})`);
  await ledger.retention.pruneOlderThan(0);
  t.equal(await countRows(ledger), folded, 'folding again changes nothing');
  t.same((await figures(ledger)).report, changed.everyMessage, 'after folding');

  // Rows of a day with no partition go to DEFAULT, and move when their day's partition is made.
  const dayAfter = to + 3 * 86_400_000;
  await insertMessages(ledger, [dayAfter, dayAfter + hour], 'late-');
  const inDefault = await figures(ledger);
  t.same(inDefault.report, inDefault.everyMessage, 'rows in the DEFAULT partition');
  const moved = await ledger.retention.createPartitionsAhead(dayAfter);
  t.ok(moved.moved > 0, `rows moved into their day's partition (${moved.moved})`);
  t.same((await figures(ledger)).report, inDefault.everyMessage, 'after the move: the same figures');

  // Retention drops the window's first day, keeping its open messages (copied back into DEFAULT).
  const pruned = await ledger.retention.pruneOlderThan(Math.ceil(from / 86_400_000) * 86_400_000);
  t.ok(pruned.messages > 0, `a day dropped (${pruned.messages} messages)`);
  const dropped = await figures(ledger);
  t.same(dropped.report, dropped.everyMessage, 'after a day was dropped, its open messages kept');
});
