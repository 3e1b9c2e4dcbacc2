/** A message as the consumers read it from the broker: what of an AMQP delivery they use. */
export interface InboundMessage {
  content: Buffer;
  fields: { exchange: string; routingKey: string; redelivered: boolean };
  properties: {
    headers?: Record<string, unknown> | undefined;
    contentType?: string | undefined;
    contentEncoding?: string | undefined;
  };
}

/** What to do with a consumed message once its handler finished. */
export type Settlement = 'ack' | 'requeue';

/**
 * Marks the headers of a delivery the AMQP decoder could not read (nested too deeply for it): the
 * consumers refuse such a message. A symbol, so no sender can set it.
 */
export const undecodableHeaders = Symbol('orderbridge.undecodableHeaders');
