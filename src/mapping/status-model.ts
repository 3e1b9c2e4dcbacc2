import model from '../../contracts/external/status-model.json' with { type: 'json' };
import type { OrderStatus } from '../contracts/generated/external/order-status.js';

export type { OrderStatus };

export const orderStatuses = Object.keys(model.statuses) as OrderStatus[];

const allowedMoves: ReadonlyMap<OrderStatus, ReadonlySet<OrderStatus>> = new Map(
  model.transitions.map((t) => [t.from as OrderStatus, new Set(t.to as OrderStatus[])]),
);

export function isOrderStatus(value: unknown): value is OrderStatus {
  return typeof value === 'string' && Object.hasOwn(model.statuses, value);
}

export function rankOf(status: OrderStatus): number {
  return model.statuses[status].rank;
}

export function isTerminal(status: OrderStatus): boolean {
  return model.statuses[status].terminal;
}

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return allowedMoves.get(from)?.has(to) ?? false;
}

export function movesFrom(status: OrderStatus): OrderStatus[] {
  return [...(allowedMoves.get(status) ?? [])];
}
