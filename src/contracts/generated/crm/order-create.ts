/* Generated from contracts/crm/order-create.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * CRM command order.create: a new order for the MES to make.
 */
export interface CrmOrderCreate {
  /**
   * The CRM's own unique id of this message; a resent message keeps it.
   */
  messageId: string;
  type: 'order.create';
  sentAt: string;
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  orderId: string;
  /**
   * The partner (or channel) the order belongs to.
   */
  partner: string;
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
