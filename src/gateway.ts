import { createHttpApp } from './adapters/http/app.js';
import { startHttpServer, type HttpServer } from './adapters/http/server.js';
import { createMesApiClient, createMesReadProxy } from './adapters/mes/index.js';
import { deliveriesFor, WebhookDispatcher, type WebhookEndpoint } from './adapters/webhooks/index.js';
import { openWebhookStore } from './ledger/sqlite-webhooks.js';
import { Broker } from './adapters/rabbitmq/broker.js';
import { durationMs, type Config } from './config/index.js';
import { openSqliteLedger, type LedgerPolicy, type LedgerStore, type SqliteLedger } from './ledger/index.js';
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

/** Partner webhooks: queued with each order event (same transaction), sent by one dispatcher loop. */
function startWebhooks(config: Config, ledger: SqliteLedger, clock: () => number, logger: Logger): WebhookDispatcher | undefined {
  const endpoints: WebhookEndpoint[] = config.gateway.partners.flatMap((partner) => (partner.webhooks ?? []).map((webhook) => ({
    partner: partner.id,
    url: webhook.url,
    secret: config.secrets[webhook.secretEnv]!,
    ...(webhook.allowPrivateTargets ? { allowPrivateTargets: true } : {}),
    ...(webhook.eventTypes ? { eventTypes: webhook.eventTypes } : {}),
  })));
  if (!endpoints.length) return undefined;
  const store = openWebhookStore(ledger);
  ledger.orderEventHook = (partner, event, now) => store.enqueueNow(deliveriesFor(partner, endpoints, event), now);
  const { webhooks } = config.gateway;
  const dispatcher = new WebhookDispatcher({
    store,
    settings: { endpoints, timeoutMs: durationMs(webhooks.timeout), maxConcurrent: webhooks.maxConcurrent, schedule: webhooks.retrySchedule.map(durationMs) },
    clock,
    logger,
  });
  dispatcher.start(durationMs(webhooks.checkInterval));
  return dispatcher;
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
  const mesProxy = createMesReadProxy({ mesApi, clock, logger });
  const deps: PipelineDeps = { ledger, publisher: broker, config, clock, logger, readCache: mesProxy };
  const webhooks = startWebhooks(config, ledger, clock, logger);
  await broker.consume(amqp.queues.crmCommands, handleCrmCommand(deps));
  await broker.consume(amqp.queues.mesEvents, handleMesEvent(deps));
  await broker.consume(amqp.queues.crmEvents, handleCrmFact(deps));
  const watchdog = new Watchdog(deps, {
    intervalMs: durationMs(stuck.checkInterval),
    maxAttempts: acknowledgement.maxAttempts,
    ...(acknowledgement.evidenceLookup ? { evidence: createMesApiClient(mesApi.baseUrl, durationMs(mesApi.timeout)) } : {}),
  });
  watchdog.start();
  const app = createHttpApp({ ...deps, mesProxy, readiness: { brokerConnected: () => broker.connected } });
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
      await webhooks?.stop();
      await broker.close();
      mesProxy.close();
      await ledger.close();
      logger.info('gateway stopped');
    },
  };
}
