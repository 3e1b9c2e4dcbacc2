import type { Database } from 'better-sqlite3';
import {
  type AckLatencyRow,
  ackLatencies,
  anyClosedByEvidence,
  type ChannelStateCount,
  countsBy,
  messageFigures,
  type ReportRows,
  seriesBuckets,
} from '../report-rows.js';

/** What the reconciliation report reads from the ledger for one window [from, to) (epoch ms). */

/**
 * The states of a message that ended badly, as the partial index messages_needs_action (migration 005)
 * states them: a query naming this very term, of the table or its alias `table`, can read only those
 * rows, not every message of the window. Comparisons joined by OR, not an IN list: see migration 005.
 */
export const needsActionState = (table?: string): string => {
  const state = table ? `${table}.state` : 'state';
  return `(${['rejected', 'failed', 'lost', 'invalid', 'dead_lettered'].map((s) => `${state} = '${s}'`).join(' OR ')})`;
};

/**
 * Every query is bounded by the window on an indexed time column (messages.created_at,
 * journal.at), so a day's report stays fast on a ledger of millions of rows. `between` runs
 * between two queries: the report paces itself there so that it never holds the CPU for long.
 */
export async function readReportRows(
  db: Database,
  from: number,
  to: number,
  unconfirmedBefore: number,
  between: () => Promise<void> = async () => {},
): Promise<ReportRows> {
  const window = { from, to };
  const { bucketMs, end } = seriesBuckets(from, to);
  const one = <T>(sql: string, params: object = window) => db.prepare(sql).get(params) as T;
  const all = <T>(sql: string, params: object = window) => db.prepare(sql).all(params) as T[];
  const inWindow = 'created_at >= @from AND created_at < @to';
  const step = async <T>(query: () => T): Promise<T> => {
    const result = query();
    await between();
    return result;
  };
  // One pass over the window's messages for every count by channel and state. The window's rows are
  // read in rowid order between its first and last id (found in messages_created alone), not looked
  // up one by one through that index: half the CPU over a day of 500,000 messages. Exact whatever the
  // order of ids; fast because the gateway writes ids in the order of created_at.
  const byChannelState = await step(() =>
    all<ChannelStateCount>(
      `WITH span AS (SELECT MIN(id) AS first, MAX(id) AS last FROM messages INDEXED BY messages_created WHERE ${inWindow})
      SELECT channel, state, COUNT(*) AS n, SUM(attempts > 1) AS reforwarded, SUM(reason LIKE 'evidence:%') AS byEvidence
      FROM span, messages NOT INDEXED WHERE messages.id BETWEEN span.first AND span.last AND ${inWindow} GROUP BY channel, state`,
    ),
  );
  return {
    ...messageFigures(byChannelState),
    oldestRecord: await step(() => one<{ at: number | null }>('SELECT MIN(created_at) AS at FROM messages', {}).at),
    duplicates: await step(
      () =>
        one<{ n: number }>(
          `SELECT COUNT(*) AS n FROM journal WHERE at >= @from AND at < @to AND kind = 'duplicate_delivery'`,
        ).n,
    ),
    ordersByStatus: await step(() =>
      countsBy(all(`SELECT status, COUNT(*) AS n FROM orders WHERE ${inWindow} GROUP BY status`), 'status'),
    ),
    stuckByStatus: await step(() =>
      countsBy(all(`SELECT status, COUNT(*) AS n FROM orders WHERE attention = 'stuck' GROUP BY status`, {}), 'status'),
    ),
    // Nearest-rank percentiles by row number (SQLite's percentile() interpolates), of the window and
    // of each bucket of the series by when the answer came: the rows themselves never leave SQLite.
    // A CRM command and its MES command are recorded in one unit at one time (record-intake.ts):
    // the command's created_at is when it was forwarded, no join to the MES command's row needed.
    acks: await step(() =>
      ackLatencies(
        all<AckLatencyRow>(
          `
      WITH acks AS (
        SELECT MAX(0, i.updated_at - i.created_at) AS ms,
          CASE WHEN i.updated_at >= @from AND i.updated_at < @end THEN CAST((i.updated_at - @from) / @bucketMs AS INTEGER) END AS bucket
        FROM messages i INDEXED BY messages_created
        WHERE i.created_at >= @from AND i.created_at < @to AND i.channel = 'crm.command' AND i.state IN ('acknowledged', 'rejected', 'failed')
          AND (i.reason IS NULL OR i.reason NOT LIKE 'evidence:%')),
      ranked AS (
        SELECT ms, bucket, ROW_NUMBER() OVER (ORDER BY ms) AS rank, COUNT(*) OVER () AS n,
          ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY ms) AS bucketRank, COUNT(*) OVER (PARTITION BY bucket) AS bucketN
        FROM acks)
      SELECT 1 AS overall, NULL AS bucket, COUNT(*) AS n,
        MAX(CASE WHEN rank = ${nearestRank(50, 'n')} THEN ms END) AS p50, MAX(CASE WHEN rank = ${nearestRank(90, 'n')} THEN ms END) AS p90,
        MAX(CASE WHEN rank = ${nearestRank(99, 'n')} THEN ms END) AS p99, MAX(ms) AS max
      FROM ranked
      UNION ALL
      SELECT 0, bucket, COUNT(*), MAX(CASE WHEN bucketRank = ${nearestRank(50, 'bucketN')} THEN ms END), NULL,
        MAX(CASE WHEN bucketRank = ${nearestRank(99, 'bucketN')} THEN ms END), NULL
      FROM ranked WHERE bucket IS NOT NULL GROUP BY bucket`,
          { from, to, bucketMs, end },
        ),
        from,
        to,
      ),
    ),
    lostCommands: !byChannelState.some((row) => row.channel === 'crm.command' && row.state === 'lost')
      ? []
      : await step(() =>
          all(`
      SELECT m.order_id AS orderId, m.updated_at AS at, m.reason AS reason, o.status AS status
      FROM messages m INDEXED BY messages_needs_action JOIN orders o ON o.order_id = m.order_id
      WHERE m.created_at >= @from AND m.created_at < @to AND m.channel = 'crm.command' AND m.state = 'lost' AND ${needsActionState('m')}
      ORDER BY m.id`),
        ),
    // Both subqueries walk one order's journal (journal_order index); only commands closed by evidence.
    ackedByEvidence: !anyClosedByEvidence(byChannelState)
      ? []
      : await step(() =>
          all<{
            orderId: string;
            at: number;
            reason: string;
            status: string;
            mesState: string | null;
            laterOutOfOrder: string;
          }>(`
      SELECT m.order_id AS orderId, m.updated_at AS at, m.reason AS reason, o.status AS status,
        (SELECT json_extract(j.detail, '$.mesState') FROM journal j
          WHERE j.order_id = m.order_id AND j.kind = 'command_accepted' AND json_extract(j.detail, '$.commandId') = m.message_id ORDER BY j.id LIMIT 1) AS mesState,
        (SELECT json_group_array(state) FROM (SELECT json_extract(j.detail, '$.mesState') AS state FROM journal j
          WHERE j.order_id = m.order_id AND j.kind = 'out_of_order' AND j.at >= m.updated_at AND json_extract(j.detail, '$.mesState') IS NOT NULL ORDER BY j.id)) AS laterOutOfOrder
      FROM messages m INDEXED BY messages_created JOIN orders o ON o.order_id = m.order_id
      WHERE m.created_at >= @from AND m.created_at < @to AND m.channel = 'crm.command' AND m.reason LIKE 'evidence:%' ORDER BY m.id`).map(
            (row) => ({ ...row, laterOutOfOrder: JSON.parse(row.laterOutOfOrder) as string[] }),
          ),
        ),
    unconfirmedEvents: await step(() =>
      all(
        `
      SELECT m.order_id AS orderId, MIN(m.created_at) AS at, COUNT(*) AS count, GROUP_CONCAT(DISTINCT m.type) AS types, o.status AS status
      FROM messages m JOIN orders o ON o.order_id = m.order_id
      WHERE m.state = 'pending' AND m.channel = 'order.event' AND m.created_at >= @from AND m.created_at < @before
      GROUP BY m.order_id ORDER BY MIN(m.id)`,
        { from, before: Math.min(to, unconfirmedBefore) },
      ),
    ),
    duplicateDeliveries: await step(() =>
      all(`
      SELECT order_id AS orderId, MIN(at) AS at, COUNT(*) AS count FROM journal
      WHERE at >= @from AND at < @to AND kind = 'duplicate_delivery' AND order_id IS NOT NULL GROUP BY order_id ORDER BY MIN(id)`),
    ),
    unknownStates: await step(() =>
      all<{ orderId: string; at: number; detail: string }>(`
      SELECT order_id AS orderId, at, detail FROM journal WHERE at >= @from AND at < @to AND kind = 'quarantined' AND order_id IS NOT NULL ORDER BY id`).map(
        (row) => {
          const detail = JSON.parse(row.detail) as { mesState?: string; reason?: string };
          return { orderId: row.orderId, at: row.at, mesState: detail.mesState ?? '', reason: detail.reason ?? '' };
        },
      ),
    ),
    attention: await step(() =>
      all(
        `SELECT order_id AS orderId, status, attention, attention_since AS since FROM orders WHERE attention IS NOT NULL ORDER BY attention_since`,
        {},
      ),
    ),
  };
}

/** The 1-based rank of the nearest-rank percentile p of `n` rows: ceil(p/100·n), at least 1 (as JS computes it, in doubles). */
function nearestRank(p: number, n: string): string {
  return `MAX(1, CAST(ceil(${p / 100} * ${n}) AS INTEGER))`;
}
