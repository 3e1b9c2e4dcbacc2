/* Generated from contracts/external/order-page.schema.json by npm run contracts. Do not edit: change the schema. */

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
 * One page of GET /v1/orders, ordered by last change then id. Pass nextCursor as cursor for the next page; null means this is the last one.
 */
export interface OrderPage {
  data: Order[];
  nextCursor: string | null;
}
/**
 * The external order resource: what partners, the shop and the CRM read.
 */
export interface Order {
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  id: string;
  /**
   * The partner (or channel) the order belongs to.
   */
  partner: string;
  status: OrderStatus;
  statusSince: string;
  /**
   * Set while the order needs a human (lost or stuck); null otherwise.
   */
  attention: Attention | null;
  createdAt: string;
  updatedAt: string;
  /**
   * Every status the order went through, oldest first. Present on GET /v1/orders/{id}; lists leave it out.
   *
   * @maxItems 1000
   */
  history?: HistoryEntry[];
}
/**
 * Why an order needs a human, orthogonal to its status: lost (the MES never acknowledged the command after every redelivery) or stuck (the order stayed in its status past that status's deadline).
 */
export interface Attention {
  kind: 'lost' | 'stuck';
  since: string;
  reason?: string;
}
export interface HistoryEntry {
  status: OrderStatus;
  at: string;
  source: 'crm' | 'mes' | 'gateway';
  mesState?: string;
}
