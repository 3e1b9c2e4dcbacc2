import type { Channel } from 'amqplib';
import { defaultMaxJsonDepth, nestedDeeperThan } from '../../contracts/parse-json.js';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';

export const deadLetterHeaders = {
  reason: 'x-orderbridge-reason',
  error: 'x-orderbridge-error',
  originalExchange: 'x-orderbridge-original-exchange',
  originalRoutingKey: 'x-orderbridge-original-routing-key',
  attempts: 'x-orderbridge-attempts',
  replays: 'x-orderbridge-replays',
} as const;

/**
 * A message's headers without the gateway's own (x-orderbridge-*) and the broker's (x-death): what
 * its sender wrote. Nothing a sender writes may pass for what the gateway or the broker recorded.
 * A header nested deeper than `maxDepth` is left out too: amqplib encodes tables recursively, and
 * one ~3,000 levels deep overflows the stack when the message is published again.
 */
export function senderHeaders(headers: Record<string, unknown> | undefined, maxDepth = defaultMaxJsonDepth): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const name = key.toLowerCase();
    if (!name.startsWith('x-orderbridge-') && name !== 'x-death' && !nestedDeeperThan(value, maxDepth)) kept[key] = value;
  }
  return kept;
}

/**
 * Poison protection: after this many deliveries the broker dead-letters a message that keeps
 * crashing its consumer, instead of redelivering it forever. No queue has a length limit, so
 * nothing is ever dropped for lack of room.
 */
const quorumDeliveryLimit = 50;

/**
 * Declares every exchange and queue the gateway relies on. Idempotent: run again after every
 * reconnect. The gateway also declares the queues the MES and the CRM consume, so commands and
 * events wait in the broker while their consumer is down instead of being unroutable.
 */
export async function declareTopology(channel: Channel, amqp: GatewayConfig['amqp']): Promise<void> {
  const { exchanges, queues } = amqp;
  for (const exchange of [exchanges.crmCommands, exchanges.crmEvents, exchanges.mesCommands, exchanges.mesEvents, exchanges.orderEvents, exchanges.partnerOrders]) {
    await channel.assertExchange(exchange, 'topic', { durable: true });
  }
  await channel.assertExchange(exchanges.deadLetter, 'topic', { durable: true });
  await channel.assertQueue(queues.deadLetter, { durable: true, arguments: { 'x-queue-type': amqp.queueType } });
  await channel.bindQueue(queues.deadLetter, exchanges.deadLetter, '#');

  const bindings: [queue: string, exchange: string][] = [
    [queues.crmCommands, exchanges.crmCommands],
    [queues.crmEvents, exchanges.crmEvents],
    [queues.mesEvents, exchanges.mesEvents],
    [queues.mesCommands, exchanges.mesCommands],
    [queues.crmOrderEvents, exchanges.orderEvents],
    [queues.crmPartnerOrders, exchanges.partnerOrders],
  ];
  for (const [queue, exchange] of bindings) {
    await channel.assertQueue(queue, { durable: true, arguments: queueArguments(amqp) });
    await channel.bindQueue(queue, exchange, '#');
  }
}

function queueArguments(amqp: GatewayConfig['amqp']): Record<string, unknown> {
  const common = { 'x-queue-type': amqp.queueType, 'x-dead-letter-exchange': amqp.exchanges.deadLetter };
  return amqp.queueType === 'quorum' ? { ...common, 'x-delivery-limit': quorumDeliveryLimit } : common;
}
