import { LRUCache } from 'lru-cache';
import { orderLookupTarget, type OrderLookup } from '../../mapping/index.js';
import { durationMs } from '../../config/index.js';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { schemas } from '../../contracts/schemas.js';
import { silentLogger, type Logger } from '../../telemetry/logger.js';
import { NoRoute, ValidationFailed } from '../http/problems.js';
import { strongEtag, ttlSeconds, type CacheStatus } from '../http/cache-status.js';
import { createMesCaller, type BreakerState, type MesCallerOptions, type MesFailure } from './mes-caller.js';
import {
  cachedAnswer,
  failureAnswer,
  failureDetail,
  problemAnswer,
  type CachedAnswer,
  type ProxyAnswer,
} from './proxy-answers.js';
import { compileReadRoutes, type ReadRoute } from './read-routes.js';

export type { ProxyAnswer } from './proxy-answers.js';

export interface MesReadProxyOptions {
  mesApi: GatewayConfig['mesApi'];
  /** How the MES answers about one order (the dialect's api.orderLookup); without it GET /mes/orders/{id} is not served. */
  orderLookup?: OrderLookup | undefined;
  clock?: () => number;
  logger?: Logger;
  fetch?: typeof globalThis.fetch;
  onMesCall?: MesCallerOptions['onCall'];
  /** Whether every change of an order is heard now (invalidateOrder called for it); while not, order reads go to the MES. */
  changesHeard?: () => boolean;
}

export interface ReadOptions {
  /** The client's If-None-Match header, if any. */
  ifNoneMatch?: string | undefined;
}

export interface MesReadProxyStats {
  /** Answered from a fresh entry. */
  hits: number;
  /** Went forward to the MES (nothing stored, or what was stored was stale or invalidated). */
  misses: number;
  /** Stale entries served: while revalidating in the background, or because the MES failed. */
  staleServed: number;
  /** Of those, served because the MES failed, was too busy, or the circuit was open. */
  staleIfError: number;
  /** Requests that joined another request's MES call instead of making their own. */
  coalesced: number;
  /** Background refreshes started (stale-while-revalidate), at most one per key at a time. */
  revalidations: number;
  /** Invalidations that found an entry or a call out for their order. */
  invalidations: number;
  /** Requests actually sent to the MES, retries included. */
  mesCalls: number;
  mesFailures: number;
  retries: number;
  /** MES calls the open circuit refused. */
  rejectedOpen: number;
  /** MES calls refused because every slot was busy and the line was full or too slow. */
  shed: number;
  entries: number;
  breaker: BreakerState;
}

export interface MesReadProxy {
  /** The MES's view of one order (the dialect's api.orderLookup), cached until its TTL or its next MES event. */
  readOrder(orderId: string, options?: ReadOptions): Promise<ProxyAnswer>;
  /** A configured MES read route (mesApi.routes) with the client's query, checked against the route's whitelist. */
  readRoute(name: string, query: URLSearchParams | Record<string, string>, options?: ReadOptions): Promise<ProxyAnswer>;
  /** The names of the configured read routes, each served as GET /mes/<name>. */
  routeNames(): string[];
  /** Ends the freshness of the order's entry; call it for every MES event about the order. */
  invalidateOrder(orderId: string): void;
  /** Ends the freshness of every order's entry (changes may have gone unheard). */
  invalidateAllOrders(): void;
  stats(): MesReadProxyStats;
  /** Stops the circuit breaker's timers. */
  close(): void;
}

interface Entry extends CachedAnswer {
  ttlMs: number;
  staleWhileRevalidateMs: number;
  /** Set by an MES event: from then on the entry may only stand in when the MES fails. */
  invalidatedAt?: number;
}

type FlightResult = { ok: true; entry: Entry; stored: boolean } | { ok: false; failure: MesFailure };

interface Flight {
  result: Promise<FlightResult>;
  /** Set when an invalidation overtakes the call: its answer predates the event, so it is not stored. */
  detached: boolean;
}

/** Statuses an answer is stored with: an order the MES does not know is as cacheable as one it does. */
const cacheableStatuses = new Set([200, 404]);
const orderId = schemas.order.$defs.orderId;
const orderIdPattern = new RegExp(orderId.pattern, 'u');

/**
 * The cached, circuit-broken read proxy in front of the MES API. Every answer carries Cache-Status
 * and Age, 2xx answers an ETag; concurrent misses of one key share one MES call.
 */
export function createMesReadProxy({
  mesApi,
  orderLookup,
  clock = Date.now,
  logger = silentLogger,
  fetch = globalThis.fetch,
  onMesCall,
  changesHeard = () => true,
}: MesReadProxyOptions): MesReadProxy {
  const timeoutMs = durationMs(mesApi.timeout);
  const orderTtlMs = durationMs(mesApi.cache.ttl);
  const staleWhileRevalidateMs = durationMs(mesApi.cache.staleWhileRevalidate);
  const staleIfErrorMs = durationMs(mesApi.cache.staleIfError);
  const routes = compileReadRoutes(mesApi.routes, staleWhileRevalidateMs);

  const caller = createMesCaller({
    fetch,
    clock,
    logger,
    timeoutMs,
    maxBodyBytes: mesApi.maxBodyBytes,
    breaker: { ...mesApi.breaker, resetTimeoutMs: durationMs(mesApi.breaker.resetTimeout) },
    retry: {
      budgetPercent: mesApi.retry.budgetPercent,
      minPerWindow: mesApi.retry.minPerWindow,
      windowMs: durationMs(mesApi.retry.window),
    },
    ...(onMesCall ? { onCall: onMesCall } : {}),
  });
  // Entries outlive their freshness (they may stand in while revalidating or when the MES fails), so
  // ages are checked here rather than by lru-cache's ttl; the cache only bounds count and bytes.
  const cache = new LRUCache<string, Entry>({
    max: mesApi.cache.maxEntries,
    maxSize: mesApi.cache.maxBytes,
    sizeCalculation: (entry) => entry.body.byteLength + 256,
  });
  const inflight = new Map<string, Flight>();
  const counters = {
    hits: 0,
    misses: 0,
    staleServed: 0,
    staleIfError: 0,
    coalesced: 0,
    revalidations: 0,
    invalidations: 0,
  };
  const baseUrl = mesApi.baseUrl.endsWith('/') ? mesApi.baseUrl : `${mesApi.baseUrl}/`;
  const mesUrl = (path: string, query: string) =>
    new URL(`${path.replace(/^\//, '')}${query ? `?${query}` : ''}`, baseUrl);

  /** When the entry stopped being fresh: at the end of its TTL, or earlier at an MES event. */
  const staleSince = (entry: Entry) => Math.min(entry.fetchedAt + entry.ttlMs, entry.invalidatedAt ?? Infinity);

  /** Calls the MES and stores a cacheable answer, unless an invalidation overtook the call meanwhile. */
  const callAndStore = async (
    key: string,
    url: URL,
    ttlMs: number,
    swrMs: number,
    flight: { detached: boolean },
  ): Promise<FlightResult> => {
    const startedAt = clock();
    const outcome = await caller.get(url);
    if (!outcome.ok) return outcome;
    const { status, contentType, body } = outcome.reply;
    const entry: Entry = {
      status,
      contentType,
      body,
      etag: status < 300 ? strongEtag(body) : undefined,
      fetchedAt: startedAt,
      ttlMs,
      staleWhileRevalidateMs: swrMs,
    };
    const stored = cacheableStatuses.has(status) && !flight.detached;
    if (stored) cache.set(key, entry);
    return { ok: true, entry, stored };
  };

  /** One MES call per key at a time: a caller arriving while one is out waits for its answer. */
  const fetchShared = (
    key: string,
    url: URL,
    ttlMs: number,
    swrMs: number,
  ): { result: Promise<FlightResult>; collapsed: boolean } => {
    const current = inflight.get(key);
    if (current) {
      counters.coalesced += 1;
      return { result: current.result, collapsed: true };
    }
    const flight = { detached: false };
    const result = callAndStore(key, url, ttlMs, swrMs, flight).finally(() => {
      if (inflight.get(key)?.result === result) inflight.delete(key);
    });
    inflight.set(key, Object.assign(flight, { result }));
    return { result, collapsed: false };
  };

  /** The entry if it may still be served in some way; one past every stale allowance is dropped. */
  const usable = (key: string, now: number): Entry | undefined => {
    const entry = cache.get(key);
    if (entry && now - staleSince(entry) > Math.max(entry.staleWhileRevalidateMs, staleIfErrorMs)) {
      cache.delete(key);
      return undefined;
    }
    return entry;
  };

  const read = async (
    key: string,
    url: URL,
    ttlMs: number,
    swrMs: number,
    ifNoneMatch: string | undefined,
  ): Promise<ProxyAnswer> => {
    const now = clock();
    const entry = usable(key, now);
    if (entry) {
      const fresh = staleSince(entry) - now;
      if (fresh > 0) {
        counters.hits += 1;
        return cachedAnswer(entry, now, { hit: true, ttl: ttlSeconds(fresh) }, ifNoneMatch);
      }
      // Not after an invalidation: then the MES is known to have changed, and only its failure excuses a stale answer.
      if (entry.invalidatedAt === undefined && -fresh < entry.staleWhileRevalidateMs) {
        counters.staleServed += 1;
        if (!inflight.has(key)) {
          counters.revalidations += 1;
          fetchShared(key, url, ttlMs, swrMs).result.catch((error: unknown) =>
            logger.error({ err: error, key }, 'MES read proxy: background refresh failed'),
          );
        }
        return cachedAnswer(entry, now, { hit: true, ttl: ttlSeconds(fresh), detail: 'revalidating' }, ifNoneMatch);
      }
    }
    counters.misses += 1;
    const fwd = entry ? 'stale' : 'miss';
    const { result, collapsed } = fetchShared(key, url, ttlMs, swrMs);
    const outcome = await result;
    const later = clock();
    if (outcome.ok) {
      const { entry: answer, stored } = outcome;
      const status: CacheStatus = {
        fwd,
        fwdStatus: answer.status,
        stored: stored && !collapsed,
        collapsed,
        ...(stored ? { ttl: ttlSeconds(answer.fetchedAt + ttlMs - later) } : {}),
        ...(entry?.invalidatedAt !== undefined ? { detail: 'invalidated' } : {}),
      };
      return cachedAnswer(answer, later, status, ifNoneMatch);
    }
    const { failure } = outcome;
    const fwdStatus = failure.kind === 'mes-error' ? failure.status : undefined;
    // stale-if-error (RFC 5861): staleIfError counts from the moment the entry went stale.
    if (entry && later - staleSince(entry) <= staleIfErrorMs) {
      counters.staleServed += 1;
      counters.staleIfError += 1;
      return cachedAnswer(
        entry,
        later,
        {
          fwd: 'stale',
          fwdStatus,
          collapsed,
          ttl: ttlSeconds(staleSince(entry) - later),
          detail: failureDetail(failure),
        },
        ifNoneMatch,
      );
    }
    return failureAnswer(failure, { fwd, fwdStatus, collapsed, detail: failureDetail(failure) }, timeoutMs);
  };

  const orderKey = (id: string) => `order:${id}`;

  const invalidate = (key: string) => {
    const entry = cache.peek(key);
    const flight = inflight.get(key);
    if (entry || flight) counters.invalidations += 1;
    if (entry && entry.invalidatedAt === undefined) entry.invalidatedAt = clock();
    // A call already out may have read the MES before the change: let its callers have it, but do
    // not store it, and send whoever asks from now on to the MES afresh.
    if (flight) {
      flight.detached = true;
      inflight.delete(key);
    }
  };

  return {
    readOrder(id, options = {}) {
      if (id.length > orderId.maxLength || !orderIdPattern.test(id)) {
        return Promise.resolve(
          problemAnswer(
            new ValidationFailed('path', [
              { pointer: '/orderId', message: 'not an order id', fix: orderId.description },
            ]),
            { detail: 'invalid-request' },
          ),
        );
      }
      if (!orderLookup)
        return Promise.resolve(
          problemAnswer(
            new NoRoute(
              'This gateway does not ask the MES about single orders: configure api.orderLookup in the MES dialect.',
            ),
            { detail: 'not-configured' },
          ),
        );
      const target = orderLookupTarget(orderLookup, id);
      // Unheard changes may have made what is kept stale: it may stand in only when the MES fails.
      if (!changesHeard()) invalidate(orderKey(id));
      return read(
        orderKey(id),
        mesUrl(target.path, target.query),
        orderTtlMs,
        staleWhileRevalidateMs,
        options.ifNoneMatch,
      );
    },

    readRoute(name, query, options = {}) {
      const route: ReadRoute | undefined = routes.get(name);
      if (!route) {
        return Promise.resolve(
          problemAnswer(
            new NoRoute(
              `No MES read route named ${JSON.stringify(name.slice(0, 64))}; the configured ones are: ${[...routes.keys()].join(', ') || 'none'}.`,
            ),
            { detail: 'unknown-route' },
          ),
        );
      }
      const canonical = route.canonicalQuery(query instanceof URLSearchParams ? query : new URLSearchParams(query));
      if (!canonical.ok) {
        return Promise.resolve(
          problemAnswer(new ValidationFailed('query', canonical.errors), { detail: 'invalid-request' }),
        );
      }
      return read(
        `route:${route.name}?${canonical.query}`,
        mesUrl(route.path, canonical.query),
        route.ttlMs,
        route.staleWhileRevalidateMs,
        options.ifNoneMatch,
      );
    },

    routeNames: () => [...routes.keys()],

    invalidateOrder(id) {
      invalidate(orderKey(id));
    },

    invalidateAllOrders() {
      for (const key of new Set([...cache.keys(), ...inflight.keys()])) if (key.startsWith('order:')) invalidate(key);
    },

    stats() {
      const mes = caller.counters;
      return {
        ...counters,
        mesCalls: mes.calls,
        mesFailures: mes.failures,
        retries: mes.retries,
        rejectedOpen: mes.rejectedOpen,
        shed: mes.shed,
        entries: cache.size,
        breaker: caller.breakerState(),
      };
    },

    close: () => caller.close(),
  };
}
