/* Generated from contracts/ops/report.schema.json by npm run contracts. Do not edit: change the schema. */

export type Count = number;
export type ActionReason = 'lost' | 'stuck' | 'quarantined' | 'dead_lettered' | 'rejected' | 'failed';
/**
 * Its external status; absent when the ledger holds no such order (an MES event for an order that never came through the gateway).
 */
export type OrderStatus =
  | 'received'
  | 'accepted'
  | 'in_production'
  | 'on_hold'
  | 'failed'
  | 'ready'
  | 'shipped'
  | 'delivered'
  | 'rejected'
  | 'cancelled';
/**
 * The one external order status that the CRM, the online shop and the partners see. The allowed moves between statuses are in status-model.json.
 */
export type OrderStatus1 =
  | 'received'
  | 'accepted'
  | 'in_production'
  | 'on_hold'
  | 'failed'
  | 'ready'
  | 'shipped'
  | 'delivered'
  | 'rejected'
  | 'cancelled';
export type Ms = number | null;
/**
 * The one external order status that the CRM, the online shop and the partners see. The allowed moves between statuses are in status-model.json.
 */
export type OrderStatus2 =
  | 'received'
  | 'accepted'
  | 'in_production'
  | 'on_hold'
  | 'failed'
  | 'ready'
  | 'shipped'
  | 'delivered'
  | 'rejected'
  | 'cancelled';

/**
 * The ledger reconciliation report for a time window (orderbridge report --format json, GET /ops/report): first the orders that need a person, then what went through, what went wrong, and every discrepancy with a suggested action.
 */
export interface ReconciliationReport {
  generatedAt: string;
  /**
   * Every order that needs a person, each once, the most urgent first: the MES does not know the order, then lost, then stuck (the oldest first), then a quarantined MES event, a dead letter, a rejection or failure the CRM has not answered. Flags count as they are now, the rest when it happened in the window. total is the report's headline number, and what the gauge orderbridge_orders_needing_action shows for the last 24 h (src/ledger/decide-needs-action.ts defines both).
   */
  needsAction: {
    total: Count;
    /**
     * Orders by reason (an order with two reasons counts under both).
     */
    byReason: {
      [k: string]: Count;
    };
    items: ActionItem[];
  };
  window: {
    from: string;
    to: string;
  };
  /**
   * What the ledger can cover: rows older than the retention are pruned, so a window reaching before oldestRecord is incomplete.
   */
  coverage: {
    oldestRecord: string | null;
    retentionDays: number;
    complete: boolean;
  };
  /**
   * CRM commands received in the window, by what became of them.
   */
  commands: {
    received: Count;
    forwarded: Count;
    acknowledged: Count;
    rejected: Count;
    failed: Count;
    /**
     * Commands the watchdog forwarded to the MES more than once.
     */
    redelivered: number;
    lost: Count;
    /**
     * Forwarded and still waiting for the MES's acknowledgement.
     */
    open: number;
  };
  events: {
    /**
     * MES events consumed.
     */
    consumed: number;
    /**
     * Deliveries of a message already in the ledger (any input).
     */
    duplicates: number;
    outOfOrder: Count;
    quarantined: Count;
    invalid: Count;
    /**
     * Messages of any input sent to the dead-letter exchange (invalid ones included).
     */
    deadLettered: number;
  };
  ordersByStatus: CountsByStatus;
  stuckByStatus: CountsByStatus1;
  /**
   * From forwarding a command to the MES to its acknowledgement, over commands received in the window; null without acknowledgements.
   */
  ackLatencyMs: {
    count: Count;
    p50: Ms;
    p90: Ms;
    p99: Ms;
    max: Ms;
  };
  /**
   * Acknowledgements and their latency over the window, in equal buckets.
   */
  series: {
    bucketMs: number;
    /**
     * @maxItems 500
     */
    buckets: {
      start: string;
      acknowledged: Count;
      p50Ms: Ms;
      p99Ms: Ms;
    }[];
  };
  /**
   * The discrepancies that need an operator's action: the most urgent kind first (missing_in_mes first), the oldest first within a kind. The informational kinds are in informational.
   */
  discrepancies: Discrepancy[];
  /**
   * Discrepancies that need no action, as the ledger absorbed them (duplicate_seen, acknowledged_out_of_order): counted by kind; items lists each one, for a drill-down.
   */
  informational: {
    total: Count;
    byKind: {
      duplicate_seen?: Count;
      acknowledged_out_of_order?: Count;
    };
    items: Discrepancy[];
  };
  /**
   * Active reconciliation: how many lost or flagged orders were checked against the MES API.
   */
  reconciliation: {
    asked: Count;
    answered: Count;
    /**
     * Lost or flagged orders not asked about: beyond the look-up limit, or reconciliation turned off.
     */
    notAsked: number;
    /**
     * At most this many look-ups per report (orderbridge report --max-lookups N); null: reconciliation turned off (--no-reconcile).
     */
    limit: Count | null;
  };
}
export interface ActionItem {
  orderId: string;
  /**
   * When the order first needed a person (the earliest of its reasons).
   */
  since: string;
  /**
   * How long it has needed a person when the report was generated.
   */
  forMs: number;
  /**
   * Why it needs a person, the most urgent first.
   *
   * @minItems 1
   */
  reasons: ActionReason[];
  status?: OrderStatus;
  /**
   * The last MES state the gateway heard for it; null: none yet.
   */
  mesState: string | null;
  /**
   * What the MES API said when asked; when not asked, why not.
   */
  mes: {
    asked: boolean;
    knows?: boolean;
    state?: string;
    status?: OrderStatus1;
    error?: string;
    /**
     * reconciliation_off: --no-reconcile, or the dialect has no order look-up; over_limit: beyond --max-lookups; not_lost_or_stuck: only lost and stuck orders are looked up.
     */
    notAskedBecause?: 'reconciliation_off' | 'over_limit' | 'not_lost_or_stuck';
  };
  /**
   * Why its message was dead-lettered.
   */
  deadLetterReason?: string;
  /**
   * Why its MES event was quarantined, where it was.
   */
  detail?: string;
  /**
   * Which action is suggested (action is its text in the report's language).
   */
  suggestion:
    | 'resend_to_mes'
    | 'check_event_path'
    | 'check_mes_has_it'
    | 'check_missed_event'
    | 'check_mes_progress'
    | 'check_stuck'
    | 'map_mes_state'
    | 'check_unknown_order'
    | 'replay_dead_letter'
    | 'answer_rejection'
    | 'answer_refused_change'
    | 'answer_failure';
  action: string;
}
/**
 * Orders created in the window, by their external status now.
 */
export interface CountsByStatus {
  [k: string]: Count;
}
/**
 * Orders flagged stuck now, by status.
 */
export interface CountsByStatus1 {
  [k: string]: Count;
}
export interface Discrepancy {
  /**
   * missing_in_mes: an order flagged stuck or lost that the MES API says it does not have (the MES lost it); command_never_acknowledged: lost before or inside the MES; acknowledgement_lost: the MES knows the order but its acknowledgement never arrived; status_diverged: the gateway's status is behind the MES's; crm_not_informed: an external event not confirmed by the broker; duplicate_seen (informational): a message delivered more than once; unknown_mes_state: an MES state the mapping does not know; acknowledged_out_of_order (informational): a later MES state arrived before the acknowledging one and acknowledged the command (nothing was lost).
   */
  kind:
    | 'missing_in_mes'
    | 'command_never_acknowledged'
    | 'acknowledgement_lost'
    | 'status_diverged'
    | 'crm_not_informed'
    | 'duplicate_seen'
    | 'unknown_mes_state'
    | 'acknowledged_out_of_order';
  orderId: string;
  since: string;
  detail: string;
  action: string;
  status?: OrderStatus2;
  /**
   * What the MES API said when asked (active reconciliation).
   */
  mes?: {
    asked: boolean;
    knows?: boolean;
    state?: string;
    status?: OrderStatus1;
    error?: string;
  };
}
