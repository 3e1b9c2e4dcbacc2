import { createHttpApp } from './adapters/http/app.js';
import { startHttpServer, type HttpServer } from './adapters/http/server.js';
import { createMesApiClient } from './adapters/mes/api-client.js';
import { Broker } from './adapters/rabbitmq/broker.js';
import { durationMs, type Config } from './config/index.js';
import { openSqliteLedger, type LedgerPolicy, type LedgerStore } from './ledger/index.js';
import { handleCrmCommand } from './pipeline/crm-commands.js';
import { handleCrmFact } from './pipeline/crm-facts.js';
import type { PipelineDeps } from './pipeline/deps.js';
import { handleMesEvent } from './pipeline/mes-events.js';
import { Watchdog } from './pipeline/watchdog.js';
import type { Logger } from './telemetry/logger.js';

export interface Gateway {
  ledger: LedgerStore;
  broker: Broker;
  watchdog: Watchdog;
  http: HttpServer;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  clock?: () => number;
}

export function ledgerPolicy({ gateway, mapping }: Config): LedgerPolicy {
  const { acknowledgement, stuck } = gateway;
  const stuckAfter = new Map(Object.entries(stuck.deadlines).map(([status, duration]) => [status, durationMs(duration)]));
  return {
    ack: { deadlineMs: durationMs(acknowledgement.deadline), maxAttempts: acknowledgement.maxAttempts, backoff: acknowledgement.backoff },
    deadlines: { stuckAfterMs: (status) => stuckAfter.get(status) },
    mesCorrelates: mapping.paths.correlationId !== undefined,
  };
}

/** The composition root: config → ledger → broker → pipeline consumers → watchdog → HTTP. */
export async function startGateway({ config, logger, clock = Date.now }: GatewayOptions): Promise<Gateway> {
  const { amqp, ledger: ledgerConfig, acknowledgement, stuck, mesApi } = config.gateway;
  const ledger = openSqliteLedger({ path: ledgerConfig.path, synchronous: ledgerConfig.synchronous, policy: ledgerPolicy(config) });
  const broker = new Broker({ url: amqp.url, amqp, logger });
  try {
    await broker.start();
  } catch (error) {
    await ledger.close();
    throw error;
  }
  const deps: PipelineDeps = { ledger, publisher: broker, config, clock, logger };
  await broker.consume(amqp.queues.crmCommands, handleCrmCommand(deps));
  await broker.consume(amqp.queues.mesEvents, handleMesEvent(deps));
  await broker.consume(amqp.queues.crmEvents, handleCrmFact(deps));
  const watchdog = new Watchdog(deps, {
    intervalMs: durationMs(stuck.checkInterval),
    maxAttempts: acknowledgement.maxAttempts,
    ...(acknowledgement.evidenceLookup ? { evidence: createMesApiClient(mesApi.baseUrl, durationMs(mesApi.timeout)) } : {}),
  });
  watchdog.start();
  const app = createHttpApp({ ...deps, readiness: { brokerConnected: () => broker.connected } });
  const http = await startHttpServer(app, config.gateway.http.host, config.gateway.http.port);
  logger.info({ ledger: ledgerConfig.path, queueType: amqp.queueType, prefetch: amqp.prefetch, http: `http://${config.gateway.http.host}:${http.port}` }, 'gateway started');
  return {
    ledger,
    broker,
    watchdog,
    http,
    async stop() {
      await http.close();
      await watchdog.stop();
      await broker.close();
      await ledger.close();
      logger.info('gateway stopped');
    },
  };
}
