import { isInfrastructureFault, type AppDeps } from '../../app/ports.js';
import { decodeJson } from '../../app/message-input.js';
import type { MessageChannel } from '../../ledger/model.js';
import { traceIdsOf } from '../../telemetry/tracing.js';
import { amqpInputLimits } from './decode-delivery.js';
import { deadLetterAndAck } from './dead-letter.js';
import type { InboundMessage, Settlement } from './inbound.js';

type Handler = (message: InboundMessage) => Promise<Settlement>;

/**
 * Makes a handler error caused by the message a dead letter with reason handler_error, recorded in
 * the ledger and counted, instead of an endless requeue that delays every message behind it.
 * Infrastructure faults still propagate: the broker adapter requeues those after a pause.
 */
export function deadLetterOnHandlerError(deps: AppDeps, channel: MessageChannel, handle: Handler): Handler {
  const limits = amqpInputLimits(deps.config.gateway);
  return async (message) => {
    try {
      return await handle(message);
    } catch (error) {
      if (isInfrastructureFault(error)) throw error;
      deps.logger.error(
        { err: error, channel, ...traceIdsOf(message.properties.headers) },
        'message handler failed on this message; dead-lettering it',
      );
      const decoded = decodeJson(message.content, limits);
      return deadLetterAndAck(deps, message, {
        channel,
        reason: 'handler_error',
        error: describeError(error),
        ...(decoded.ok ? { decoded: decoded.value } : {}),
      });
    }
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
