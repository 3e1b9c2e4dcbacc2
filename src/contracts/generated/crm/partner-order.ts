/* Generated from contracts/crm/partner-order.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A partner's order handed to the CRM (published to the partner order exchange). The CRM creates it with order.create under the same orderId, which the gateway already assigned and shows the partner.
 */
export interface CrmPartnerOrder {
  /**
   * The CRM's own unique id of this message; a resent message keeps it.
   */
  messageId: string;
  type: 'partner.order.requested';
  sentAt: string;
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  orderId: string;
  /**
   * The partner (or channel) the order belongs to.
   */
  partner: string;
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
