/* Generated from contracts/crm/fact.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A CRM-owned fact published to crm.events: the customer has the order, or cancelled it. It feeds the same external status as the MES events.
 */
export interface CrmFact {
  /**
   * The CRM's own unique id of this message; a resent message keeps it.
   */
  messageId: string;
  type: 'order.delivered' | 'order.cancelled';
  occurredAt: string;
  /**
   * The CRM's order id: letters, digits and . _ : - (at most 64).
   */
  orderId: string;
  reason?: string;
}
