import type { OrderEvent } from '../contracts/generated/external/order-event.js';
import type { StatusChange } from './model.js';

const eventSource = '/orderbridge';

/**
 * The media type both outputs of an order event carry: CloudEvents structured content mode with the
 * JSON event format, as the AMQP message's content-type (AMQP protocol binding §3.2.1) and as the
 * webhook POST's Content-Type (HTTP protocol binding §3.2.1). Spelled as the `cloudevents` SDK
 * spells it: its structured-mode parser is looked up by this exact string.
 */
export const orderEventContentType = 'application/cloudevents+json; charset=utf-8';

/** Routing key on the order event exchange, so subscribers can bind to what they need. */
export function routingKeyFor(change: StatusChange): string {
  switch (change.kind) {
    case 'status_changed':
      return `order.status.${change.status}`;
    case 'acknowledged':
      return `order.ack.${change.acknowledgement}`;
    case 'attention_raised':
      return `order.attention.${change.attention}`;
    case 'attention_cleared':
      return 'order.attention.cleared';
    default: {
      const unknown: never = change.kind;
      throw new Error(`no routing key for ${String(unknown)}`);
    }
  }
}

/** The CloudEvents 1.0 envelope of a change; the id is stable, so a re-publish is recognisable. */
export function toOrderEvent(change: StatusChange, id: string, now: number): OrderEvent {
  return {
    specversion: '1.0',
    id,
    source: eventSource,
    type: `dev.orderbridge.order.${change.kind}`,
    time: new Date(now).toISOString(),
    subject: change.orderId,
    datacontenttype: 'application/json',
    data: change,
  };
}
