import type { Context, Handler, MiddlewareHandler } from 'hono';
import { partnerAuthenticator, type Partner } from './partner-auth.js';
import { partnerRateLimiter } from './rate-limit.js';

export type { Partner };
export type PartnerEnv = { Variables: { partner: Partner } };

/** Only partners with a valid API key, within their rate limit, get through; `c.get('partner')` says who. */
export interface PartnerGuard {
  /**
   * The route's handler behind the guard, as one Hono handler. Partner routes take this rather than
   * the middleware: a middleware makes Hono run the route as an async chain, and a cached read,
   * answered synchronously otherwise, would lose about a fifth of its throughput to it.
   */
  route(handler: Handler<PartnerEnv>): Handler<PartnerEnv>;
  /** The same check as middleware, for route groups mounted from elsewhere (/mes/*, /ops/*). */
  middleware: MiddlewareHandler<PartnerEnv>;
}

export function partnerGuard(partners: readonly Partner[], replicas = 1): PartnerGuard {
  const authenticate = partnerAuthenticator(partners);
  const withinLimit = partnerRateLimiter(Date.now, replicas);
  const admit = (c: Context<PartnerEnv>) => {
    const partner = authenticate(c.req.header('authorization'));
    withinLimit(partner);
    c.set('partner', partner);
  };
  return {
    route: (handler) => (c, next) => {
      admit(c);
      return handler(c, next);
    },
    middleware: (c, next) => {
      admit(c);
      return next();
    },
  };
}
