import { canMove, rankOf, type OrderStatus } from './status-model.js';

/** Who established a status fact. Clocks are compared only within one source. */
export type FactSource = 'crm' | 'mes' | 'gateway';

export interface OrderState {
  status: OrderStatus;
  /** When the order entered its current status (by the clock of the fact that moved it). */
  statusSince: string;
  /** The newest fact time seen per source: a fact older than this is late, whatever it says. */
  lastFactAt: Partial<Record<FactSource, string>>;
}

export interface StatusFact {
  status: OrderStatus;
  source: FactSource;
  occurredAt: string;
}

export type ApplyOutcome =
  | { kind: 'applied'; from: OrderStatus; to: OrderStatus; state: OrderState }
  | { kind: 'duplicate'; state: OrderState }
  | { kind: 'out_of_order'; state: OrderState; reason: string }
  | { kind: 'forbidden'; state: OrderState; reason: string };

export function initialOrderState(fact: StatusFact): OrderState {
  return { status: fact.status, statusSince: fact.occurredAt, lastFactAt: { [fact.source]: fact.occurredAt } };
}

/**
 * Applies one status fact under the transition graph. The external status only moves along allowed
 * edges, and a fact older than the newest one from the same source never moves it: with the graph
 * transitively closed, the final status is that of the newest fact whatever the arrival order.
 */
export function applyStatus(order: OrderState, fact: StatusFact): ApplyOutcome {
  const newest = order.lastFactAt[fact.source];
  if (newest !== undefined && Date.parse(fact.occurredAt) < Date.parse(newest)) {
    return {
      kind: 'out_of_order',
      state: order,
      reason: `${fact.source} fact from ${fact.occurredAt} is older than the newest one (${newest})`,
    };
  }
  const seen: OrderState = { ...order, lastFactAt: { ...order.lastFactAt, [fact.source]: fact.occurredAt } };
  if (fact.status === order.status) return { kind: 'duplicate', state: seen };
  if (canMove(order.status, fact.status)) {
    return {
      kind: 'applied',
      from: order.status,
      to: fact.status,
      state: { ...seen, status: fact.status, statusSince: fact.occurredAt },
    };
  }
  const reason = `${order.status} → ${fact.status} is not an allowed move`;
  return rankOf(fact.status) <= rankOf(order.status)
    ? { kind: 'out_of_order', state: order, reason }
    : { kind: 'forbidden', state: order, reason };
}
