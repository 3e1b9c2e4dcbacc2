import type { Channel } from 'amqplib';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';

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
