import t from 'tap';
import { parseList, Token } from 'structured-headers';
import { formatCacheStatus, type CacheStatus } from '../../src/adapters/http/cache-status.js';

// RFC 9211: Cache-Status is a Structured Field List; each member a token or string naming the cache,
// with parameters hit, fwd (token), fwd-status (integer), ttl (integer), stored, collapsed, detail.
t.test('Cache-Status reads back with a Structured Field parser as the RFC 9211 member meant', async (t) => {
  const statuses: [CacheStatus, string, Record<string, unknown>][] = [
    [{ hit: true, ttl: 12 }, 'Orderbridge; hit; ttl=12', { hit: true, ttl: 12 }],
    [
      { hit: true, ttl: -3, detail: 'revalidating' },
      'Orderbridge; hit; ttl=-3; detail=revalidating',
      { hit: true, ttl: -3, detail: 'revalidating' },
    ],
    [
      { fwd: 'miss', fwdStatus: 200, stored: true, collapsed: false, ttl: 30 },
      'Orderbridge; fwd=miss; fwd-status=200; stored; ttl=30',
      { fwd: 'miss', 'fwd-status': 200, stored: true, ttl: 30 },
    ],
    [
      { fwd: 'stale', fwdStatus: 503, collapsed: true, ttl: -42, detail: 'breaker-open' },
      'Orderbridge; fwd=stale; fwd-status=503; collapsed; ttl=-42; detail=breaker-open',
      { fwd: 'stale', 'fwd-status': 503, collapsed: true, ttl: -42, detail: 'breaker-open' },
    ],
    [{ detail: 'invalid-request' }, 'Orderbridge; detail=invalid-request', { detail: 'invalid-request' }],
  ];
  for (const [status, text, parameters] of statuses) {
    const written = formatCacheStatus(status);
    t.equal(written, text, 'as RFC 9211 writes its examples');
    const [member, ...others] = parseList(written);
    t.equal(others.length, 0, 'one member: this cache');
    const [name, params] = member as [Token, Map<string, unknown>];
    t.ok(name instanceof Token && name.toString() === 'Orderbridge', 'named by a token');
    const read = Object.fromEntries(
      [...params].map(([key, value]) => [key, value instanceof Token ? value.toString() : value]),
    );
    t.same(read, parameters, text);
    for (const key of ['fwd', 'detail'])
      if (params.has(key)) t.ok(params.get(key) instanceof Token, `${key} is a token`);
  }
});
