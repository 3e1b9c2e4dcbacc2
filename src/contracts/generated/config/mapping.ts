/* Generated from contracts/config/mapping.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * A JSON Pointer such as /order/state.
 */
export type JsonPointer = string;
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
export type MesState = string;

/**
 * config/mapping.yaml: how to read an MES event and what each MES-internal state means in the external status model. A new MES format needs a new mapping, not new code.
 */
export interface MappingConfig {
  mes: {
    name: string;
  };
  /**
   * JSON Pointers (RFC 6901) into an MES event.
   */
  paths: {
    eventId: JsonPointer;
    orderId: JsonPointer;
    state: JsonPointer;
    occurredAt: JsonPointer;
    correlationId?: JsonPointer;
    reason?: JsonPointer;
  };
  /**
   * External statuses that the CRM, not the MES, establishes (e.g. received, delivered, customer cancellation).
   */
  crmOwned: OrderStatus[];
  states: {
    [k: string]: StateMapping;
  };
}
export interface StateMapping {
  status?: OrderStatus;
  /**
   * Entering this state acknowledges the pending CRM command with this outcome.
   */
  ack?: 'accepted' | 'rejected' | 'failed';
  description: string;
  /**
   * The MES's own workflow: states it can move to from this one. check-config verifies that every such move is allowed externally.
   */
  next?: MesState[];
}
