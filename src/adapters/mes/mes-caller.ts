import { performance } from 'node:perf_hooks';
import CircuitBreaker from 'opossum';
import type { Logger } from '../../telemetry/logger.js';
import { inChildSpan, SpanKind, traceHeaders } from '../../telemetry/tracing.js';
import { createConcurrencyLimit, Overloaded } from './concurrency-limit.js';
import { createRetryBudget } from './retry-budget.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why no MES answer could be had; each kind becomes a Cache-Status detail. */
export type MesFailure =
  | { kind: 'breaker-open'; retryAfterSeconds: number }
  | { kind: 'overloaded' }
  | { kind: 'timeout' }
  | { kind: 'unreachable' }
  | { kind: 'mes-error'; status: number }
  | { kind: 'too-large' };

/** An answer the MES gave (any status below 500), its body read in full. */
export interface MesReply {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

export type MesOutcome = { ok: true; reply: MesReply } | { ok: false; failure: MesFailure };

export interface MesCallerOptions {
  fetch: typeof globalThis.fetch;
  clock: () => number;
  logger: Logger;
  timeoutMs: number;
  maxBodyBytes: number;
  breaker: {
    errorThresholdPercentage: number;
    volumeThreshold: number;
    resetTimeoutMs: number;
    maxConcurrent: number;
    maxQueued: number;
  };
  retry: { budgetPercent: number; minPerWindow: number; windowMs: number };
  /** Told the duration and outcome of every request that reached the network. */
  onCall?: (seconds: number, outcome: 'ok' | 'error' | 'timeout' | 'unreachable') => void;
}

export interface MesCallerCounters {
  /** Requests actually sent to the MES, retries included. */
  calls: number;
  failures: number;
  retries: number;
  /** Calls refused because the circuit was open (or half-open with its probe out). */
  rejectedOpen: number;
  /** Calls refused because every slot was busy and the line was full or too slow. */
  shed: number;
}

export interface MesCaller {
  get(url: URL): Promise<MesOutcome>;
  breakerState(): BreakerState;
  readonly counters: Readonly<MesCallerCounters>;
  /** Stops the breaker's timers. */
  close(): void;
}

class MesStatusError extends Error {
  constructor(readonly status: number) {
    super(`the MES API answered ${status}`);
  }
}

class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`the MES answer is larger than ${limit} bytes`);
  }
}

/** 502/503/504 and dropped connections are worth one more try; a timeout is not (the MES is slow, not flaky). */
const retryable = (failure: MesFailure) =>
  failure.kind === 'unreachable' || (failure.kind === 'mes-error' && [502, 503, 504].includes(failure.status));

/**
 * Every MES read goes through here: a bounded number of calls in flight (the rest wait in a short,
 * bounded line), an opossum circuit breaker, and a retry budget. Never throws: the outcome says
 * what the MES answered or why there is no answer.
 */
export function createMesCaller(options: MesCallerOptions): MesCaller {
  const { fetch, clock, logger, timeoutMs, maxBodyBytes } = options;
  const counters: MesCallerCounters = { calls: 0, failures: 0, retries: 0, rejectedOpen: 0, shed: 0 };

  const request = async (url: URL): Promise<MesReply> => {
    counters.calls += 1;
    const started = performance.now();
    try {
      const reply = await inChildSpan(
        `GET ${url.pathname}`,
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET', 'server.address': url.hostname } },
        () => send(url),
      );
      options.onCall?.((performance.now() - started) / 1000, 'ok');
      return reply;
    } catch (error) {
      options.onCall?.((performance.now() - started) / 1000, callOutcome(error));
      throw error;
    }
  };

  const send = async (url: URL): Promise<MesReply> => {
    // The same deadline as the breaker's timeout, so a call the breaker gave up on also stops
    // holding its connection and its slot.
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json', ...traceHeaders() },
    });
    if (response.status >= 500) {
      await response.body?.cancel().catch(() => {});
      throw new MesStatusError(response.status);
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      body: await readCapped(response, maxBodyBytes),
    };
  };

  const breaker = new CircuitBreaker(request, {
    name: 'mes-api',
    timeout: timeoutMs,
    errorThresholdPercentage: options.breaker.errorThresholdPercentage,
    volumeThreshold: options.breaker.volumeThreshold,
    resetTimeout: options.breaker.resetTimeoutMs,
    // An oversized answer is our configuration's problem, not a sign of an unhealthy MES.
    errorFilter: (error: unknown) => error instanceof BodyTooLarge,
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
  });
  let openedAt = clock();
  breaker.on('open', () => {
    openedAt = clock();
    logger.warn(
      { resetTimeoutMs: options.breaker.resetTimeoutMs },
      'MES API circuit opened: reads are answered from the cache (labelled stale) or with 503',
    );
  });
  breaker.on('halfOpen', () => logger.info('MES API circuit half-open: one probe call tests the MES'));
  breaker.on('close', () => logger.info('MES API circuit closed: reads reach the MES again'));
  breaker.on('failure', () => {
    counters.failures += 1;
  });

  const limit = createConcurrencyLimit({
    slots: options.breaker.maxConcurrent,
    maxQueued: options.breaker.maxQueued,
    maxWaitMs: timeoutMs,
  });
  const budget = createRetryBudget({
    percent: options.retry.budgetPercent,
    minPerWindow: options.retry.minPerWindow,
    windowMs: options.retry.windowMs,
    clock,
  });

  const breakerOpen = (): MesFailure => {
    counters.rejectedOpen += 1;
    const remainingMs = breaker.halfOpen ? 0 : openedAt + options.breaker.resetTimeoutMs - clock();
    return { kind: 'breaker-open', retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) };
  };

  /** Open, or half-open with its one probe already out: nothing may reach the MES now. */
  const refusing = () => breaker.opened || (breaker.halfOpen && !breaker.pendingClose);

  const attempt = async (url: URL): Promise<MesOutcome> => {
    try {
      return { ok: true, reply: await breaker.fire(url) };
    } catch (error) {
      return { ok: false, failure: classify(error, breakerOpen) };
    }
  };

  return {
    counters,
    breakerState: () => (breaker.closed ? 'closed' : breaker.halfOpen ? 'half-open' : 'open'),
    async get(url) {
      // Checked before queueing too: while open, callers get their fast answer instead of waiting for a slot.
      if (refusing()) return { ok: false, failure: breakerOpen() };
      try {
        return await limit.run(async () => {
          budget.recordCall();
          const first = await attempt(url);
          // Retry only while closed: a failure that just opened the circuit, or a failed probe, is final.
          if (first.ok || !retryable(first.failure) || !breaker.closed || !budget.tryRetry()) return first;
          counters.retries += 1;
          return attempt(url);
        });
      } catch (error) {
        if (!(error instanceof Overloaded)) throw error;
        counters.shed += 1;
        return { ok: false, failure: { kind: 'overloaded' } };
      }
    },
    close: () => breaker.shutdown(),
  };
}

function callOutcome(error: unknown): 'error' | 'timeout' | 'unreachable' {
  if (error instanceof MesStatusError || error instanceof BodyTooLarge) return 'error';
  const name = (error as { name?: unknown }).name;
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable';
}

function classify(error: unknown, breakerOpen: () => MesFailure): MesFailure {
  if (error instanceof MesStatusError) return { kind: 'mes-error', status: error.status };
  if (error instanceof BodyTooLarge) return { kind: 'too-large' };
  const code = (error as { code?: unknown }).code;
  if (code === 'EOPENBREAKER') return breakerOpen();
  const name = (error as { name?: unknown }).name;
  if (code === 'ETIMEDOUT' || name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
  return { kind: 'unreachable' };
}

/** Reads the body, giving up (and closing the stream) as soon as it passes the limit. */
async function readCapped(response: Response, limit: number): Promise<Buffer> {
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLarge(limit);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
}
