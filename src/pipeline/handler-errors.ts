import { NotPublishedError, type Settlement } from './deps.js';
import { LedgerUnavailableError } from '../ledger/ledger-errors.js';
import type { MessageChannel } from '../ledger/model.js';
import { amqpInputLimits, decodeJson } from './decode.js';
import { deadLetterAndAck } from './dead-letter.js';
import type { InboundMessage, PipelineDeps } from './deps.js';

type Handler = (message: InboundMessage) => Promise<Settlement>;

/**
 * Only an unavailable broker or ledger is worth a retry: the same message will succeed once it is
 * back. Anything else a handler throws was caused by the message (or by a bug it triggers) and
 * would fail again on every redelivery.
 */
export function isInfrastructureFault(error: unknown): boolean {
  return error instanceof NotPublishedError || error instanceof LedgerUnavailableError;
}

/**
 * Makes a handler error caused by the message a dead letter with reason handler_error, recorded in
 * the ledger and counted, instead of an endless requeue that delays every message behind it.
 * Infrastructure faults still propagate: the broker adapter requeues those after a pause.
 */
export function deadLetterOnHandlerError(deps: PipelineDeps, channel: MessageChannel, handle: Handler): Handler {
  const limits = amqpInputLimits(deps.config.gateway);
  return async (message) => {
    try {
      return await handle(message);
    } catch (error) {
      if (isInfrastructureFault(error)) throw error;
      deps.logger.error({ err: error, channel }, 'message handler failed on this message; dead-lettering it');
      const decoded = decodeJson(message.content, limits);
      return deadLetterAndAck(deps, message, { channel, reason: 'handler_error', error: describeError(error), ...(decoded.ok ? { decoded: decoded.value } : {}) });
    }
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
