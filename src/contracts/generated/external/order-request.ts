/* Generated from contracts/external/order-request.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * Body of POST /v1/orders: a partner's new order. The gateway assigns the id and the status; fields it owns (id, status, partner) are refused here.
 */
export interface OrderRequest {
  /**
   * Your own reference for the order (your order number).
   */
  reference: string;
  customer: Customer;
  /**
   * @minItems 1
   * @maxItems 500
   */
  lines: OrderLine[];
  requestedDeliveryDate?: string;
  priority?: 'normal' | 'rush';
  notes?: string;
}
export interface Customer {
  id: string;
  name: string;
}
export interface OrderLine {
  sku: string;
  description?: string;
  quantity: number;
  unit?: 'pcs' | 'm' | 'kg' | 'set';
}
