import type { Config } from '../config/index.js';
import type { LedgerStore, OutMessage } from '../ledger/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** What to do with a consumed message once its handler finished. */
export type Settlement = 'ack' | 'requeue';

/** A publish the broker did not confirm (nacked, unroutable, or no connection): an infrastructure fault. */
export class NotPublishedError extends Error {
  constructor(reason: string) {
    super(`not published: ${reason}`);
    this.name = 'NotPublishedError';
  }
}

/**
 * Marks the headers of a delivery the broker adapter could not decode (nested too deeply for its
 * decoder): the pipeline refuses such a message. A symbol, so no sender can set it.
 */
export const undecodableHeaders = Symbol('orderbridge.undecodableHeaders');

/** Whether the MES knows an order (evidence of a lost acknowledgement); undefined when it could not be asked. */
export interface OrderEvidence {
  knowsOrder(orderId: string): Promise<boolean | undefined>;
}

/** A message as the pipeline reads it from the broker: what of an AMQP delivery it uses. */
export interface InboundMessage {
  content: Buffer;
  fields: { exchange: string; routingKey: string; redelivered: boolean };
  properties: { headers?: Record<string, unknown> | undefined; contentType?: string | undefined };
}

/** What the pipeline sets on a message it publishes. */
export interface PublishOptions {
  messageId: string;
  type?: string;
  headers?: Record<string, unknown>;
  contentType?: string;
}

/** The one thing the pipeline needs from the broker: a publish that resolves on the broker's confirm. */
export interface Publisher {
  publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions): Promise<void>;
}

export interface PipelineDeps {
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
