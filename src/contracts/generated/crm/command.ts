/* Generated from contracts/crm/command.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * Any command the CRM publishes to crm.commands; the type field says which.
 */
export type CrmCommand = CrmOrderCreate | CrmOrderCancel | CrmOrderUpdate;

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
/**
 * CRM command order.cancel: the customer cancelled; the MES must stop work (it may refuse once dispatched).
 */
export interface CrmOrderCancel {
  /**
   * The CRM's own unique id of this message; a resent message keeps it.
   */
  messageId: string;
  type: 'order.cancel';
  sentAt: string;
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  orderId: string;
  reason: string;
}
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
