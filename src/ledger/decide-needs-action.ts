// Which orders need a person: the one definition behind the report's action list, the headline of
// the report and of /ops, and the orderbridge_orders_needing_action gauge the alert rules count.

/** Why an order needs a person. */
export type ActionReason = 'lost' | 'stuck' | 'quarantined' | 'dead_lettered' | 'rejected' | 'failed';

/** What the ledger holds about orders that may need a person, for one window (any driver). */
export interface NeedsActionRows {
  /** Orders flagged lost or stuck now, whenever they were flagged. */
  flagged: { orderId: string; attention: 'lost' | 'stuck'; since: number }[];
  /** MES events of an order quarantined in the window (unknown MES state, unknown order). */
  quarantined: { orderId: string; at: number; mesState: string; reason: string }[];
  /** Messages of an order dead-lettered in the window and not replayed since. */
  deadLettered: { orderId: string; at: number; reason: string }[];
  /** Commands the MES rejected or failed in the window that no later CRM message of the order answered. */
  unanswered: {
    orderId: string;
    at: number;
    outcome: 'rejected' | 'failed';
    reason: string | null;
    /** The CRM command's type (order.create, order.cancel, …). */
    command: string;
  }[];
  /** Each order named above that the ledger holds: its external status and the last MES state it heard. */
  orders: { orderId: string; status: string; mesState: string | null }[];
}

/** One order that needs a person, once, with every reason it does. */
export interface OrderNeedingAction {
  orderId: string;
  /** Reasons, the most urgent first. */
  reasons: ActionReason[];
  /** When the order first needed a person (the earliest of its reasons). */
  since: number;
  /** Absent when the ledger holds no such order (an MES event for an order that never came through). */
  status?: string;
  mesState: string | null;
  deadLetterReason?: string;
  quarantined?: { mesState: string; reason: string };
  outcome?: { kind: 'rejected' | 'failed'; reason: string | null; command: string };
}

const reasonRank: Record<ActionReason, number> = {
  lost: 0,
  stuck: 1,
  quarantined: 2,
  dead_lettered: 3,
  rejected: 4,
  failed: 5,
};

/** Every order in the rows that needs a person, each once, in the order they were first found. */
export function ordersNeedingAction(rows: NeedsActionRows): OrderNeedingAction[] {
  const found = new Map<string, OrderNeedingAction>();
  const note = (orderId: string, reason: ActionReason, at: number, extra: Partial<OrderNeedingAction> = {}) => {
    const order = found.get(orderId) ?? { orderId, reasons: [], since: at, mesState: null };
    if (!order.reasons.includes(reason)) order.reasons.push(reason);
    order.since = Math.min(order.since, at);
    found.set(orderId, { ...extra, ...order });
  };
  for (const flag of rows.flagged) note(flag.orderId, flag.attention, flag.since);
  for (const event of rows.quarantined)
    note(event.orderId, 'quarantined', event.at, { quarantined: { mesState: event.mesState, reason: event.reason } });
  for (const letter of rows.deadLettered)
    note(letter.orderId, 'dead_lettered', letter.at, { deadLetterReason: letter.reason });
  for (const answer of rows.unanswered)
    note(answer.orderId, answer.outcome, answer.at, {
      outcome: { kind: answer.outcome, reason: answer.reason, command: answer.command },
    });
  const orders = new Map(rows.orders.map((order) => [order.orderId, order]));
  return [...found.values()].map((order) => {
    const known = orders.get(order.orderId);
    return {
      ...order,
      reasons: order.reasons.sort((a, b) => reasonRank[a] - reasonRank[b]),
      mesState: known?.mesState ?? order.quarantined?.mesState ?? null,
      ...(known ? { status: known.status } : {}),
    };
  });
}

/**
 * How urgent an order is, the smallest first: the MES does not know the order (it lost it: only a
 * person can bring it back), then lost (the MES never answered), then stuck, then the rest by reason.
 * `mesKnows`: what the MES API said when asked; undefined when it was not asked or could not answer.
 */
export function urgencyOf(order: OrderNeedingAction, mesKnows: boolean | undefined): number {
  if (mesKnows === false) return -1;
  return reasonRank[order.reasons[0]!];
}

/** The most urgent first; among equals the oldest first (stuck orders by age). */
export function byUrgency<T extends { order: OrderNeedingAction; mesKnows: boolean | undefined }>(a: T, b: T): number {
  return urgencyOf(a.order, a.mesKnows) - urgencyOf(b.order, b.mesKnows) || a.order.since - b.order.since;
}
