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
  const parts = [exchange, routingKey, queue === routingKey ? '' : (queue ?? '')].filter(Boolean);
  return parts.length ? parts.join(':') : 'amq.default';
}

/** A PRODUCER span for one basic.publish (operation type `send`). */
export function publishSpan(
  exchange: string,
  routingKey: string,
  messageId: string | undefined,
  peer: MessagingPeer = {},
): SpanSpec {
  const destination = rabbitmqDestination(exchange, routingKey);
  return {
    name: `publish ${destination}`,
    options: {
      kind: SpanKind.PRODUCER,
      attributes: {
        ...common('publish', 'send', destination, peer),
        ...(routingKey ? { 'messaging.rabbitmq.destination.routing_key': routingKey } : {}),
        ...(messageId ? { 'messaging.message.id': messageId } : {}),
      },
    },
  };
}

/** What a delivery shows of itself: amqplib's ConsumeMessage fits. */
export interface Delivered {
  fields: { exchange: string; routingKey: string; deliveryTag: number };
  properties: { messageId?: unknown };
}

/** A CONSUMER span around handling one pushed delivery from `queue` (operation type `process`). */
export function processSpan(queue: string, { fields, properties }: Delivered, peer: MessagingPeer = {}): SpanSpec {
  const destination = rabbitmqDestination(fields.exchange, fields.routingKey, queue);
  const messageId = properties.messageId;
  return {
    name: `process ${destination}`,
    options: {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...common('process', 'process', destination, peer),
        ...(fields.routingKey ? { 'messaging.rabbitmq.destination.routing_key': fields.routingKey } : {}),
        'messaging.rabbitmq.message.delivery_tag': fields.deliveryTag,
        ...(typeof messageId === 'string' && messageId ? { 'messaging.message.id': messageId } : {}),
      },
    },
  };
}

function common(
  operation: string,
  type: 'send' | 'process',
  destination: string,
  { server, clientId }: MessagingPeer,
): Attributes {
  return {
    'messaging.system': 'rabbitmq',
    'messaging.operation.name': operation,
    'messaging.operation.type': type,
    'messaging.destination.name': destination,
    ...(server ? { 'server.address': server.address, 'server.port': server.port } : {}),
    ...(clientId ? { 'messaging.client.id': clientId } : {}),
  };
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
