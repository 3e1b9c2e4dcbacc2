import type { MiddlewareHandler } from 'hono';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { PartnerEnv } from './partner-auth.js';
import { RateLimited } from './problems.js';

const defaultRequestsPerSecond = 50;

/** Per-partner limits: over the limit is an immediate 429 with Retry-After, never a slow queue. */
export function partnerRateLimit(): MiddlewareHandler<PartnerEnv> {
  const limiters = new Map<string, RateLimiterMemory>();
  return async (c, next) => {
    const partner = c.get('partner');
    let limiter = limiters.get(partner.id);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: partner.requestsPerSecond ?? defaultRequestsPerSecond, duration: 1 });
      limiters.set(partner.id, limiter);
    }
    try {
      await limiter.consume(partner.id);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new RateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    await next();
  };
}
