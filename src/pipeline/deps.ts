import type { ConsumeMessage, Options } from 'amqplib';
import type { Config } from '../config/index.js';
import type { LedgerStore, OutMessage } from '../ledger/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';

/** The one thing the pipeline needs from the broker: a publish that resolves on the broker's confirm. */
export interface Publisher {
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish & { messageId: string }): Promise<void>;
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

export type { ConsumeMessage, OutMessage };
