/* Generated from contracts/crm/order-update.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * CRM command order.update: change the delivery date, priority, notes or lines of an order the MES has not finished.
 */
export interface CrmOrderUpdate {
  /**
   * The CRM's own unique id of this message; a resent message keeps it.
   */
  messageId: string;
  type: 'order.update';
  sentAt: string;
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  orderId: string;
  changes: {
    requestedDeliveryDate?: string;
    priority?: 'normal' | 'rush';
    notes?: string;
    /**
     * @minItems 1
     * @maxItems 500
     */
    lines?: OrderLine[];
  };
}
export interface OrderLine {
  sku: string;
  description?: string;
  quantity: number;
  unit?: 'pcs' | 'm' | 'kg' | 'set';
}
