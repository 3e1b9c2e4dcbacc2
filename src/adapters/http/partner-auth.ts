import { hash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { Unauthorized } from './problems.js';

export type Partner = GatewayConfig['partners'][number];
export type PartnerEnv = { Variables: { partner: Partner } };

/**
 * Bearer API key → partner. Keys are stored as SHA-256 only; the digest of the presented key is
 * compared with every partner's in constant time, so neither timing nor order reveals a match.
 */
export function partnerAuth(partners: readonly Partner[]): MiddlewareHandler<PartnerEnv> {
  const known = partners.map((partner) => ({ partner, digest: Buffer.from(partner.apiKeySha256, 'hex') }));
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header === undefined ? null : /^Bearer ([\x21-\x7e]{16,256})$/.exec(header);
    if (!match) throw new Unauthorized(header === undefined ? 'Send your API key as "Authorization: Bearer <key>".' : 'The Authorization header must be "Bearer <key>" with a key of 16 to 256 visible characters.');
    // The one-shot hash: createHash() costs several times more per call on this hot path.
    const presented = hash('sha256', match[1]!, 'buffer');
    let found: Partner | undefined;
    for (const candidate of known) if (timingSafeEqual(candidate.digest, presented)) found = candidate.partner;
    if (!found) throw new Unauthorized('This API key is not valid (unknown or revoked).');
    c.set('partner', found);
    await next();
  };
}
