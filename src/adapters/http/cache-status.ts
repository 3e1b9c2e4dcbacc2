import { createHash } from 'node:crypto';

/** This cache's name in Cache-Status (RFC 9211 §2: the first member names the cache). */
export const cacheName = 'Orderbridge';

/**
 * What the cache did for one request, in RFC 9211 terms:
 * - `hit`: answered from the cache without going forward (fresh, or stale while a background call revalidates);
 * - `fwd`: the request went forward, and why: `miss` (nothing stored) or `stale` (what was stored was
 *   stale or invalidated). A stale answer served because the forward failed or the circuit refused it
 *   keeps `fwd=stale`, so clients see it is stale; `detail` says why.
 * - `ttl`: remaining freshness in seconds; negative when the answer served is stale.
 */
export interface CacheStatus {
  hit?: boolean;
  fwd?: 'miss' | 'stale';
  fwdStatus?: number;
  stored?: boolean;
  collapsed?: boolean;
  ttl?: number;
  detail?: string;
}

/** One Cache-Status list member, e.g. `Orderbridge; fwd=stale; ttl=-42; detail=breaker-open`. */
export function formatCacheStatus(status: CacheStatus): string {
  const params: string[] = [cacheName];
  if (status.hit) params.push('hit');
  if (status.fwd) params.push(`fwd=${status.fwd}`);
  if (status.fwdStatus !== undefined) params.push(`fwd-status=${status.fwdStatus}`);
  if (status.stored) params.push('stored');
  if (status.collapsed) params.push('collapsed');
  if (status.ttl !== undefined) params.push(`ttl=${status.ttl}`);
  // detail is an sf-token here: our details are lower-case words joined by '-'.
  if (status.detail) params.push(`detail=${status.detail}`);
  return params.join('; ');
}

/** Seconds of freshness left; a stale answer gets a negative value even within its first second. */
export function ttlSeconds(remainingMs: number): number {
  return remainingMs > 0 ? Math.floor(remainingMs / 1000) : -Math.max(1, Math.floor(-remainingMs / 1000));
}

/**
 * Cache-Control of answers the gateway caches for clients: they may keep a copy but must revalidate
 * every time (a 304 costs us almost nothing), so that an MES event's invalidation reaches them too.
 * `private`: these answers sit behind authentication.
 */
export const revalidateAlways = 'private, no-cache';

/** A strong ETag: the SHA-256 of the exact bytes served. */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/**
 * Whether If-None-Match lets us answer 304 (RFC 9110 §13.1.2): `*` matches any current
 * representation; otherwise the weak comparison, so `W/"x"` matches `"x"`.
 */
export function noneMatch(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}
