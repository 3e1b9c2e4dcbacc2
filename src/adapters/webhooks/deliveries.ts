import type { OrderEvent } from '../../contracts/generated/external/order-event.js';
import type { DueDelivery, NewDelivery, WebhookStore } from '../../ledger/webhook-store.js';
import { startPeriodicTask, type PeriodicTask } from '../../shared/periodic-task.js';
import { silentLogger, type Logger } from '../../telemetry/logger.js';
import { inSpan, SpanKind, SpanStatusCode, traceHeaders, tracingEnabled, type Span } from '../../telemetry/tracing.js';
import { postAttempt, type AttemptResult } from './post-attempt.js';
import { decideAfterAttempt, type AttemptOutcome } from './retry-policy.js';
import type { WebhookEndpoint, WebhookSettings } from './settings.js';
import { createSigner, type WebhookSigner } from './sign.js';
import type { ResolveAll } from './target-guard.js';

/** The deliveries an event makes: one per endpoint of the order's partner that takes its type. */
export function deliveriesFor(
  partner: string,
  endpoints: readonly WebhookEndpoint[],
  event: OrderEvent,
): NewDelivery[] {
  // Serialised once: every attempt sends (and signs) exactly these bytes.
  const payload = JSON.stringify(event);
  return endpoints
    .filter((e) => e.partner === partner && (!e.eventTypes || e.eventTypes.includes(event.type)))
    .map((e) => ({ partner, endpoint: e.url, eventId: event.id, orderId: event.subject, payload }));
}

/**
 * Queues an event for the partner's endpoints; a second call for the same event adds nothing
 * (unique on endpoint and event id). Returns the number of deliveries created. The ledger queues
 * the deliveries of the order events it writes itself, in their transaction (orderEventDeliveries).
 */
export function enqueue(
  store: WebhookStore,
  partner: string,
  endpoints: readonly WebhookEndpoint[],
  event: OrderEvent,
  now: number,
): Promise<number> {
  const deliveries = deliveriesFor(partner, endpoints, event);
  return deliveries.length ? store.enqueue(deliveries, now) : Promise.resolve(0);
}

export interface WebhookDispatcherOptions {
  store: WebhookStore;
  settings: WebhookSettings;
  clock?: () => number;
  /** In [0, 1): the jitter. */
  random?: () => number;
  logger?: Logger;
  /** How target names are resolved (tests stub it); the system resolver by default. */
  resolve?: ResolveAll;
  /** Answer bytes read at most (kept, cut, as the error of a failed attempt). */
  maxResponseBytes?: number;
  /** Told the outcome of every recorded attempt ('pending' means a retry is scheduled). */
  onAttempt?: (outcome: 'delivered' | 'pending' | 'failed' | 'disabled') => void;
}

interface Endpoint {
  settings: WebhookEndpoint;
  signer: WebhookSigner;
  /** The URL without query or credentials: what logs and the journal show. */
  label: string;
}

/**
 * Sends due webhook deliveries. Driven by the ledger, not by timers: `tick()` (from one timer
 * loop, like the watchdog) claims as many due deliveries as there are free slots and starts them;
 * each attempt records its result (and a journal row) when it ends. A tick never waits for the
 * attempts it started, so a slow endpoint holds its slots, not the loop.
 */
export class WebhookDispatcher {
  private readonly endpoints: Map<string, Endpoint>;
  private readonly inFlight = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly perEndpoint: number;
  private loop?: PeriodicTask;

  constructor(private readonly options: WebhookDispatcherOptions) {
    const { settings } = options;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.perEndpoint = settings.maxConcurrentPerEndpoint ?? Math.max(1, Math.floor(settings.maxConcurrent / 4));
    this.endpoints = new Map(
      settings.endpoints.map((e) => [
        e.url,
        { settings: e, signer: createSigner(e.secret), label: endpointLabel(e.url) },
      ]),
    );
  }

  /** Attempts in flight now. */
  get active(): number {
    return this.running.size;
  }

  /** Claims due deliveries up to the free slots and starts them; resolves with how many it started. */
  async tick(): Promise<number> {
    const { store, settings } = this.options;
    const now = this.clock();
    const due = await store.claimDue(now, {
      limit: settings.maxConcurrent - this.running.size,
      perEndpoint: this.perEndpoint,
      busy: this.inFlight,
      // If this process dies mid-attempt the delivery is due again after this: at least once.
      leaseUntil: now + settings.timeoutMs + 30_000,
    });
    for (const delivery of due) this.launch(delivery);
    return due.length;
  }

  /** Resolves when every attempt started so far has been recorded. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all(this.running);
  }

  /** Runs tick() every intervalMs; ticks never overlap. */
  start(intervalMs: number): void {
    this.loop = startPeriodicTask(() => this.tick(), {
      intervalMs,
      onError: (error) => this.logger.error({ err: error }, 'webhook tick failed'),
    });
  }

  /** Stops the loop and waits for the attempts in flight (each ends within timeoutMs). */
  async stop(): Promise<void> {
    await this.loop?.stop();
    await this.idle();
  }

  private launch(delivery: DueDelivery): void {
    this.inFlight.set(delivery.endpoint, (this.inFlight.get(delivery.endpoint) ?? 0) + 1);
    const run = this.attempt(delivery)
      .catch((error: unknown) => {
        // The lease brings the delivery back; nothing is lost, it is only late.
        this.logger.error({ err: error, eventId: delivery.eventId }, 'webhook attempt not recorded');
      })
      .finally(() => {
        const left = (this.inFlight.get(delivery.endpoint) ?? 1) - 1;
        if (left) this.inFlight.set(delivery.endpoint, left);
        else this.inFlight.delete(delivery.endpoint);
        this.running.delete(run);
      });
    this.running.add(run);
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const { store, settings } = this.options;
    const attempts = delivery.attempts + 1;
    const endpoint = this.endpoints.get(delivery.endpoint);
    const result: AttemptResult = endpoint
      ? await this.post(endpoint, delivery)
      : { error: 'the endpoint is no longer configured', durationMs: 0, permanent: true };
    const now = this.clock();
    const outcome = decideAfterAttempt(result, attempts, settings.schedule, now, this.random);
    const label = endpoint?.label ?? endpointLabel(delivery.endpoint);
    await store.recordAttempt(
      {
        delivery,
        attempts,
        state: outcome.state,
        nextAttemptAt: outcome.state === 'pending' ? outcome.nextAttemptAt : null,
        status: result.status ?? null,
        error: result.error ?? (outcome.state === 'failed' || outcome.state === 'disabled' ? outcome.reason : null),
        journal: journalDetail(delivery, label, attempts, result, outcome),
        ...(outcome.state === 'disabled' ? { disable: { reason: outcome.reason } } : {}),
      },
      now,
    );
    this.options.onAttempt?.(outcome.state);
    const log = {
      partner: delivery.partner,
      endpoint: label,
      eventId: delivery.eventId,
      attempt: attempts,
      status: result.status,
      durationMs: result.durationMs,
      outcome: outcome.state,
    };
    if (outcome.state === 'disabled') this.logger.warn(log, 'webhook endpoint answered 410 Gone: disabled');
    else if (outcome.state === 'failed')
      this.logger.warn({ ...log, error: result.error }, 'webhook delivery failed for good');
    else if (outcome.state === 'pending')
      this.logger.info({ ...log, error: result.error }, 'webhook attempt failed; will retry');
  }

  /**
   * One attempt in an HTTP client span (OpenTelemetry HTTP conventions: `POST`, the target and the
   * answer's status); its context goes along as `traceparent` (not signed: Standard Webhooks signs
   * id, timestamp and body). With tracing off there is neither span nor header.
   */
  private post(endpoint: Endpoint, delivery: DueDelivery): Promise<AttemptResult> {
    const { settings } = this.options;
    const attributes = tracingEnabled() ? clientSpanAttributes(endpoint.settings.url, delivery) : undefined;
    return inSpan('POST', { kind: SpanKind.CLIENT, ...(attributes ? { attributes } : {}) }, async (span) => {
      const now = this.clock();
      const result = await postAttempt({
        url: endpoint.settings.url,
        allowPrivate: endpoint.settings.allowPrivateTargets ?? settings.allowPrivateTargets ?? false,
        headers: { ...endpoint.signer.sign(delivery.eventId, now, delivery.payload), ...traceHeaders() },
        body: delivery.payload,
        timeoutMs: settings.timeoutMs,
        maxResponseBytes: this.options.maxResponseBytes ?? 512,
        now,
        ...(this.options.resolve ? { resolve: this.options.resolve } : {}),
      });
      if (span.isRecording()) recordAnswer(span, result);
      return result;
    });
  }
}

/** The attributes an HTTP client span starts with; the URL without credentials or query values. */
function clientSpanAttributes(target: string, delivery: DueDelivery): Record<string, string | number> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { 'http.request.method': 'POST', 'orderbridge.webhook.event_id': delivery.eventId };
  }
  url.username = '';
  url.password = '';
  for (const key of new Set(url.searchParams.keys())) url.searchParams.set(key, 'REDACTED');
  return {
    'http.request.method': 'POST',
    'server.address': url.hostname.replace(/^\[(.*)\]$/, '$1'),
    'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    'url.full': url.toString(),
    ...(delivery.attempts ? { 'http.request.resend_count': delivery.attempts } : {}),
    'orderbridge.partner': delivery.partner,
    'orderbridge.webhook.event_id': delivery.eventId,
  };
}

/** The answer on the span: its status, and `error.type` and an error status for a 4xx, 5xx or none. */
function recordAnswer(span: Span, result: AttemptResult): void {
  if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
  const failed = result.status === undefined || result.status >= 400;
  if (!failed) return;
  span.setAttribute(
    'error.type',
    result.status === undefined ? transportErrorType(result.error) : String(result.status),
  );
  span.setStatus({ code: SpanStatusCode.ERROR, ...(result.error ? { message: result.error } : {}) });
}

/** A low-cardinality class of a failure without an answer: timeout, a system error code, a refused target. */
function transportErrorType(error: string | undefined): string {
  if (!error) return '_OTHER';
  if (error.startsWith('timeout')) return 'timeout';
  if (error.startsWith('target refused')) return 'target_refused';
  return /^([A-Z][A-Z0-9_]+):/.exec(error)?.[1] ?? '_OTHER';
}

function journalDetail(
  delivery: DueDelivery,
  endpoint: string,
  attempt: number,
  result: AttemptResult,
  outcome: AttemptOutcome,
): Record<string, unknown> {
  return {
    eventId: delivery.eventId,
    partner: delivery.partner,
    endpoint,
    attempt,
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(result.error ? { error: result.error } : {}),
    durationMs: result.durationMs,
    outcome: outcome.state,
    ...(outcome.state === 'pending' ? { nextAttemptAt: new Date(outcome.nextAttemptAt).toISOString() } : {}),
  };
}

/** Scheme, host and path only: a query string or user info may carry a partner's token. */
export function endpointLabel(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url);
    return `${protocol}//${host}${pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
