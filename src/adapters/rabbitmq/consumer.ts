import { applyCrmFact } from '../../app/apply-crm-fact.js';
import { applyMesEvent } from '../../app/apply-mes-event.js';
import { forwardCrmCommand } from '../../app/forward-crm-command.js';
import type { AppDeps, Delivery, MessageOutcome } from '../../app/ports.js';
import type { MessageChannel } from '../../ledger/model.js';
import { amqpInputLimits, decodeDelivery } from './decode-delivery.js';
import { deadLetterAndAck } from './dead-letter.js';
import { deliveryOf } from './delivery.js';
import { deadLetterOnHandlerError } from './handler-errors.js';
import type { InboundMessage, Settlement } from './inbound.js';
import { dialectMessageReader, readCrmCommand, readCrmFact, type ReadResult } from '../../app/read-messages.js';

/** One queue's work: how its messages are read, and the use case they are given to. */
export interface MessageIntake<T> {
  channel: MessageChannel;
  read(body: unknown): ReadResult<T>;
  run(input: T, delivery: Delivery): Promise<MessageOutcome>;
}

/**
 * A consumer only decodes, calls its use case and settles: a message it cannot decode or read, or
 * one the use case refuses, is dead-lettered with the reason; then, as after a done, it is acked.
 * Errors a message causes are dead letters too (handler_error); only an unavailable broker or
 * ledger requeues it.
 */
export function consumerFor<T>(
  deps: AppDeps,
  { channel, read, run }: MessageIntake<T>,
): (message: InboundMessage) => Promise<Settlement> {
  const limits = amqpInputLimits(deps.config.gateway);
  return deadLetterOnHandlerError(deps, channel, async (message) => {
    const decoded = decodeDelivery(message, limits);
    if (!decoded.ok) return deadLetterAndAck(deps, message, { channel, reason: decoded.reason, error: decoded.error });
    const input = read(decoded.value);
    if (!input.ok)
      return deadLetterAndAck(deps, message, {
        channel,
        reason: 'invalid',
        error: input.error,
        decoded: decoded.value,
      });
    const outcome = await run(input.value, deliveryOf(message));
    if (outcome.kind !== 'done')
      return deadLetterAndAck(deps, message, {
        channel,
        reason: outcome.kind,
        error: outcome.reason,
        decoded: decoded.value,
      });
    return 'ack';
  });
}

/** The gateway's three inputs: each queue, and the consumer that hands its messages to their use case. */
export function gatewayConsumers(
  deps: AppDeps,
): { queue: string; handle: (message: InboundMessage) => Promise<Settlement> }[] {
  const { queues } = deps.config.gateway.amqp;
  return [
    {
      queue: queues.crmCommands,
      handle: consumerFor(deps, { channel: 'crm.command', read: readCrmCommand, run: forwardCrmCommand(deps) }),
    },
    {
      queue: queues.mesEvents,
      handle: consumerFor(deps, {
        channel: 'mes.event',
        read: dialectMessageReader(deps.config),
        run: applyMesEvent(deps),
      }),
    },
    {
      queue: queues.crmEvents,
      handle: consumerFor(deps, { channel: 'crm.fact', read: readCrmFact, run: applyCrmFact(deps) }),
    },
  ];
}
