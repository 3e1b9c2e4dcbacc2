import { hash, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { Unauthorized } from './problems.js';

export type Partner = GatewayConfig['partners'][number];

interface KnownPartner {
  partner: Partner;
  /** SHA-256 of the partner's key, from the configuration. */
  digest: Buffer;
  /** The key itself, once a request has proved it against the digest; memory only, never stored. */
  key?: Buffer;
}

/** The digest and the constant-time comparison of keys (a test counts them). */
export interface KeyCrypto {
  sha256(bytes: Buffer): Buffer;
  sameBytes(a: Buffer, b: Buffer): boolean;
}

const nodeCrypto: KeyCrypto = {
  // The one-shot hash: createHash() costs several times more per call.
  sha256: (bytes) => hash('sha256', bytes, 'buffer'),
  sameBytes: timingSafeEqual,
};

/**
 * Bearer API key → partner. Keys are configured as SHA-256 only. A presented key is compared with
 * every partner's in constant time, so neither timing nor order reveals a match: first with the
 * keys already proved in this process, byte for byte, then, when none matches, by its digest. The
 * digest (OpenSSL per request) took about a tenth of a cached read's throughput
 * (bench/RESULTS-proxy.md); a key is hashed once per process, and an unknown key every time.
 */
export function partnerAuthenticator(
  partners: readonly Partner[],
  { sha256, sameBytes }: KeyCrypto = nodeCrypto,
): (authorization: string | undefined) => Partner {
  const known: KnownPartner[] = partners.map((partner) => ({
    partner,
    digest: Buffer.from(partner.apiKeySha256, 'hex'),
  }));
  const byKey = (presented: Buffer) => {
    let found: KnownPartner | undefined;
    // Lengths are not secret: a wrong length cannot be this key whatever its bytes.
    for (const candidate of known)
      if (candidate.key?.length === presented.length && sameBytes(candidate.key, presented)) found = candidate;
    return found;
  };
  const byDigest = (presented: Buffer) => {
    const digest = sha256(presented);
    let found: KnownPartner | undefined;
    for (const candidate of known) if (sameBytes(candidate.digest, digest)) found = candidate;
    if (found) found.key = presented;
    return found;
  };
  return (authorization) => {
    // RFC 9110 §11.1: the scheme is case-insensitive, and one or more spaces may follow it.
    const match = authorization === undefined ? null : /^bearer +([\x21-\x7e]{16,256})$/i.exec(authorization);
    if (!match)
      throw new Unauthorized(
        authorization === undefined
          ? 'Send your API key as "Authorization: Bearer <key>".'
          : 'The Authorization header must be "Bearer <key>" with a key of 16 to 256 visible characters.',
      );
    const presented = Buffer.from(match[1]!, 'latin1');
    const found = byKey(presented) ?? byDigest(presented);
    if (!found) throw new Unauthorized('This API key is not valid (unknown or revoked).');
    return found.partner;
  };
}
