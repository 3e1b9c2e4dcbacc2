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
  /** Acknowledged, rejected or failed commands: when the answer came and how long after forwarding (ms). */
  acks: { at: number; ms: number }[];
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
