/* Generated from contracts/external/order-list-query.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * The one external order status that the CRM, the online shop and the partners see. The allowed moves between statuses are in status-model.json.
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
 * Query parameters of GET /v1/orders (all optional). They arrive as strings: an integer parameter is read as a number before it is checked.
 */
export interface OrderListQuery {
  status?: OrderStatus;
  /**
   * Only orders changed at or after this time, e.g. 2026-11-25T10:00:00Z.
   */
  updated_since?: string;
  /**
   * The nextCursor of the previous page.
   */
  cursor?: string;
  /**
   * Page size, 1 to 200 (default 50).
   */
  limit?: number;
}
