import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { HttpRequestMetrics } from './http-metrics.js';

/** The ledger's counts the gauges show (what a ledger's stats() gives; declared here so telemetry needs no ledger). */
export interface LedgerCounts {
  ordersByStatus: Record<string, number>;
  attention: { lost: number; stuck: number };
  openCommands: number;
}

/** What /metrics reads at scrape time from the parts that keep their own figures. */
export interface MetricSources {
  /** Connected to RabbitMQ and the ledger takes writes: what /readyz says. */
  ready?: () => Promise<boolean>;
  ledgerStats?: () => Promise<LedgerCounts>;
  /** How many orders need a person (src/ledger/decide-needs-action.ts): the report's headline for the last 24 h. */
  ordersNeedingAction?: () => Promise<number>;
  ledgerSizeBytes?: () => number;
  readProxy?: () => {
    hits: number;
    misses: number;
    staleServed: number;
    rejectedOpen: number;
    shed: number;
    breaker: 'closed' | 'open' | 'half-open';
  };
}

/** Ledger counts are GROUP BY queries: at most one per this interval, however often Prometheus scrapes. */
const ledgerStatsMaxAgeMs = 5000;
/**
 * Orders needing a person walk a day of the ledger's messages and journal (quarantines, dead letters,
 * rejections) on the gateway's event loop: more work than a GROUP BY of the orders, so less often.
 */
const needingActionMaxAgeMs = 30_000;
const breakerStates = ['closed', 'open', 'half_open'] as const;

/**
 * Every metric the gateway exposes at /metrics, declared in one place with explicit buckets.
 * Names follow Prometheus conventions (base units, `_total` for counters); labels take only values
 * from small fixed sets (routes, queues, outcomes, statuses), never an order or message id.
 */
export function createMetrics(sources: MetricSources = {}) {
  const registry = new Registry();
  // Process CPU, memory, event-loop lag and GC, under their standard names (process_*, nodejs_*).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  // Except prom-client's nodejs_active_{handles,requests,resources}_total: gauges named like counters,
  // which `promtool check metrics` refuses. The same figures are sum(nodejs_active_handles) etc.
  for (const metric of registry.getMetricsAsArray()) {
    if (metric.name.endsWith('_total') && !(metric instanceof Counter)) registry.removeSingleMetric(metric.name);
  }
  const registers = [registry];
  const http = new HttpRequestMetrics([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  let ledgerStats: { at: number; stats: Promise<LedgerCounts> } | undefined;
  const currentLedgerCounts = () => {
    if (!sources.ledgerStats) return undefined;
    if (!ledgerStats || Date.now() - ledgerStats.at > ledgerStatsMaxAgeMs)
      ledgerStats = { at: Date.now(), stats: sources.ledgerStats() };
    return ledgerStats.stats;
  };
  let needingAction: { at: number; count: Promise<number> } | undefined;
  const currentNeedingAction = () => {
    if (!sources.ordersNeedingAction) return undefined;
    if (!needingAction || Date.now() - needingAction.at > needingActionMaxAgeMs)
      needingAction = { at: Date.now(), count: sources.ordersNeedingAction() };
    return needingAction.count;
  };
  /** A gauge read from the ledger's counts at scrape time. */
  const ledgerGauge = (name: string, help: string, value: (stats: LedgerCounts) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const stats = await currentLedgerCounts();
        if (stats) this.set(value(stats));
      },
    });
  /** A counter mirroring running totals the read proxy keeps, one label value per total, read at scrape time. */
  const readProxyCounter = (
    name: string,
    help: string,
    label: string,
    totals: (proxy: ReturnType<NonNullable<MetricSources['readProxy']>>) => Record<string, number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        const proxy = sources.readProxy?.();
        if (!proxy) return;
        this.reset();
        for (const [value, total] of Object.entries(totals(proxy))) this.inc({ [label]: value }, total);
      },
    });

  return {
    registry,

    ready: new Gauge({
      name: 'orderbridge_ready',
      help: '1 while the gateway is connected to RabbitMQ and its ledger takes writes (as /readyz), else 0.',
      registers,
      async collect() {
        if (sources.ready) this.set((await sources.ready()) ? 1 : 0);
      },
    }),

    /** Record each answered request here; the two metrics below read it at scrape time. */
    http,
    httpRequests: new Counter({
      name: 'orderbridge_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
      collect() {
        this.reset();
        for (const { route, method, status, count } of http.series())
          this.inc({ route, method, status: String(status) }, count);
      },
    }),
    httpDuration: http.registerHistogram(
      registry,
      'orderbridge_http_request_duration_seconds',
      'Time from request to the response handed to the socket, by route pattern and method.',
    ),

    messagesConsumed: new Counter({
      name: 'orderbridge_messages_consumed_total',
      help: 'Messages consumed from RabbitMQ, by queue and settlement (ack, requeue).',
      labelNames: ['queue', 'outcome'] as const,
      registers,
    }),
    redeliveries: new Counter({
      name: 'orderbridge_messages_redelivered_total',
      help: 'Deliveries the broker marked redelivered (a consumer before us did not ack), by queue.',
      labelNames: ['queue'] as const,
      registers,
    }),
    messagesPublished: new Counter({
      name: 'orderbridge_messages_published_total',
      help: 'Messages published to RabbitMQ, by exchange and outcome (confirmed, unroutable, nacked, not_connected, unencodable).',
      labelNames: ['exchange', 'outcome'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'orderbridge_dead_letters_total',
      help: 'Messages sent to the dead-letter exchange, by input channel and reason.',
      labelNames: ['channel', 'reason'] as const,
      registers,
    }),
    quarantined: new Counter({
      name: 'orderbridge_events_quarantined_total',
      help: 'MES events held for a human: unknown MES state or an order that never came through the gateway.',
      registers,
    }),

    ackLatency: new Histogram({
      name: 'orderbridge_ack_latency_seconds',
      help: 'From forwarding a command to the MES to its acknowledgement, by outcome (accepted, rejected, failed).',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers,
    }),
    unacknowledged: ledgerGauge(
      'orderbridge_commands_unacknowledged',
      'Commands received or forwarded and not yet acknowledged by the MES.',
      (stats) => stats.openCommands,
    ),
    ordersByStatus: new Gauge({
      name: 'orderbridge_orders',
      help: 'Orders in the ledger by external status.',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        const stats = await currentLedgerCounts();
        if (!stats) return;
        this.reset();
        for (const [status, count] of Object.entries(stats.ordersByStatus)) this.set({ status }, count);
      },
    }),
    ordersLost: ledgerGauge(
      'orderbridge_orders_lost',
      'Orders flagged lost: the MES never acknowledged the command within every retry.',
      (stats) => stats.attention.lost,
    ),
    ordersStuck: ledgerGauge(
      'orderbridge_orders_stuck',
      'Orders flagged stuck: in one status longer than its deadline.',
      (stats) => stats.attention.stuck,
    ),
    ordersNeedingAction: new Gauge({
      name: 'orderbridge_orders_needing_action',
      help: 'Orders that need a person: flagged lost or stuck, or with a quarantined MES event, a dead letter or a rejection or failure the CRM has not answered in the last 24 h (the report action list).',
      registers,
      async collect() {
        const count = await currentNeedingAction();
        if (count !== undefined) this.set(count);
      },
    }),

    ledgerSize: new Gauge({
      name: 'orderbridge_ledger_size_bytes',
      help: 'Size of the ledger database file and its write-ahead log.',
      registers,
      collect() {
        if (sources.ledgerSizeBytes) this.set(sources.ledgerSizeBytes());
      },
    }),
    ledgerWrite: new Histogram({
      name: 'orderbridge_ledger_write_seconds',
      help: 'Duration of one group commit (its units and the fsync).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    ledgerWriteErrors: new Counter({
      name: 'orderbridge_ledger_write_errors_total',
      help: 'Group commits that failed as a whole (nothing in them was written).',
      registers,
    }),

    readCache: readProxyCounter(
      'orderbridge_mes_read_cache_total',
      'Cached MES reads by result: hit (fresh), miss (went to the MES), stale (served stale while revalidating or because the MES failed).',
      'result',
      (proxy) => ({ hit: proxy.hits, miss: proxy.misses, stale: proxy.staleServed }),
    ),
    breakerState: new Gauge({
      name: 'orderbridge_mes_breaker_state',
      help: 'The MES API circuit breaker: 1 for its current state (closed, open, half_open), 0 for the others.',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const proxy = sources.readProxy?.();
        if (!proxy) return;
        for (const state of breakerStates) this.set({ state }, proxy.breaker.replace('-', '_') === state ? 1 : 0);
      },
    }),
    mesApiDuration: new Histogram({
      name: 'orderbridge_mes_api_request_duration_seconds',
      help: 'MES API calls by outcome (ok, error, timeout, unreachable).',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    mesApiRefused: readProxyCounter(
      'orderbridge_mes_api_refused_total',
      'MES API calls not made: circuit open, or every slot busy and the line full (shed).',
      'reason',
      (proxy) => ({ breaker_open: proxy.rejectedOpen, shed: proxy.shed }),
    ),

    webhookDeliveries: new Counter({
      name: 'orderbridge_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retrying, failed, disabled).',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
