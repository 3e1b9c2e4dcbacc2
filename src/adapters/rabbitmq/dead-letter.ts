import { deadLetterHeaders, senderHeaders } from '../../app/dead-letter-headers.js';
import { stringField } from '../../app/message-input.js';
import type { AppDeps } from '../../app/ports.js';
import type { MessageChannel } from '../../ledger/model.js';
import type { ParseRefusal } from '../../contracts/parse-json.js';
import { traceIdsOf } from '../../telemetry/tracing.js';
import { invalidMessageId } from './decode-delivery.js';
import type { InboundMessage, Settlement } from './inbound.js';

export interface Rejection {
  channel: MessageChannel;
  reason: 'invalid' | 'refused' | 'handler_error' | ParseRefusal;
  error: string;
  decoded?: unknown;
}

/**
 * A message the gateway cannot use goes to the dead-letter exchange with the reason in its headers
 * and is recorded in the ledger; only after the broker confirmed the dead letter is the original
 * acked. Nothing is dropped.
 */
export async function deadLetter(deps: AppDeps, message: InboundMessage, rejection: Rejection): Promise<void> {
  const { exchanges } = deps.config.gateway.amqp;
  const messageId = invalidMessageId(message.content);
  const orderId = stringField(rejection.decoded, 'orderId');
  // A refused message already has its ledger row (state dead_lettered, with the reason).
  if (rejection.reason !== 'refused')
    await deps.ledger.recordInvalid(
      {
        channel: rejection.channel,
        messageId,
        reason: `${rejection.reason}: ${rejection.error}`,
        ...(orderId ? { orderId } : {}),
        ...(stringField(rejection.decoded, 'type') ? { type: stringField(rejection.decoded, 'type')! } : {}),
      },
      deps.clock(),
    );
  await deps.publisher.publish(exchanges.deadLetter, rejection.channel, message.content, {
    messageId,
    headers: {
      ...senderHeaders(message.properties.headers),
      ...replaysOf(message),
      [deadLetterHeaders.reason]: rejection.reason,
      [deadLetterHeaders.error]: rejection.error.slice(0, 2000),
      [deadLetterHeaders.originalExchange]: message.fields.exchange,
      [deadLetterHeaders.originalRoutingKey]: message.fields.routingKey,
    },
    contentType: message.properties.contentType ?? 'application/octet-stream',
  });
  deps.metrics?.deadLetters.inc({ channel: rejection.channel, reason: rejection.reason });
  deps.logger.warn(
    {
      channel: rejection.channel,
      reason: rejection.reason,
      error: rejection.error,
      ...traceIdsOf(message.properties.headers),
    },
    'message dead-lettered',
  );
}

/** The replay count a replayed message carries back (a number only: it decides nothing). */
function replaysOf(message: InboundMessage): Record<string, number> {
  const replays = Number(message.properties.headers?.[deadLetterHeaders.replays]);
  return Number.isSafeInteger(replays) && replays > 0 ? { [deadLetterHeaders.replays]: replays } : {};
}

/** Dead-letters the message; the original may then be acked. */
export async function deadLetterAndAck(
  deps: AppDeps,
  message: InboundMessage,
  rejection: Rejection,
): Promise<Settlement> {
  await deadLetter(deps, message, rejection);
  return 'ack';
}
