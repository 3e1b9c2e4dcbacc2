import { hash, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { Unauthorized } from './problems.js';

export type Partner = GatewayConfig['partners'][number];

/**
 * Bearer API key → partner. Keys are stored as SHA-256 only; the digest of the presented key is
 * compared with every partner's in constant time, so neither timing nor order reveals a match.
 */
export function partnerAuthenticator(partners: readonly Partner[]): (authorization: string | undefined) => Partner {
  const known = partners.map((partner) => ({ partner, digest: Buffer.from(partner.apiKeySha256, 'hex') }));
  return (authorization) => {
    const match = authorization === undefined ? null : /^Bearer ([\x21-\x7e]{16,256})$/.exec(authorization);
    if (!match) throw new Unauthorized(authorization === undefined ? 'Send your API key as "Authorization: Bearer <key>".' : 'The Authorization header must be "Bearer <key>" with a key of 16 to 256 visible characters.');
    // The one-shot hash: createHash() costs several times more per call on this hot path.
    const presented = hash('sha256', match[1]!, 'buffer');
    let found: Partner | undefined;
    for (const candidate of known) if (timingSafeEqual(candidate.digest, presented)) found = candidate.partner;
    if (!found) throw new Unauthorized('This API key is not valid (unknown or revoked).');
    return found;
  };
}
