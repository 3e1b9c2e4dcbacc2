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
