/* Generated from config/mes/reference/event.schema.json by npm run contracts. Do not edit: change the schema. */

/**
 * An event in the reference MES's wire format: acceptance, rejection, a state change or a processing error. The state stays a free string here: an unknown state is quarantined by the mapping, not rejected as invalid.
 */
export interface MesEvent {
  header: {
    eventId: string;
    eventType: 'ORDER_ACCEPTED' | 'ORDER_REJECTED' | 'ORDER_STATE_CHANGED' | 'PROCESSING_ERROR';
    createdAt: string;
    /**
     * The messageId of the command this event answers, when it answers one.
     */
    correlationId?: string;
  };
  order: {
    externalRef: string;
    mesOrderNo?: string;
    state: string;
    previousState?: string;
    workCenter?: string;
  };
  error?: {
    code: string;
    text: string;
  };
}
