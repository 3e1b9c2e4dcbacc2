import t from 'tap';
import { setTimeout as delay } from 'node:timers/promises';
import { Hono } from 'hono';
import { loadConfig, withGatewayOverrides, type DeepPartial } from '../../src/config/index.js';
import type { OrderLookup } from '../../src/mapping/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { createMesReadProxy, mesProxyRoutes, type ProxyAnswer } from '../../src/adapters/mes/index.js';
import { createRetryBudget } from '../../src/adapters/mes/retry-budget.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { waitFor } from '../helpers/wait-for.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];
type MesApi = GatewayConfig['mesApi'];

const defaults = loadConfig({ dir: defaultConfigDir, env: {} });
const mesApiWith = (patch: DeepPartial<MesApi>): MesApi =>
  withGatewayOverrides(defaults, { mesApi: { baseUrl: 'http://mes.test', ...patch } }).gateway.mesApi;

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' },
  });

/** A stand-in MES: counts the requests it gets and how many were in flight at once. */
function fakeMes(respond: (url: URL, n: number, signal: AbortSignal | undefined) => Promise<Response> | Response) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push(`${url.pathname}${url.search}`);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await respond(url, calls.length, init?.signal ?? undefined);
    } finally {
      inFlight -= 1;
    }
  }) as typeof globalThis.fetch;
  return { fetch, calls, maxInFlight: () => maxInFlight };
}

/** A proxy on a hand-driven clock, closed at the end of the test. */
const referenceLookup = defaults.dialect.api?.orderLookup;

function proxyFor(
  t: Test,
  mesApi: MesApi,
  fetch: typeof globalThis.fetch,
  { orderLookup }: { orderLookup?: OrderLookup } = { orderLookup: referenceLookup! },
) {
  const clock = { now: 1_700_000_000_000 };
  const proxy = createMesReadProxy({ mesApi, orderLookup, fetch, clock: () => clock.now });
  t.teardown(() => proxy.close());
  return { proxy, clock, advance: (ms: number) => (clock.now += ms) };
}

const text = (answer: ProxyAnswer) => answer.body.toString('utf8');
const cacheStatus = (answer: ProxyAnswer) => answer.headers['cache-status'];

t.test(
  '100 concurrent misses of one order make one MES call; every answer has Cache-Status, Age and the same ETag',
  async (t) => {
    const mes = fakeMes(async (url) => {
      await delay(50);
      return json({ externalRef: url.searchParams.get('externalRef'), state: 'CUTTING' });
    });
    const { proxy, advance } = proxyFor(t, mesApiWith({}), mes.fetch);

    const answers = await Promise.all(Array.from({ length: 100 }, () => proxy.readOrder('ORD-1')));
    t.same(mes.calls, ['/orders?externalRef=ORD-1'], 'exactly one MES call');
    t.ok(answers.every((a) => a.status === 200 && text(a) === '{"externalRef":"ORD-1","state":"CUTTING"}'));
    t.equal(new Set(answers.map((a) => a.headers.etag)).size, 1, 'one ETag');
    t.match(answers[0]!.headers.etag, /^"[A-Za-z0-9_-]{43}"$/, 'a strong ETag (SHA-256)');
    t.equal(cacheStatus(answers[0]!), 'Orderbridge; fwd=miss; fwd-status=200; stored; ttl=30');
    t.ok(
      answers.slice(1).every((a) => cacheStatus(a) === 'Orderbridge; fwd=miss; fwd-status=200; collapsed; ttl=30'),
      'the other 99 say collapsed',
    );
    t.match(proxy.stats(), { misses: 100, coalesced: 99, mesCalls: 1, hits: 0 });

    advance(12_400);
    const hit = await proxy.readOrder('ORD-1');
    t.equal(cacheStatus(hit), 'Orderbridge; hit; ttl=17');
    t.equal(hit.headers.age, '12');
    t.equal(hit.headers['content-type'], 'application/json');
    t.equal(hit.headers['cache-control'], 'private, no-cache');

    const etag = hit.headers.etag!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const notModified = await proxy.readOrder('ORD-1', { ifNoneMatch });
      t.equal(notModified.status, 304, `If-None-Match: ${ifNoneMatch} → 304`);
      t.equal(notModified.body.length, 0);
      t.equal(notModified.headers.etag, etag);
      t.equal(notModified.headers['content-type'], undefined, 'no representation metadata on a 304');
      t.match(cacheStatus(notModified), /^Orderbridge; hit; ttl=\d+$/);
    }
    t.equal((await proxy.readOrder('ORD-1', { ifNoneMatch: '"something-else"' })).status, 200);
    t.equal(mes.calls.length, 1, 'still one MES call');
  },
);

t.test(
  'after its TTL an entry is served at once, labelled stale, while one background call refreshes it',
  async (t) => {
    const mes = fakeMes(async (_url, n) => {
      await delay(20);
      return json({ version: n });
    });
    const { proxy, advance } = proxyFor(
      t,
      mesApiWith({ cache: { ttl: '30s', staleWhileRevalidate: '30s' } }),
      mes.fetch,
    );
    await proxy.readOrder('ORD-1');
    advance(31_000);
    const stale = await Promise.all(Array.from({ length: 10 }, () => proxy.readOrder('ORD-1')));
    t.ok(
      stale.every(
        (a) => text(a) === '{"version":1}' && cacheStatus(a) === 'Orderbridge; hit; ttl=-1; detail=revalidating',
      ),
      'the stale answer, at once, labelled',
    );
    t.equal(stale[0]!.headers.age, '31');
    t.match(proxy.stats(), { staleServed: 10, revalidations: 1 });
    // Reads while the refresh is out are answered stale without another call; the first one after
    // it was stored is a fresh hit.
    let fresh = stale[0]!;
    await waitFor(
      async () => {
        fresh = await proxy.readOrder('ORD-1');
        return text(fresh) !== '{"version":1}';
      },
      5000,
      'the refreshed entry',
    );
    t.equal(mes.calls.length, 2, 'one background refresh for ten stale reads');
    t.equal(text(fresh), '{"version":2}');
    t.match(cacheStatus(fresh), /^Orderbridge; hit; ttl=\d+$/);

    advance(61_000);
    const beyond = await proxy.readOrder('ORD-1');
    t.equal(
      cacheStatus(beyond),
      'Orderbridge; fwd=stale; fwd-status=200; stored; ttl=30',
      'past the revalidation window the request waits for the MES',
    );
    t.equal(text(beyond), '{"version":3}');
  },
);

t.test('an invalidation ends freshness at once, and a call it overtakes is not stored', async (t) => {
  let state = 'CUTTING';
  let slow = false;
  let failing = false;
  const mes = fakeMes(async () => {
    const answer = state;
    if (slow) await delay(100);
    return failing ? json({ title: 'down' }, 503) : json({ state: answer });
  });
  const { proxy, advance } = proxyFor(t, mesApiWith({ cache: { ttl: '30s', staleWhileRevalidate: '30s' } }), mes.fetch);
  t.equal(text(await proxy.readOrder('ORD-1')), '{"state":"CUTTING"}');

  state = 'MACHINING';
  t.equal(text(await proxy.readOrder('ORD-1')), '{"state":"CUTTING"}', 'without the event, the TTL rules');
  proxy.invalidateOrder('ORD-1');
  const after = await proxy.readOrder('ORD-1');
  t.equal(text(after), '{"state":"MACHINING"}', 'the event makes the change visible long before the TTL');
  t.equal(cacheStatus(after), 'Orderbridge; fwd=stale; fwd-status=200; stored; ttl=30; detail=invalidated');
  proxy.invalidateOrder('ORD-UNKNOWN');

  // An event arriving while a call is out: that call read the MES before the change.
  proxy.invalidateOrder('ORD-1');
  slow = true;
  const overtaken = proxy.readOrder('ORD-1');
  await waitFor(() => mes.calls.length === 3, 5000, 'the slow call out, its answer read');
  state = 'WELDING';
  proxy.invalidateOrder('ORD-1');
  const afterEvent = proxy.readOrder('ORD-1');
  t.equal(text(await overtaken), '{"state":"MACHINING"}', 'the overtaken call still answers its own callers');
  t.equal(text(await afterEvent), '{"state":"WELDING"}', 'a read after the event does not join the overtaken call');
  slow = false;
  t.equal(
    text(await proxy.readOrder('ORD-1')),
    '{"state":"WELDING"}',
    'and the overtaken answer was not stored over it',
  );
  t.equal(mes.calls.length, 4);

  // An invalidated entry is not served while revalidating, only when the MES fails.
  proxy.invalidateOrder('ORD-1');
  failing = true;
  advance(1000);
  const standIn = await proxy.readOrder('ORD-1');
  t.equal(text(standIn), '{"state":"WELDING"}');
  t.equal(cacheStatus(standIn), 'Orderbridge; fwd=stale; fwd-status=503; ttl=-1; detail=mes-error');
});

t.test(
  'stale-if-error: an MES failure is answered with the stale entry until staleIfError, then with a problem',
  async (t) => {
    let failing = false;
    const mes = fakeMes((url) => {
      if (failing) return json({ title: 'down' }, 503);
      if (url.searchParams.get('externalRef') === 'ORD-NONE') return json({ title: 'Order not found' }, 404);
      if (url.searchParams.get('externalRef') === 'ORD-BAD') return json({ title: 'Bad' }, 400);
      return json({ state: 'PACKING' });
    });
    const { proxy, advance } = proxyFor(
      t,
      mesApiWith({
        cache: { ttl: '10s', staleWhileRevalidate: '0s', staleIfError: '1m' },
        retry: { budgetPercent: 10, minPerWindow: 100, window: '10s' },
      }),
      mes.fetch,
    );
    await proxy.readOrder('ORD-1');
    const missing = await proxy.readOrder('ORD-NONE');
    t.equal(missing.status, 404);
    t.equal(missing.headers.etag, undefined, 'no ETag on an error answer');
    t.equal(
      cacheStatus(await proxy.readOrder('ORD-NONE')),
      'Orderbridge; hit; ttl=10',
      'an unknown order is cached too (its creation event invalidates it)',
    );
    t.equal(cacheStatus(await proxy.readOrder('ORD-BAD')), 'Orderbridge; fwd=miss; fwd-status=400');
    t.equal(
      cacheStatus(await proxy.readOrder('ORD-BAD')),
      'Orderbridge; fwd=miss; fwd-status=400',
      'a 400 is passed on, not stored',
    );

    failing = true;
    advance(40_000);
    const calls = mes.calls.length;
    const stale = await proxy.readOrder('ORD-1');
    t.equal(stale.status, 200);
    t.equal(text(stale), '{"state":"PACKING"}');
    t.equal(cacheStatus(stale), 'Orderbridge; fwd=stale; fwd-status=503; ttl=-30; detail=mes-error');
    t.equal(stale.headers.age, '40');
    t.equal(mes.calls.length - calls, 2, 'a 503 is retried once');

    advance(31_000);
    const gone = await proxy.readOrder('ORD-1');
    t.equal(gone.status, 502);
    t.equal(gone.headers['content-type'], 'application/problem+json');
    t.equal(cacheStatus(gone), 'Orderbridge; fwd=miss; fwd-status=503; detail=mes-error');
    t.match(JSON.parse(text(gone)), {
      type: 'https://orderbridge.dev/problems/mes-error',
      title: 'MES error',
      status: 502,
      detail: /503/,
    });
    t.match(proxy.stats(), { staleIfError: 1 });
  },
);

t.test('a read route passes only its whitelisted query parameters, within bounds, in one canonical form', async (t) => {
  const mes = fakeMes((url) => json({ path: url.pathname, query: url.search }));
  const routes: MesApi['routes'] = [
    {
      name: 'worklist',
      path: '/worklist',
      ttl: '5s',
      query: [
        { name: 'limit', type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        { name: 'workCenter', type: 'string', pattern: '[A-Z0-9-]+', maxLength: 16 },
      ],
    },
  ];
  const { proxy, advance } = proxyFor(t, mesApiWith({ routes, cache: { staleWhileRevalidate: '10s' } }), mes.fetch);

  const first = await proxy.readRoute('worklist', {});
  t.equal(cacheStatus(first), 'Orderbridge; fwd=miss; fwd-status=200; stored; ttl=5');
  for (const query of [{ limit: '100' }, { limit: '0100' }, new URLSearchParams('limit=100')]) {
    t.equal(
      cacheStatus(await proxy.readRoute('worklist', query)),
      'Orderbridge; hit; ttl=5',
      `${JSON.stringify(String(new URLSearchParams(query as Record<string, string>)))} is the same entry`,
    );
  }
  await proxy.readRoute('worklist', { workCenter: 'WC-7', limit: '5' });
  t.same(
    mes.calls,
    ['/worklist?limit=100', '/worklist?limit=5&workCenter=WC-7'],
    'defaults filled in, configured order',
  );

  const bad = async (name: string, query: Record<string, string> | URLSearchParams, pointer: string) => {
    const answer = await proxy.readRoute(name, query);
    t.equal(answer.status, 400, `${String(new URLSearchParams(query))} is refused`);
    t.equal(answer.headers['content-type'], 'application/problem+json');
    t.equal(cacheStatus(answer), 'Orderbridge; detail=invalid-request');
    t.match(JSON.parse(text(answer)), {
      type: 'https://orderbridge.dev/problems/validation',
      status: 400,
      errors: [{ pointer, detail: String, fix: String }],
    });
  };
  await bad('worklist', { limit: '0' }, '/query/limit');
  await bad('worklist', { limit: '1e3' }, '/query/limit');
  await bad('worklist', { limit: '99999999999999999999' }, '/query/limit');
  await bad('worklist', { workCenter: 'wc 7' }, '/query/workCenter');
  await bad('worklist', { workCenter: 'A'.repeat(17) }, '/query/workCenter');
  await bad('worklist', { sql: "'; drop table" }, '/query/sql');
  await bad('worklist', new URLSearchParams('limit=5&limit=6'), '/query/limit');
  t.equal(mes.calls.length, 2, 'no refused request reached the MES');

  const unknown = await proxy.readRoute('secrets', {});
  t.equal(unknown.status, 404);
  t.equal(cacheStatus(unknown), 'Orderbridge; detail=unknown-route');

  advance(6_000);
  t.equal(
    cacheStatus(await proxy.readRoute('worklist', {})),
    'Orderbridge; hit; ttl=-1; detail=revalidating',
    'the route has its own TTL',
  );

  const badRef = await proxy.readOrder('ORD 1/../x');
  t.equal(badRef.status, 400);
  t.match(JSON.parse(text(badRef)), { errors: [{ pointer: '/path/orderId' }] });
});

t.test('a route name used twice is refused at start', async (t) => {
  const route = { name: 'worklist', path: '/worklist', ttl: '5s', query: [] };
  t.throws(() => createMesReadProxy({ mesApi: mesApiWith({ routes: [route, route] }) }), /used twice/);
});

t.test(
  'the breaker opens on timeouts, answers fast while open, and lets one probe through when half-open',
  async (t) => {
    let healthy = false;
    const mes = fakeMes(async (_url, _n, signal) => {
      if (!healthy) await delay(10_000, undefined, { signal });
      return json({ ok: true });
    });
    const { proxy } = proxyFor(
      t,
      mesApiWith({
        timeout: '100ms',
        breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeout: '300ms' },
      }),
      mes.fetch,
    );

    const timedOut = await Promise.all(['A', 'B', 'C'].map((ref) => proxy.readOrder(ref)));
    t.same(
      timedOut.map((a) => a.status),
      [504, 504, 504],
    );
    t.equal(cacheStatus(timedOut[0]!), 'Orderbridge; fwd=miss; detail=mes-timeout');
    t.equal(proxy.stats().breaker, 'open');
    t.equal(proxy.stats().retries, 0, 'timeouts are not retried');

    // Open, nothing waits for a slot or a timer: the answer is there before the event loop turns.
    const fast = await Promise.race([
      proxy.readOrder('D'),
      new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined))),
    ]);
    if (!fast) throw new Error('the open circuit did not answer at once');
    t.equal(fast.status, 503);
    t.equal(fast.headers['retry-after'], '1');
    t.equal(cacheStatus(fast), 'Orderbridge; fwd=miss; detail=breaker-open');
    t.match(JSON.parse(text(fast)), {
      type: 'https://orderbridge.dev/problems/mes-unavailable',
      title: 'MES unavailable',
      status: 503,
      detail: /circuit open/,
    });
    t.equal(mes.calls.length, 3, 'the open circuit kept the call from the MES');

    // Half-open with the MES still hanging: one probe, which fails, and the circuit opens again.
    await waitFor(() => proxy.stats().breaker === 'half-open', 5000, 'the reset timeout to half-open the circuit');
    const probing = await Promise.all(Array.from({ length: 20 }, (_, i) => proxy.readOrder(`P-${i}`)));
    t.equal(mes.calls.length, 4, 'twenty concurrent reads while half-open: one probe reached the MES');
    t.equal(probing.filter((a) => a.status === 503).length, 19);
    t.equal(probing.filter((a) => a.status === 504).length, 1, 'the probe timed out');
    t.equal(proxy.stats().breaker, 'open');

    healthy = true;
    await waitFor(() => proxy.stats().breaker === 'half-open', 5000, 'the circuit half-open again');
    const recovering = await Promise.all(Array.from({ length: 20 }, (_, i) => proxy.readOrder(`Q-${i}`)));
    t.equal(mes.calls.length, 5, 'again one probe');
    t.equal(recovering.filter((a) => a.status === 200).length, 1);
    t.equal(proxy.stats().breaker, 'closed', 'its success closed the circuit');
    t.equal((await proxy.readOrder('Q-1')).status, 200);
    t.equal(mes.calls.length, 6, 'closed: reads reach the MES again');
  },
);

t.test(
  'at most maxConcurrent calls are out; a few more wait in line; beyond that a fast 503, not a breaker failure',
  async (t) => {
    const mes = fakeMes(async () => {
      await delay(80);
      return json({ ok: true });
    });
    const { proxy } = proxyFor(
      t,
      mesApiWith({ timeout: '1s', breaker: { maxConcurrent: 2, maxQueued: 1, volumeThreshold: 1 } }),
      mes.fetch,
    );
    const answers = await Promise.all(['A', 'B', 'C', 'D'].map((ref) => proxy.readOrder(ref)));
    t.same(
      answers.map((a) => a.status),
      [200, 200, 200, 503],
    );
    t.equal(mes.maxInFlight(), 2);
    t.equal(answers[3]!.headers['retry-after'], '1');
    t.equal(cacheStatus(answers[3]!), 'Orderbridge; fwd=miss; detail=mes-busy');
    t.match(proxy.stats(), { shed: 1, breaker: 'closed', mesFailures: 0 });
  },
);

t.test('a line wait is bounded by the timeout', async (t) => {
  const mes = fakeMes(async () => {
    await delay(200);
    return json({ ok: true });
  });
  const { proxy } = proxyFor(
    t,
    mesApiWith({ timeout: '300ms', breaker: { maxConcurrent: 1, maxQueued: 10 } }),
    mes.fetch,
  );
  const answers = await Promise.all(['A', 'B', 'C'].map((ref) => proxy.readOrder(ref)));
  t.same(
    answers.map((a) => a.status),
    [200, 200, 503],
    'the second waited 200 ms for the slot; the third gave up after 300 ms',
  );
  t.equal(mes.calls.length, 2);
});

t.test('the retry budget lets retries add at most the configured share of calls', async (t) => {
  let now = 0;
  const budget = createRetryBudget({ percent: 10, minPerWindow: 1, windowMs: 10_000, clock: () => now });
  t.ok(budget.tryRetry(), 'the minimum allows one on a quiet gateway');
  t.notOk(budget.tryRetry());
  for (let i = 0; i < 50; i++) budget.recordCall();
  t.same(
    [1, 2, 3, 4, 5].map(() => budget.tryRetry()),
    [true, true, true, true, false],
    '10% of 50 calls = 5 retries in all',
  );
  now += 10_001;
  t.ok(budget.tryRetry(), 'a new window, a new budget');
  t.notOk(budget.tryRetry());

  const down = fakeMes(() => {
    throw new TypeError('fetch failed');
  });
  const { proxy } = proxyFor(
    t,
    mesApiWith({ retry: { budgetPercent: 10, minPerWindow: 2, window: '10s' }, breaker: { volumeThreshold: 100 } }),
    down.fetch,
  );
  const answers = [];
  for (const ref of ['A', 'B', 'C', 'D']) answers.push(await proxy.readOrder(ref));
  t.equal(cacheStatus(answers[0]!), 'Orderbridge; fwd=miss; detail=mes-unreachable');
  t.equal(answers[0]!.status, 502);
  t.equal(down.calls.length, 6, 'four reads, two retries: the budget ran out');
  t.equal(proxy.stats().retries, 2);
});

t.test('mesProxyRoutes maps answers to responses and mounts with app.route', async (t) => {
  const mes = fakeMes((url) =>
    url.pathname === '/worklist'
      ? json({ total: 0, orders: [] })
      : json({ externalRef: url.searchParams.get('externalRef') }),
  );
  const { proxy } = proxyFor(t, mesApiWith({}), mes.fetch);
  const app = new Hono();
  app.route('/', mesProxyRoutes(proxy));

  const order = await app.request('/mes/orders/ORD-7');
  t.equal(order.status, 200);
  t.same(await order.json(), { externalRef: 'ORD-7' });
  t.equal(order.headers.get('content-type'), 'application/json');
  t.match(order.headers.get('cache-status'), /^Orderbridge; fwd=miss/);
  const etag = order.headers.get('etag')!;
  const again = await app.request('/mes/orders/ORD-7', { headers: { 'if-none-match': etag } });
  t.equal(again.status, 304);
  t.equal(await again.text(), '');
  t.equal(again.headers.get('etag'), etag);
  t.match(again.headers.get('cache-status'), /^Orderbridge; hit/);
  t.equal(again.headers.get('age'), '0');

  const list = await app.request('/mes/worklist?limit=5');
  t.equal(list.status, 200);
  t.same(mes.calls.at(-1), '/worklist?limit=5');
  const refused = await app.request('/mes/worklist?limit=5000');
  t.equal(refused.status, 400);
  t.equal(refused.headers.get('content-type'), 'application/problem+json');
  t.match(await refused.json(), { status: 400, errors: [{ pointer: '/query/limit' }] });
  t.equal((await app.request('/mes/nothing')).status, 404);
  t.ok(refused.headers.get('cache-status'));
});

t.test(
  "without the dialect's api.orderLookup the MES is never asked about an order: a 404 problem says what to configure",
  async (t) => {
    const mes = fakeMes(() => json({ state: 'CUTTING' }));
    const { proxy } = proxyFor(t, mesApiWith({}), mes.fetch, {});
    const answer = await proxy.readOrder('ORD-1');
    t.equal(answer.status, 404);
    t.match(JSON.parse(text(answer)), { detail: /configure api\.orderLookup in the MES dialect/ });
    t.same(mes.calls, [], 'no MES call');
  },
);

t.test('the order look-up is what the dialect names: another MES, another path and parameter', async (t) => {
  const mes = fakeMes((url) => json({ order: { status: 'RUNNING' }, ref: url.searchParams.get('auftrag') }));
  const { proxy } = proxyFor(t, mesApiWith({}), mes.fetch, {
    orderLookup: { path: '/api/v2/auftraege', query: 'auftrag', statePointer: '/order/status' },
  });
  t.equal((await proxy.readOrder('ORD-9')).status, 200);
  t.same(mes.calls, ['/api/v2/auftraege?auftrag=ORD-9']);
});
