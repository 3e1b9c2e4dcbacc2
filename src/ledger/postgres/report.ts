import type { Pool } from 'pg';
import type { NeedsActionRows } from '../decide-needs-action.js';
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
import { firstRowIdOfDay, rowIdsWithin } from './partitions.js';
import { inTransaction } from './transaction.js';

/** What the reconciliation report reads from the ledger for one window [from, to) (epoch ms); as src/ledger/sqlite/report.ts. */

/** A message `alias` created in the window [$1, $2) (or [from, to)): its ids name its days, so only their partitions are read. */
const messageInWindow = (alias: string, from = '$1', to = '$2') =>
  `${alias}.created_at >= ${from} AND ${alias}.created_at < ${to} AND ${rowIdsWithin(`${alias}.id`, from, to)}`;

/**
 * The channels whose counts the report reads (messageFigures); migration 005's messages_report
 * index holds exactly their rows, and migration 006's triggers count exactly theirs.
 */
const countedChannelNames = ['crm.command', 'mes.command', 'mes.event'];
const countedChannels = `(${countedChannelNames.map((channel) => `'${channel}'`).join(', ')})`;

/** Settings of the report's read-only transactions (figures: bench/RESULTS.md, 2026-12-06 17:30). */
const reportSettings = [
  // The latency query's hash join and percentile sorts over a day of a 10 M-message ledger spill to
  // disk at the default 4 MB.
  "SET LOCAL work_mem = '64MB'",
  // The window's commands and MES events are read from messages_report alone (index-only scans); at
  // the default 4 the planner seq scans the days' partitions instead, for 2.5x the CPU.
  'SET LOCAL random_page_cost = 1.1',
];

const hourMs = 3_600_000;

/**
 * Every count by channel and state the report uses, in one query ($1, $2: the window; $3, $4: the
 * whole hours in it, as epoch ms, $3 = $4 when there are none). The counted channels' whole hours
 * from message_counts (kept by the writes, migration 006), the minutes before the first whole hour
 * and after the last from messages_report (index-only); the other channels' only where
 * messageFigures reads them (invalid, dead-lettered: through messages_needs_action).
 */
const countsByChannelState = (() => {
  const scanned = (from: string, to: string, channels: string) => `
      SELECT channel, state, COUNT(*) AS n, COUNT(*) FILTER (WHERE attempts > 1) AS reforwarded,
        COUNT(*) FILTER (WHERE reason LIKE 'evidence:%') AS by_evidence
      FROM messages m WHERE ${messageInWindow('m', from, to)} AND ${channels}
      GROUP BY channel, state`;
  // One scan per channel: messages_report's key starts with the channel, and a condition on every
  // channel it holds is implied by its predicate, so PostgreSQL drops it and reads the whole day's
  // index for minutes of it (265 ms against 30 ms for 55 minutes of a 10 M-message ledger).
  const counted = (from: string, to: string) =>
    countedChannelNames.map((channel) => `UNION ALL ${scanned(from, to, `channel = '${channel}'`)}`).join('\n');
  return `
    SELECT channel, state, SUM(n)::int AS n, SUM(reforwarded)::int AS reforwarded, SUM(by_evidence)::int AS "byEvidence"
    FROM (
      SELECT channel, state, n, reforwarded, by_evidence FROM message_counts
      WHERE hour >= $3::bigint / ${hourMs} AND hour < $4::bigint / ${hourMs}
      ${counted('$1', '$3')}
      ${counted('$4', '$2')}
      UNION ALL ${scanned('$1', '$2', `channel NOT IN ${countedChannels} AND state IN ('invalid', 'dead_lettered')`)}
    ) AS counts
    GROUP BY channel, state HAVING SUM(n) <> 0`;
})();

/** The whole hours of [from, to) as [first, end) in epoch ms; [to, to) when it holds none. */
function wholeHours(from: number, to: number): [number, number] {
  const [first, end] = [Math.ceil(from / hourMs) * hourMs, Math.floor(to / hourMs) * hourMs];
  return first < end ? [first, end] : [to, to];
}

/** The figures messageFigures makes of the counts by channel and state. */
type MessageFigure = keyof ReturnType<typeof messageFigures>;

/** Runs one query of a report transaction and paces after it. */
type Read = <T>(text: string, values: unknown[]) => Promise<T[]>;

/**
 * Every query is bounded by the window on an indexed time column (messages.created_at,
 * journal.at) and reads only the partitions of the window's days, so a day's report stays fast on
 * a large ledger. Two transactions side by side, each running its queries one after another: the
 * counts by channel and state (and the rows they call for), and the latencies and the rest (each
 * about half of a day's work on a 10 M-message ledger, bench/RESULTS.md). The report holds two of
 * the pool's connections at most (a gateway's commits take theirs from the same pool). `between`
 * runs after each query: the report paces itself there so that it never holds the CPU for long.
 */
export async function readReportRows(
  pool: Pool,
  from: number,
  to: number,
  unconfirmedBefore: number,
  between: () => Promise<void> = async () => {},
): Promise<ReportRows> {
  const [counted, rest] = await Promise.all([
    inReportTransaction(pool, between, (read) => readCounts(read, from, to)),
    inReportTransaction(pool, between, async (read) => ({
      acks: await readAckLatencies(read, from, to),
      ...(await readOtherRows(read, from, to, unconfirmedBefore)),
    })),
  ]);
  return { ...counted, ...rest };
}

/** `body` on one connection of `pool`, in a read-only transaction with the report's settings. */
function inReportTransaction<T>(
  pool: Pool,
  between: () => Promise<void>,
  body: (read: Read) => Promise<T>,
): Promise<T> {
  return inTransaction(pool, 'BEGIN READ ONLY', async (client) => {
    for (const setting of reportSettings) await client.query(setting);
    return body(async <R>(text: string, values: unknown[]) => {
      const { rows } = await client.query(text, values);
      await between();
      return rows as R[];
    });
  });
}

/**
 * How long after forwarding the window's commands were answered. Percentiles computed by the server
 * (percentile_disc: nearest rank), of the window and of each bucket of the series by when the answer
 * came: the rows themselves never leave it. A CRM command and the MES command it becomes are recorded
 * in one unit at one time (record-intake.ts), so the command's own created_at is when it was
 * forwarded: its rows alone, from messages_report (index-only), without a join to the MES command's.
 */
async function readAckLatencies(read: Read, from: number, to: number): Promise<ReportRows['acks']> {
  const { bucketMs, end } = seriesBuckets(from, to);
  const rows = await read<AckLatencyRow>(
    `
      WITH acks AS (
        SELECT GREATEST(0, i.updated_at - i.created_at) AS ms,
          CASE WHEN i.updated_at >= $1 AND i.updated_at < $4 THEN (i.updated_at - $1) / $3 END AS bucket
        FROM messages i
        WHERE ${messageInWindow('i')} AND i.channel = 'crm.command' AND i.state IN ('acknowledged', 'rejected', 'failed')
          AND (i.reason IS NULL OR i.reason NOT LIKE 'evidence:%'))
      SELECT GROUPING(bucket) AS overall, bucket::int AS bucket, COUNT(*)::int AS n,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_disc(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
        percentile_disc(0.99) WITHIN GROUP (ORDER BY ms) AS p99, MAX(ms) AS max
      FROM acks GROUP BY GROUPING SETS ((), (bucket))`,
    [from, to, bucketMs, end],
  );
  return ackLatencies(rows, from, to);
}

/** The window's counts by channel and state, and the lost and evidence-closed commands they call for. */
async function readCounts(
  read: Read,
  from: number,
  to: number,
): Promise<Pick<ReportRows, MessageFigure | 'lostCommands' | 'ackedByEvidence'>> {
  const all = <T>(text: string) => read<T>(text, [from, to]);
  const byChannelState = await read<ChannelStateCount>(countsByChannelState, [from, to, ...wholeHours(from, to)]);
  return {
    ...messageFigures(byChannelState),
    lostCommands: !byChannelState.some((row) => row.channel === 'crm.command' && row.state === 'lost')
      ? []
      : await all(`
      SELECT m.order_id AS "orderId", m.updated_at AS at, m.reason AS reason, o.status AS status
      FROM messages m JOIN orders o ON o.order_id = m.order_id
      WHERE ${messageInWindow('m')} AND m.channel = 'crm.command' AND m.state = 'lost' ORDER BY m.id`),
    // Both subqueries walk one order's journal (journal_order index); only commands closed by evidence.
    ackedByEvidence: !anyClosedByEvidence(byChannelState)
      ? []
      : await all(`
      SELECT m.order_id AS "orderId", m.updated_at AS at, m.reason AS reason, o.status AS status,
        (SELECT j.detail::jsonb ->> 'mesState' FROM journal j
          WHERE j.order_id = m.order_id AND j.kind = 'command_accepted' AND j.detail::jsonb ->> 'commandId' = m.message_id ORDER BY j.id LIMIT 1) AS "mesState",
        ARRAY(SELECT j.detail::jsonb ->> 'mesState' FROM journal j
          WHERE j.order_id = m.order_id AND j.kind = 'out_of_order' AND j.at >= m.updated_at AND j.detail::jsonb ->> 'mesState' IS NOT NULL ORDER BY j.id) AS "laterOutOfOrder"
      FROM messages m JOIN orders o ON o.order_id = m.order_id
      WHERE ${messageInWindow('m')} AND m.channel = 'crm.command' AND m.reason LIKE 'evidence:%' ORDER BY m.id`),
  };
}

/** Everything else the report reads: orders by status, duplicates, unconfirmed events, quarantines, flags. */
async function readOtherRows(
  read: Read,
  from: number,
  to: number,
  unconfirmedBefore: number,
): Promise<Omit<ReportRows, MessageFigure | 'lostCommands' | 'ackedByEvidence' | 'acks'>> {
  const all = <T>(text: string, values: unknown[] = [from, to]) => read<T>(text, values);
  const inWindow = 'created_at >= $1 AND created_at < $2';
  return {
    oldestRecord: (await all<{ at: number | null }>('SELECT MIN(created_at) AS at FROM messages', []))[0]?.at ?? null,
    duplicates: (
      await all<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM journal WHERE at >= $1 AND at < $2 AND kind = 'duplicate_delivery'`,
      )
    )[0]!.n,
    ordersByStatus: countsBy(
      await all(`SELECT status, COUNT(*)::int AS n FROM orders WHERE ${inWindow} GROUP BY status`),
      'status',
    ),
    stuckByStatus: countsBy(
      await all(`SELECT status, COUNT(*)::int AS n FROM orders WHERE attention = 'stuck' GROUP BY status`, []),
      'status',
    ),
    unconfirmedEvents: await all(
      `
      SELECT m.order_id AS "orderId", MIN(m.created_at) AS at, COUNT(*)::int AS count,
        string_agg(DISTINCT m.type, ',') AS types, o.status AS status
      FROM messages m JOIN orders o ON o.order_id = m.order_id
      WHERE m.state = 'pending' AND m.channel = 'order.event' AND ${messageInWindow('m')}
      GROUP BY m.order_id, o.status ORDER BY MIN(m.id)`,
      [from, Math.min(to, unconfirmedBefore)],
    ),
    duplicateDeliveries: await all(`
      SELECT order_id AS "orderId", MIN(at) AS at, COUNT(*)::int AS count FROM journal
      WHERE at >= $1 AND at < $2 AND kind = 'duplicate_delivery' AND order_id IS NOT NULL GROUP BY order_id ORDER BY MIN(id)`),
    unknownStates: (
      await all<{ orderId: string; at: number; detail: string }>(`
      SELECT order_id AS "orderId", at, detail FROM journal WHERE at >= $1 AND at < $2 AND kind = 'quarantined' AND order_id IS NOT NULL ORDER BY id`)
    ).map(quarantine),
    attention: await all(
      `SELECT order_id AS "orderId", status, attention, attention_since AS since FROM orders WHERE attention IS NOT NULL ORDER BY attention_since`,
      [],
    ),
  };
}

function quarantine(row: { orderId: string; at: number; detail: string }) {
  const detail = JSON.parse(row.detail) as { mesState?: string; reason?: string };
  return { orderId: row.orderId, at: row.at, mesState: detail.mesState ?? '', reason: detail.reason ?? '' };
}

/**
 * What may make an order need a person, for the window [from, to) (epoch ms), as
 * src/ledger/sqlite/needs-action.ts reads it: attention flags as they are now; quarantines, dead
 * letters and unanswered rejections by when they happened.
 */
export async function readNeedsActionRows(pool: Pool, from: number, to: number): Promise<NeedsActionRows> {
  const all = async <T>(text: string, values: unknown[] = [from, to]) => (await pool.query(text, values)).rows as T[];
  const flagged = await all<NeedsActionRows['flagged'][number]>(
    'SELECT order_id AS "orderId", attention, attention_since AS since FROM orders WHERE attention IS NOT NULL ORDER BY attention_since',
    [],
  );
  const quarantined = (
    await all<{ orderId: string; at: number; detail: string }>(`
    SELECT order_id AS "orderId", at, detail FROM journal
    WHERE at >= $1 AND at < $2 AND kind = 'quarantined' AND order_id IS NOT NULL ORDER BY id`)
  ).map(quarantine);
  // A replayed letter gave up its message id (#refused-<row>): it is the replay's business now.
  const deadLettered = await all<NeedsActionRows['deadLettered'][number]>(`
    SELECT m.order_id AS "orderId", m.updated_at AS at, COALESCE(m.reason, '') AS reason FROM messages m
    WHERE ${messageInWindow('m')} AND direction = 'in' AND state IN ('invalid', 'dead_lettered')
      AND order_id IS NOT NULL AND message_id NOT LIKE '%#refused-%' ORDER BY id`);
  // A failure the MES recovered from (the order left failed) needs nobody; a rejection is final.
  // A later message of the order is no older than the window's first day (a.id > m.id): naming
  // that day spares the look-up the partitions before it (2.0 s against 0.55 s for a day of a
  // 10 M-message ledger, measured here).
  const unanswered = await all<NeedsActionRows['unanswered'][number]>(`
    SELECT m.order_id AS "orderId", m.updated_at AS at, m.state AS outcome, m.reason AS reason, m.type AS command FROM messages m
    WHERE ${messageInWindow('m')} AND m.channel = 'crm.command' AND m.state IN ('rejected', 'failed')
      AND (m.state = 'rejected' OR EXISTS (SELECT 1 FROM orders o WHERE o.order_id = m.order_id AND o.status = 'failed'))
      AND NOT EXISTS (SELECT 1 FROM messages a WHERE a.order_id = m.order_id AND a.id > m.id AND a.id >= ${firstRowIdOfDay('$1')}
        AND a.channel IN ('crm.command', 'crm.fact') AND a.state NOT IN ('invalid', 'dead_lettered'))
    ORDER BY m.id`);
  const ids = [...new Set([...flagged, ...quarantined, ...deadLettered, ...unanswered].map((row) => row.orderId))];
  // The last MES state each order reached: its newest journal entry naming one (journal_order index).
  // One look-up per order (19,375 in a day of a 10 M-message ledger): two halves on two connections.
  const halves = [ids.slice(0, ids.length >> 1), ids.slice(ids.length >> 1)].filter((half) => half.length);
  const orders = (
    await Promise.all(
      halves.map((half) =>
        all<NeedsActionRows['orders'][number]>(
          `
    SELECT o.order_id AS "orderId", o.status AS status,
      (SELECT j.detail::jsonb ->> 'mesState' FROM journal j
        WHERE j.order_id = o.order_id AND j.kind <> 'out_of_order' AND j.detail::jsonb ->> 'mesState' IS NOT NULL
        ORDER BY j.id DESC LIMIT 1) AS "mesState"
    FROM orders o WHERE o.order_id = ANY($1::text[])`,
          [half],
        ),
      ),
    )
  ).flat();
  return { flagged, quarantined, deadLettered, unanswered, orders };
}
