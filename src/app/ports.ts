import type { Config } from '../config/index.js';
import type { LedgerStore, OutMessage } from '../ledger/index.js';
import { LedgerUnavailableError } from '../ledger/ledger-errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** A publish the broker did not confirm (nacked, unroutable, or no connection): an infrastructure fault. */
export class NotPublishedError extends Error {
  constructor(reason: string) {
    super(`not published: ${reason}`);
    this.name = 'NotPublishedError';
  }
}

/**
 * Only an unavailable broker or ledger is worth a retry: the same message will succeed once it is
 * back. Anything else a handler throws was caused by the message (or by a bug it triggers) and
 * would fail again on every redelivery.
 */
export function isInfrastructureFault(error: unknown): boolean {
  return error instanceof NotPublishedError || error instanceof LedgerUnavailableError;
}

/** Whether the MES knows an order (evidence of a lost acknowledgement); undefined when it could not be asked. */
export interface OrderEvidence {
  knowsOrder(orderId: string): Promise<boolean | undefined>;
}

/** What a use case knows of the delivery that brought its input: for the ledger and the trace. */
export interface Delivery {
  redelivered: boolean;
  /** The W3C trace id of the message, when it carried a traceparent. */
  traceId?: string;
  /** The trace headers to travel on with what the gateway sends because of the message. */
  trace: Record<string, string>;
  /** The message's body as it arrived. */
  body: Buffer;
}

/**
 * A use case's answer about a message it was given: done; refused by the ledger's rules (recorded
 * there with the reason); or invalid, a message the use case cannot carry out (e.g. a command the
 * MES dialect cannot write). Refused and invalid messages are dead-lettered with the reason.
 */
export type MessageOutcome =
  | { kind: 'done' }
  | { kind: 'refused'; reason: string }
  | { kind: 'invalid'; reason: string };

export const done: MessageOutcome = { kind: 'done' };

/** What the ledger keeps of a delivery. */
export function ledgerFacts({ redelivered, traceId }: Delivery): { redelivered: boolean; traceId?: string } {
  return { redelivered, ...(traceId ? { traceId } : {}) };
}

/** What the gateway sets on a message it publishes. */
export interface PublishOptions {
  messageId: string;
  type?: string;
  headers?: Record<string, unknown>;
  contentType?: string;
}

/** The one thing the use cases need from the broker: a publish that resolves on the broker's confirm. */
export interface Publisher {
  publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions): Promise<void>;
}

/** What every message use case is given (by the composition root). */
export interface AppDeps {
  ledger: LedgerStore;
  publisher: Publisher;
  config: Config;
  clock: () => number;
  logger: Logger;
  /** Cached reads of MES data; every MES event about an order ends its cached entry. */
  readCache?: { invalidateOrder(orderId: string): void };
  metrics?: Metrics;
}

export type { OutMessage };
