import type { Order } from '../contracts/generated/external/order.js';
import type { OrderRecord } from '../ledger/index.js';

/** An order as partners see it (contracts/external/order.schema.json), without its history. */
export function toResource(order: OrderRecord): Order {
  return {
    id: order.orderId,
    partner: order.partner,
    status: order.state.status,
    statusSince: order.state.statusSince,
    attention: order.attention && {
      kind: order.attention.kind,
      since: new Date(order.attention.since).toISOString(),
      reason: order.attention.reason,
    },
    createdAt: new Date(order.createdAt).toISOString(),
    updatedAt: new Date(order.updatedAt).toISOString(),
  };
}
