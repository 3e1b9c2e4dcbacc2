import type { Attributes } from '@opentelemetry/api';
import { SpanKind } from './tracing.js';

/**
 * Names and attributes of RabbitMQ spans after the OpenTelemetry semantic conventions for
 * messaging (RabbitMQ page, semconv 1.30 and later): the span name is
 * `{messaging.operation.name} {messaging.destination.name}`, and the destination is
 * `{exchange}:{routing key}` for a publish and `{exchange}:{routing key}:{queue}` for a delivery
 * being processed (empty parts left out, a routing key equal to the queue named once, `amq.default`
 * when nothing is left). The gateway's routing keys are message types, so names stay few.
 */
export interface SpanSpec {
  name: string;
  options: { kind: SpanKind; attributes: Attributes };
}

/** Where the broker is (`server.address`, `server.port`) and who is asking (`messaging.client.id`). */
export interface MessagingPeer {
  server?: { address: string; port: number };
  clientId?: string;
}

/** The destination name of the conventions: the non-empty parts joined by `:`. */
export function rabbitmqDestination(exchange: string, routingKey: string, queue?: string): string {
  const joined = (a: string, b: string) => (a && b ? `${a}:${b}` : a || b);
  return joined(joined(exchange, routingKey), queue === routingKey ? '' : (queue ?? '')) || 'amq.default';
}

/** The name of a PRODUCER span for one basic.publish. */
export const publishSpanName = (exchange: string, routingKey: string): string =>
  `publish ${rabbitmqDestination(exchange, routingKey)}`;

/** The attributes of a publish span (operation type `send`). */
export function publishAttributes(
  exchange: string,
  routingKey: string,
  messageId: string | undefined,
  peer: MessagingPeer = {},
): Attributes {
  const attributes = common('publish', 'send', rabbitmqDestination(exchange, routingKey), peer);
  if (routingKey) attributes['messaging.rabbitmq.destination.routing_key'] = routingKey;
  if (messageId) attributes['messaging.message.id'] = messageId;
  return attributes;
}

/** A PRODUCER span for one basic.publish (operation type `send`). */
export function publishSpan(
  exchange: string,
  routingKey: string,
  messageId: string | undefined,
  peer: MessagingPeer = {},
): SpanSpec {
  return {
    name: publishSpanName(exchange, routingKey),
    options: { kind: SpanKind.PRODUCER, attributes: publishAttributes(exchange, routingKey, messageId, peer) },
  };
}

/** What a delivery shows of itself: amqplib's ConsumeMessage fits. */
export interface Delivered {
  fields: { exchange: string; routingKey: string; deliveryTag: number };
  properties: { messageId?: unknown };
}

/** The name of a CONSUMER span around handling one delivery from `queue`. */
export const processSpanName = (queue: string, { exchange, routingKey }: Delivered['fields']): string =>
  `process ${rabbitmqDestination(exchange, routingKey, queue)}`;

/** The attributes of a process span (operation type `process`). */
export function processAttributes(
  queue: string,
  { fields, properties }: Delivered,
  peer: MessagingPeer = {},
): Attributes {
  const attributes = common('process', 'process', rabbitmqDestination(fields.exchange, fields.routingKey, queue), peer);
  if (fields.routingKey) attributes['messaging.rabbitmq.destination.routing_key'] = fields.routingKey;
  attributes['messaging.rabbitmq.message.delivery_tag'] = fields.deliveryTag;
  if (typeof properties.messageId === 'string' && properties.messageId)
    attributes['messaging.message.id'] = properties.messageId;
  return attributes;
}

/** A CONSUMER span around handling one pushed delivery from `queue` (operation type `process`). */
export function processSpan(queue: string, delivered: Delivered, peer: MessagingPeer = {}): SpanSpec {
  return {
    name: processSpanName(queue, delivered.fields),
    options: { kind: SpanKind.CONSUMER, attributes: processAttributes(queue, delivered, peer) },
  };
}

// One object filled in place: the spreads of conditional parts cost ~5 µs a span (bench/RESULTS.md).
function common(
  operation: string,
  type: 'send' | 'process',
  destination: string,
  { server, clientId }: MessagingPeer,
): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'rabbitmq',
    'messaging.operation.name': operation,
    'messaging.operation.type': type,
    'messaging.destination.name': destination,
  };
  if (server) {
    attributes['server.address'] = server.address;
    attributes['server.port'] = server.port;
  }
  if (clientId) attributes['messaging.client.id'] = clientId;
  return attributes;
}

/** The broker's host and port from an AMQP URL (never its credentials); undefined when unreadable. */
export function brokerServer(url: string): MessagingPeer['server'] {
  try {
    const { protocol, hostname, port } = new URL(url);
    return {
      address: hostname.replace(/^\[(.*)\]$/, '$1'),
      port: port ? Number(port) : protocol === 'amqps:' ? 5671 : 5672,
    };
  } catch {
    return undefined;
  }
}
