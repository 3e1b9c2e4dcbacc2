// What the reconciliation report reads from the ledger for one window, whatever its driver.

/** The ledger's raw figures for a report window: counts, latencies and the rows behind each discrepancy. */
export interface ReportRows {
  oldestRecord: number | null;
  commandsByState: Record<string, number>;
  reforwarded: number;
  eventsConsumed: number;
  eventsByState: Record<string, number>;
  duplicates: number;
  invalid: number;
  deadLettered: number;
  ordersByStatus: Record<string, number>;
  stuckByStatus: Record<string, number>;
  /** How long after forwarding the window's commands were acknowledged, rejected or failed (ms). */
  acks: AckLatencies;
  /** Candidates for discrepancies, each with the order's current status. */
  lostCommands: { orderId: string; at: number; reason: string | null; status: string }[];
  /**
   * Commands closed as accepted without their answer: by a later MES state (`mesState`), or by the
   * watchdog's MES API look-up (`mesState` null). `laterOutOfOrder`: the MES states of the order's
   * events that arrived after that, out of order, the first first (the late answer among them).
   */
  ackedByEvidence: {
    orderId: string;
    at: number;
    reason: string;
    status: string;
    mesState: string | null;
    laterOutOfOrder: string[];
  }[];
  /** Per order: its order events the broker has not confirmed, the oldest first. */
  unconfirmedEvents: { orderId: string; at: number; count: number; types: string; status: string }[];
  duplicateDeliveries: { orderId: string; at: number; count: number }[];
  unknownStates: { orderId: string; at: number; mesState: string; reason: string }[];
  /** Orders flagged lost or stuck: the ones whose status the MES is asked about. */
  attention: { orderId: string; status: string; attention: string; since: number }[];
}

/** `{ [row[key]]: row.n }` of counted rows. */
export function countsBy(rows: object[], key: string): Record<string, number> {
  return Object.fromEntries((rows as Record<string, string | number>[]).map((r) => [String(r[key]), Number(r.n)]));
}

/** The window's messages counted by channel and state (one pass), with those sent more than once. */
export interface ChannelStateCount {
  channel: string;
  state: string;
  n: number;
  reforwarded: number;
  /** Closed as accepted by evidence (a later MES state, the MES API), not by the MES's answer. */
  byEvidence: number;
}

/** Whether any CRM command of the window was closed by evidence (else the report need not look them up). */
export function anyClosedByEvidence(byChannelState: ChannelStateCount[]): boolean {
  return byChannelState.some((row) => row.channel === 'crm.command' && Number(row.byEvidence) > 0);
}

/** The report's message figures from the window's counts by channel and state. */
export function messageFigures(
  byChannelState: ChannelStateCount[],
): Pick<
  ReportRows,
  'commandsByState' | 'reforwarded' | 'eventsConsumed' | 'eventsByState' | 'invalid' | 'deadLettered'
> {
  const total = (rows: ChannelStateCount[], value: (row: ChannelStateCount) => number) =>
    rows.reduce((sum, row) => sum + Number(value(row)), 0);
  const ofChannel = (channel: string) => byChannelState.filter((row) => row.channel === channel);
  const inStates = (...states: string[]) => byChannelState.filter((row) => states.includes(row.state));
  return {
    commandsByState: countsBy(ofChannel('crm.command'), 'state'),
    reforwarded: total(ofChannel('mes.command'), (row) => row.reforwarded),
    eventsConsumed: total(ofChannel('mes.event'), (row) => row.n),
    eventsByState: countsBy(ofChannel('mes.event'), 'state'),
    invalid: total(inStates('invalid'), (row) => row.n),
    deadLettered: total(inStates('invalid', 'dead_lettered'), (row) => row.n),
  };
}

/** The report's series splits its window into this many buckets (the last one may be shorter). */
const bucketCount = 48;

/** The length of one bucket of the report's series over the window [from, to) (ms). */
export function bucketMsOf(from: number, to: number): number {
  return Math.max(1, Math.ceil((to - from) / bucketCount));
}

/** The series' buckets over [from, to): their length, how many, and the end of the last one. */
export function seriesBuckets(from: number, to: number): { bucketMs: number; count: number; end: number } {
  const bucketMs = bucketMsOf(from, to);
  const count = Math.ceil((to - from) / bucketMs);
  return { bucketMs, count, end: from + count * bucketMs };
}

/** Nearest-rank percentiles (`sorted[ceil(p/100·n) - 1]`) of a set of latencies; null when empty. */
export interface LatencyFigures {
  count: number;
  p50: number | null;
  p99: number | null;
}

export interface AckLatencies extends LatencyFigures {
  p90: number | null;
  max: number | null;
  /** By when the answer came: bucket i holds those answered in [from + i·bucketMs, from + (i+1)·bucketMs). */
  buckets: LatencyFigures[];
}

/**
 * One row of a driver's latency query: the window's figures (`bucket` null, `overall` 1), or one
 * bucket's (answers after the last bucket, or before the window, are in no bucket).
 */
export interface AckLatencyRow {
  overall: number | boolean;
  bucket: number | null;
  n: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

/** The report's latency figures from a driver's rows (buckets without answers have none). */
export function ackLatencies(rows: AckLatencyRow[], from: number, to: number): AckLatencies {
  const figures = (row: AckLatencyRow | undefined): LatencyFigures => ({
    count: Number(row?.n ?? 0),
    p50: row?.p50 ?? null,
    p99: row?.p99 ?? null,
  });
  const overall = rows.find((row) => Number(row.overall) === 1);
  const byBucket = new Map(
    rows.filter((row) => Number(row.overall) !== 1 && row.bucket !== null).map((row) => [Number(row.bucket), row]),
  );
  return {
    ...figures(overall),
    p90: overall?.p90 ?? null,
    max: overall?.max ?? null,
    buckets: Array.from({ length: seriesBuckets(from, to).count }, (_, i) => figures(byBucket.get(i))),
  };
}
