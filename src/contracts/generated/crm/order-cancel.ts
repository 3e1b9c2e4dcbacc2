/* Generated from contracts/crm/order-cancel.schema.json by npm run contracts. Do not edit: change the schema. */

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
