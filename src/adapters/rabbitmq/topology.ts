import type { Channel } from 'amqplib';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';

/**
 * Poison protection: after this many deliveries the broker dead-letters a message that keeps
 * crashing its consumer, instead of redelivering it forever. No queue has a length limit, so
 * nothing is ever dropped for lack of room.
 */
const quorumDeliveryLimit = 50;

type Amqp = GatewayConfig['amqp'];

/** An exchange the gateway declares, by its key in `amqp.exchanges`. */
export interface DeclaredExchange {
  role: keyof Amqp['exchanges'];
  name: string;
  type: 'topic';
  durable: true;
}

/** A queue the gateway declares, by its key in `amqp.queues`, with the one binding it gets. */
export interface DeclaredQueue {
  role: keyof Amqp['queues'];
  name: string;
  durable: true;
  arguments: Record<string, string | number>;
  /** The exchange it is bound to, with binding key `#`: every routing key. */
  exchange: string;
  bindingKey: '#';
}

/**
 * Every exchange and queue the gateway declares, in the order it declares them: what
 * `declareTopology` does and what the AsyncAPI document describes, from one list.
 */
export function topologyOf(amqp: Amqp): { exchanges: DeclaredExchange[]; queues: DeclaredQueue[] } {
  const { exchanges, queues } = amqp;
  const exchange = (role: DeclaredExchange['role']): DeclaredExchange => ({
    role,
    name: exchanges[role],
    type: 'topic',
    durable: true,
  });
  const queue = (
    role: DeclaredQueue['role'],
    bound: DeclaredExchange['role'],
    args: DeclaredQueue['arguments'],
  ): DeclaredQueue => ({
    role,
    name: queues[role],
    durable: true,
    arguments: args,
    exchange: exchanges[bound],
    bindingKey: '#',
  });
  return {
    exchanges: (
      ['crmCommands', 'crmEvents', 'mesCommands', 'mesEvents', 'orderEvents', 'partnerOrders', 'deadLetter'] as const
    ).map(exchange),
    queues: [
      queue('deadLetter', 'deadLetter', {
        'x-queue-type': amqp.queueType,
        ...(amqp.queueType === 'quorum' ? quorumGroupSize(amqp) : {}),
      }),
      queue('crmCommands', 'crmCommands', queueArguments(amqp)),
      queue('crmEvents', 'crmEvents', queueArguments(amqp)),
      queue('mesEvents', 'mesEvents', queueArguments(amqp)),
      queue('mesCommands', 'mesCommands', queueArguments(amqp)),
      queue('crmOrderEvents', 'orderEvents', queueArguments(amqp)),
      queue('crmPartnerOrders', 'partnerOrders', queueArguments(amqp)),
    ],
  };
}

/**
 * Declares every exchange and queue the gateway relies on. Idempotent: run again after every
 * reconnect. The gateway also declares the queues the MES and the CRM consume, so commands and
 * events wait in the broker while their consumer is down instead of being unroutable.
 */
export async function declareTopology(channel: Channel, amqp: Amqp): Promise<void> {
  const { exchanges, queues } = topologyOf(amqp);
  for (const exchange of exchanges)
    await channel.assertExchange(exchange.name, exchange.type, { durable: exchange.durable });
  for (const queue of queues) {
    await channel.assertQueue(queue.name, { durable: queue.durable, arguments: queue.arguments });
    await channel.bindQueue(queue.name, queue.exchange, queue.bindingKey);
  }
}

function queueArguments(amqp: Amqp): Record<string, string | number> {
  const common = { 'x-queue-type': amqp.queueType, 'x-dead-letter-exchange': amqp.exchanges.deadLetter };
  return amqp.queueType === 'quorum'
    ? { ...common, 'x-delivery-limit': quorumDeliveryLimit, ...quorumGroupSize(amqp) }
    : common;
}

/**
 * RabbitMQ places the replicas only when a queue is first declared, yet checks the argument on every
 * re-declaration: a changed (or newly set) size makes the declaration fail with PRECONDITION_FAILED.
 * Existing queues are resized with rabbitmq-queues grow/shrink, not with this setting.
 */
function quorumGroupSize(amqp: Amqp): Record<string, number> {
  return amqp.quorumInitialGroupSize ? { 'x-quorum-initial-group-size': amqp.quorumInitialGroupSize } : {};
}
