/* Generated from contracts/external/status-change.schema.json by npm run contracts. Do not edit: change the schema. */

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
 * The data of an external order event: a status change, an acknowledgement of a CRM command, or an attention flag raised or cleared.
 */
export interface StatusChange {
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  orderId: string;
  kind: 'status_changed' | 'acknowledged' | 'attention_raised' | 'attention_cleared';
  status: OrderStatus;
  previousStatus?: OrderStatus;
  /**
   * Set when kind is acknowledged: the MES's business answer to the CRM command named by commandId.
   */
  acknowledgement?: 'accepted' | 'rejected' | 'failed';
  /**
   * The CRM command this event answers.
   */
  commandId?: string;
  /**
   * Set when kind is attention_raised or attention_cleared.
   */
  attention?: 'lost' | 'stuck';
  /**
   * The MES-internal state behind the change, for diagnostics.
   */
  mesState?: string;
  reason?: string;
  occurredAt: string;
}
