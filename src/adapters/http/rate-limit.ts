import type { Partner } from './partner-auth.js';
import { RateLimited } from './problems.js';

const defaultRequestsPerSecond = 50;
const windowMs = 1000;

/**
 * Per-partner limits in fixed one-second windows: over the limit is an immediate 429 with
 * Retry-After, never a slow queue. Decided synchronously (rate-limiter-flexible answers through a
 * Promise, and that alone cost the cached read ~8 % of its throughput: bench/RESULTS-proxy.md).
 * One window per configured partner, so memory is bounded by the configuration.
 * With `replicas` gateways each allows its share of a partner's rate: a counter shared through the
 * database would put a round trip in front of every read the gateway answers from memory.
 */
export function partnerRateLimiter(clock: () => number = Date.now, replicas = 1): (partner: Partner) => void {
  const windows = new Map<string, { startedAt: number; used: number }>();
  return (partner) => {
    const now = clock();
    let window = windows.get(partner.id);
    if (!window || now - window.startedAt >= windowMs) {
      window = { startedAt: now, used: 0 };
      windows.set(partner.id, window);
    }
    window.used += 1;
    if (window.used > Math.ceil((partner.requestsPerSecond ?? defaultRequestsPerSecond) / replicas)) {
      throw new RateLimited(Math.max(1, Math.ceil((window.startedAt + windowMs - now) / 1000)));
    }
  };
}
