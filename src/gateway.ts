import { createHttpApp } from './adapters/http/app.js';
import { orderResources } from './adapters/http/order-resources.js';
import type { OrderEvent } from './contracts/generated/external/order-event.js';
import { createOpsServices, type OpsServices } from './app/ops-services.js';
import { startHttpServer, type HttpServer } from './adapters/http/server.js';
import { createMetricsApp, metricsListener } from './adapters/http/metrics-app.js';
import { httpServerLimits } from './adapters/http/server-limits.js';
import { createMesApiClient, createMesReadProxy } from './adapters/mes/index.js';
import { deliveriesFor, WebhookDispatcher, type WebhookEndpoint } from './adapters/webhooks/index.js';
import { Broker } from './adapters/rabbitmq/broker.js';
import { withDeadLetterQueue } from './adapters/rabbitmq/dead-letter-queue.js';
import { brokerUrls, durationMs, type Config } from './config/index.js';
import {
  describeLedger,
  ledgerTarget,
  ledgerPolicy,
  openLedger,
  type Ledger,
  type LedgerStore,
} from './ledger/index.js';
import type { AppDeps } from './app/ports.js';
import { countOrdersNeedingAction } from './app/report/needs-action.js';
import { gatewayConsumers } from './adapters/rabbitmq/consumer.js';
import { Watchdog, type WatchdogOptions } from './app/watchdog.js';
import { startRetention } from './app/retention.js';
import type { Logger } from './telemetry/logger.js';
import { createMetrics, type Metrics } from './telemetry/metrics.js';

export interface Gateway {
  ledger: LedgerStore;
  broker: Broker;
  watchdog: Watchdog;
  http: HttpServer;
  /** GET /metrics, on its own listener (config `metrics`), never on the partners' port. */
  metricsHttp: HttpServer;
  metrics: Metrics;
  /** The reconciliation report and order timelines over this gateway's ledger. */
  ops: OpsServices;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  clock?: () => number;
  /**
   * Keep trying to reach RabbitMQ in the background (serve: live, not ready, until it answers)
   * instead of failing with BrokerUnreachableError (one-shot commands such as the demo).
   */
  waitForBroker?: boolean;
}

/** How often rows past the ledger's retention are looked for. */
const retentionIntervalMs = 10 * 60_000;
/**
 * While MES events wait unread, the watchdog judges deadlines as of when they were last all read,
 * up to this many acknowledgement deadlines back: a gateway behind for longer raises its alarms anyway.
 */
const maxBehindDeadlines = 10;

/** The watchdog's options that make it judge deadlines only as far as the MES events have been read (src/app/watchdog.ts). */
export function judgedAsFarAsRead(
  broker: Pick<Broker, 'readyMessages'>,
  { amqp, acknowledgement }: Config['gateway'],
): Pick<WatchdogOptions, 'mesBacklog' | 'maxBehindMs'> {
  return {
    mesBacklog: () => broker.readyMessages(amqp.queues.mesEvents),
    maxBehindMs: maxBehindDeadlines * durationMs(acknowledgement.deadline),
  };
}

const webhookOutcomes = {
  delivered: 'delivered',
  pending: 'retrying',
  failed: 'failed',
  disabled: 'disabled',
} as const;

/** Every partner's webhook endpoints, with their signing secrets. */
function webhookEndpoints(config: Config): WebhookEndpoint[] {
  return config.gateway.partners.flatMap((partner) =>
    (partner.webhooks ?? []).map((webhook) => ({
      partner: partner.id,
      url: webhook.url,
      secret: config.secrets[webhook.secretEnv]!,
      ...(webhook.allowPrivateTargets ? { allowPrivateTargets: true } : {}),
      ...(webhook.eventTypes ? { eventTypes: webhook.eventTypes } : {}),
    })),
  );
}

/** Partner webhooks: queued by the ledger with each order event (same transaction), sent by one dispatcher loop. */
function startWebhooks(
  config: Config,
  endpoints: WebhookEndpoint[],
  ledger: Ledger,
  clock: () => number,
  logger: Logger,
  metrics: Metrics,
): WebhookDispatcher | undefined {
  if (!endpoints.length) return undefined;
  const { webhooks } = config.gateway;
  const dispatcher = new WebhookDispatcher({
    store: ledger.webhooks,
    settings: {
      endpoints,
      timeoutMs: durationMs(webhooks.timeout),
      maxConcurrent: webhooks.maxConcurrent,
      schedule: webhooks.retrySchedule.map(durationMs),
    },
    clock,
    logger,
    onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome: webhookOutcomes[outcome] }),
  });
  dispatcher.start(durationMs(webhooks.checkInterval));
  return dispatcher;
}

/** The composition root: config → ledger → broker → pipeline consumers → watchdog → HTTP. */
export async function startGateway({
  config,
  logger,
  clock = Date.now,
  waitForBroker = false,
}: GatewayOptions): Promise<Gateway> {
  const { amqp, ledger: ledgerConfig, acknowledgement, stuck, mesApi } = config.gateway;
  // Read at scrape time, when every part below exists (the metrics listener starts last).
  const metrics = createMetrics({
    ready: () => ready(),
    ledgerStats: () => ledger.stats(),
    ordersNeedingAction: () => countOrdersNeedingAction(ledger, clock()),
    ledgerSizeBytes: () => ledger.sizeBytes(),
    readProxy: () => mesProxy.stats(),
  });
  const endpoints = webhookEndpoints(config);
  const target = ledgerTarget(ledgerConfig);
  const ledger = await openLedger(target, {
    policy: ledgerPolicy(config),
    onCommit: (seconds, ok) => (ok ? metrics.ledgerWrite.observe(seconds) : metrics.ledgerWriteErrors.inc()),
    ...(endpoints.length
      ? { orderEventDeliveries: (partner: string, event: OrderEvent) => deliveriesFor(partner, endpoints, event) }
      : {}),
  });
  const broker = new Broker({ urls: brokerUrls(amqp), amqp, logger, metrics });
  try {
    await (waitForBroker ? broker.startInBackground() : broker.start());
  } catch (error) {
    await ledger.close();
    throw error;
  }
  const orderLookup = config.dialect.api?.orderLookup;
  const mesProxy = createMesReadProxy({
    mesApi,
    orderLookup,
    clock,
    logger,
    onMesCall: (seconds, outcome) => metrics.mesApiDuration.observe({ outcome }, seconds),
    changesHeard: () => ledger.changesFollowed(),
  });
  // Other gateways on the same database apply MES events too: the ledger tells of their changes.
  const stopInvalidating = ledger.onOrderChanged(
    (orderId) => mesProxy.invalidateOrder(orderId),
    () => mesProxy.invalidateAllOrders(),
  );
  const ready = async () =>
    broker.connected &&
    (await ledger.checkWritable().then(
      () => true,
      () => false,
    ));
  const deps: AppDeps = { ledger, publisher: broker, config, clock, logger, readCache: mesProxy, metrics };
  const webhooks = startWebhooks(config, endpoints, ledger, clock, logger, metrics);
  for (const { queue, handle } of gatewayConsumers(deps)) await broker.consume(queue, handle);
  const watchdog = new Watchdog(deps, {
    intervalMs: durationMs(stuck.checkInterval),
    maxAttempts: acknowledgement.maxAttempts,
    ...judgedAsFarAsRead(broker, config.gateway),
    ...(acknowledgement.evidenceLookup && orderLookup
      ? { evidence: createMesApiClient(mesApi.baseUrl, durationMs(mesApi.timeout), orderLookup) }
      : {}),
  });
  watchdog.start();
  const retention = startRetention(ledger.retention, {
    retentionMs: durationMs(ledgerConfig.retention),
    intervalMs: retentionIntervalMs,
    clock,
    logger,
  });
  const ops = createOpsServices({
    config,
    ledger,
    ledgerTarget: target,
    mes: mesProxy,
    deadLetterQueue: (use) => broker.withConnection((model) => withDeadLetterQueue(model, amqp.queues.deadLetter, use)),
    clock,
  });
  const resources = orderResources(ledger);
  const app = createHttpApp({
    ...deps,
    mesProxy,
    ops,
    orderResources: resources,
    readiness: { brokerConnected: () => broker.connected, brokerNode: () => broker.node },
  });
  const http = await startHttpServer(
    app,
    config.gateway.http.host,
    config.gateway.http.port,
    httpServerLimits(config.gateway.http),
  );
  const metricsAt = metricsListener(config.gateway);
  const metricsHttp = await startHttpServer(createMetricsApp(metrics, logger), metricsAt.host, metricsAt.port);
  logger.info(
    {
      ledger: describeLedger(target),
      queueType: amqp.queueType,
      prefetch: amqp.prefetch,
      http: `http://${config.gateway.http.host}:${http.port}`,
      metrics: `http://${metricsAt.host}:${metricsHttp.port}/metrics`,
    },
    'gateway started',
  );
  return {
    ledger,
    broker,
    watchdog,
    http,
    metricsHttp,
    metrics,
    ops,
    async stop() {
      await http.close();
      await metricsHttp.close();
      await watchdog.stop();
      await retention.stop();
      await webhooks?.stop();
      await broker.close();
      stopInvalidating();
      mesProxy.close();
      resources.close();
      await ops.close();
      await ledger.close();
      logger.info('gateway stopped');
    },
  };
}
