import t from 'tap';
import { join, resolve } from 'node:path';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import { Hono } from 'hono';
import { loadConfig, withGatewayOverrides, type DeepPartial } from '../../src/config/index.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import { createMesReadProxy, mesProxyRoutes } from '../../src/adapters/mes/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import type { MesEvent } from '../../sim/generated/mes/reference/event.js';
import { createVhost } from '../helpers/vhost.js';
import { startMesSimulator, type MesSimulatorOptions } from '../../sim/mes/index.js';
import { waitFor } from '../helpers/wait-for.js';

const configDir = join(resolve(import.meta.dirname, '../..'), 'config');
type Test = Parameters<Parameters<typeof t.test>[0]>[0];
type MesApi = GatewayConfig['mesApi'];

/**
 * The MES simulator in-process on a fresh vhost, the test playing the gateway: it sends commands,
 * hears the MES events, and reads the MES API through the proxy, counting every request that
 * reaches the MES.
 */
async function proxyWorld(
  t: Test,
  options: { sim?: MesSimulatorOptions; mesApi?: DeepPartial<MesApi>; clock?: () => number } = {},
) {
  const vhost = await createVhost('ob-mes-proxy');
  const base = loadConfig({ dir: configDir, env: { AMQP_URL: vhost.url } });
  const amqp = base.gateway.amqp;
  const connection = await connect(vhost.url);
  const setup = await connection.createChannel();
  await declareTopology(setup, amqp);
  const sim = await startMesSimulator({
    amqpUrl: vhost.url,
    queue: amqp.queues.mesCommands,
    exchange: amqp.exchanges.mesEvents,
    port: 0,
    stepMs: 60_000,
    seed: 7,
    qcFailShare: 0,
    apiLatencyMs: 0,
    ...options.sim,
  });
  const mesUrl = `http://127.0.0.1:${sim.port}`;

  const mesRequests: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    mesRequests.push(`${url.pathname}${url.search}`);
    return fetch(input, init);
  };
  const mesApi = withGatewayOverrides(base, { mesApi: { ...options.mesApi, baseUrl: mesUrl } }).gateway.mesApi;
  const proxy = createMesReadProxy({
    mesApi,
    orderLookup: base.dialect.api?.orderLookup,
    fetch: countingFetch,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const app = new Hono();
  app.route('/', mesProxyRoutes(proxy));

  const heard: MesEvent[] = [];
  const listeners: ((event: MesEvent) => void)[] = [];
  const watch = await connection.createChannel();
  const { queue } = await watch.assertQueue('', { exclusive: true });
  await watch.bindQueue(queue, amqp.exchanges.mesEvents, '#');
  await watch.consume(queue, (message) => {
    if (!message) return;
    const event = JSON.parse(message.content.toString()) as MesEvent;
    heard.push(event);
    for (const listener of listeners) listener(event);
    watch.ack(message);
  });
  const commands = await connection.createConfirmChannel();

  t.teardown(async () => {
    proxy.close();
    await sim.stop();
    await connection.close();
    await vhost.remove();
  });

  const createOrder = async (externalRef: string) => {
    const command = {
      header: {
        messageId: `create-${externalRef}`,
        messageType: 'CREATE_ORDER',
        sender: 'ORDERBRIDGE',
        createdAt: new Date().toISOString(),
      },
      body: {
        externalRef,
        customerNo: 'C-1',
        customerName: 'Acme',
        priority: 5,
        positions: [{ pos: 10, material: 'BRK-2040', qty: 4, uom: 'PCE' }],
      },
    };
    commands.publish(amqp.exchanges.mesCommands, 'command', Buffer.from(JSON.stringify(command)), {
      persistent: true,
      contentType: 'application/json',
    });
    await commands.waitForConfirms();
    await waitFor(() => sim.stats().orders[externalRef] !== undefined, 10_000, `${externalRef} known to the MES`);
  };
  const faults = async (switches: { apiLatencyMs?: number; apiDown?: boolean }) => {
    const response = await fetch(`${mesUrl}/faults`, {
      method: 'POST',
      body: JSON.stringify(switches),
      headers: { 'content-type': 'application/json' },
    });
    t.equal(response.status, 200, `MES faults ${JSON.stringify(switches)}`);
  };
  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
  return {
    sim,
    proxy,
    mesApi,
    orderLookup: base.dialect.api?.orderLookup,
    get,
    mesRequests,
    createOrder,
    faults,
    heard,
    onEvent: (listener: (event: MesEvent) => void) => listeners.push(listener),
    mesUrl,
    countingFetch,
  };
}

const stateOf = async (response: Response) => ((await response.json()) as { state: string }).state;

t.test('100 concurrent misses make one MES call; ETag/304 and Cache-Status on every answer', async (t) => {
  const world = await proxyWorld(t);
  await world.createOrder('ORD-C1');

  const answers = await Promise.all(Array.from({ length: 100 }, () => world.get('/mes/orders/ORD-C1')));
  t.same(world.mesRequests, ['/orders?externalRef=ORD-C1'], '100 concurrent misses, one MES call');
  t.ok(
    answers.every((a) => a.status === 200),
    'all 200',
  );
  t.ok(
    answers.every((a) => a.headers.get('cache-status')?.startsWith('Orderbridge; fwd=miss; fwd-status=200')),
    'every answer has Cache-Status',
  );
  t.equal(answers.filter((a) => a.headers.get('cache-status')?.includes('collapsed')).length, 99);
  const etags = new Set(answers.map((a) => a.headers.get('etag')));
  t.equal(etags.size, 1, 'one ETag');
  const bodies = new Set(await Promise.all(answers.map((a) => a.text())));
  t.equal(bodies.size, 1);
  t.match(JSON.parse([...bodies][0]!), { externalRef: 'ORD-C1', mesOrderNo: 'M-000001', state: 'ACCEPTED' });

  const etag = [...etags][0]!;
  const notModified = await world.get('/mes/orders/ORD-C1', { 'if-none-match': etag });
  t.equal(notModified.status, 304);
  t.equal(await notModified.text(), '');
  t.equal(notModified.headers.get('etag'), etag);
  t.match(notModified.headers.get('cache-status'), /^Orderbridge; hit; ttl=\d+$/);
  t.ok(notModified.headers.get('age'), 'with Age');
  t.equal((await world.get('/mes/orders/ORD-C1', { 'if-none-match': '"stale-tag"' })).status, 200);

  const unknown = await world.get('/mes/orders/ORD-NOPE');
  t.equal(unknown.status, 404, "the MES's 404 is passed on");
  t.match(unknown.headers.get('cache-status'), /^Orderbridge; fwd=miss; fwd-status=404; stored/);

  const lists = await Promise.all(Array.from({ length: 100 }, () => world.get('/mes/worklist?limit=10')));
  t.equal(world.mesRequests.filter((r) => r.startsWith('/worklist')).length, 1, 'the work list too: one MES call');
  t.same(world.mesRequests.at(-1), '/worklist?limit=10');
  t.same(
    await lists[0]!.json(),
    { total: 0, orders: [] },
    'the MES work list (an ACCEPTED order is not on the floor yet)',
  );
  t.match(
    (await world.get('/mes/worklist?limit=10')).headers.get('cache-status'),
    /^Orderbridge; hit; ttl=\d$/,
    'the route has its own short TTL',
  );
  const refused = await world.get('/mes/worklist?limit=10&debug=1');
  t.equal(refused.status, 400);
  t.ok(refused.headers.get('cache-status'), 'refused requests carry Cache-Status too');
  t.match(world.proxy.stats(), { coalesced: 198, breaker: 'closed' });
});

t.test(
  'an MES state change is visible through the proxy as soon as its event arrives, long before the TTL',
  async (t) => {
    const world = await proxyWorld(t, { sim: { stepMs: 600 }, mesApi: { cache: { ttl: '30s' } } });
    // The gateway's pipeline calls invalidateOrder for every MES event it consumes; here the test does.
    const invalidatedAt = new Map<string, number>();
    world.onEvent((event) => {
      world.proxy.invalidateOrder(event.order.externalRef);
      invalidatedAt.set(event.order.state, performance.now());
    });
    // A second proxy that hears no events: what TTL-only caching would show.
    const ttlOnly = createMesReadProxy({
      mesApi: world.mesApi,
      orderLookup: world.orderLookup,
      fetch: world.countingFetch,
    });
    t.teardown(() => ttlOnly.close());

    await world.createOrder('ORD-I1');
    await waitFor(() => world.heard.some((e) => e.order.externalRef === 'ORD-I1'), 10_000, 'ACCEPTED heard');
    const first = await stateOf(await world.get('/mes/orders/ORD-I1'));
    const ttlFirst = JSON.parse((await ttlOnly.readOrder('ORD-I1')).body.toString()) as { state: string };

    // Wait for an event that moves the order past what either proxy has cached.
    const seen = world.heard.length;
    const moved = () =>
      world.heard
        .slice(seen)
        .find((e) => e.order.externalRef === 'ORD-I1' && e.order.state !== first && e.order.state !== ttlFirst.state);
    await waitFor(() => moved() !== undefined, 10_000, 'the next MES event');
    const next = moved()!.order.state;
    const read = await world.get('/mes/orders/ORD-I1');
    const visibleAfterMs = performance.now() - invalidatedAt.get(next)!;
    const now = await stateOf(read);
    t.not(now, first, `the change ${first} → ${next} is visible (now ${now})`);
    t.match(
      read.headers.get('cache-status'),
      /^Orderbridge; fwd=stale; fwd-status=200; stored; ttl=\d+; detail=invalidated$/,
    );
    t.ok(visibleAfterMs < 1000, `visible ${Math.round(visibleAfterMs)} ms after the event, TTL is 30 s`);

    const ttlNow = JSON.parse((await ttlOnly.readOrder('ORD-I1')).body.toString()) as { state: string };
    t.equal(ttlNow.state, ttlFirst.state, 'without the event the cache would still show the old state');
  },
);

t.test(
  'MES slowed to 5 s, then down: the breaker opens, stale answers are labelled, a fast 503 otherwise, recovery through one probe',
  async (t) => {
    // The cache ages by the proxy's clock, which the test moves on; the breaker's reset is opossum's
    // own timer, so its states are polled.
    let skewMs = 0;
    const world = await proxyWorld(t, {
      clock: () => Date.now() + skewMs,
      mesApi: {
        timeout: '300ms',
        breaker: {
          volumeThreshold: 4,
          errorThresholdPercentage: 50,
          resetTimeout: '1s',
          maxConcurrent: 16,
          maxQueued: 64,
        },
        cache: { ttl: '1s', staleWhileRevalidate: '0s', staleIfError: '1m' },
      },
    });
    const refs = ['ORD-B1', 'ORD-B2', 'ORD-B3'];
    for (const ref of refs) await world.createOrder(ref);
    for (const ref of refs) t.equal((await world.get(`/mes/orders/${ref}`)).status, 200, `${ref} cached`);

    // Slow: every call times out after 300 ms; cached orders are answered stale, the others 504.
    await world.faults({ apiLatencyMs: 5000 });
    skewMs += 1001;
    const slowStarted = performance.now();
    const slow = await Promise.all([...refs, 'ORD-X1', 'ORD-X2'].map((ref) => world.get(`/mes/orders/${ref}`)));
    t.ok(performance.now() - slowStarted < 1000, 'bounded by the timeout, not by the MES');
    for (const answer of slow.slice(0, 3)) {
      t.equal(answer.status, 200);
      t.match(
        answer.headers.get('cache-status'),
        /^Orderbridge; fwd=stale; ttl=-\d+; detail=mes-timeout$/,
        'stale, labelled',
      );
      t.match(await answer.json(), { state: 'ACCEPTED' });
    }
    t.same(
      slow.slice(3).map((a) => a.status),
      [504, 504],
    );
    t.equal(world.proxy.stats().breaker, 'open', 'five timeouts of five calls opened the circuit');

    // Open: no MES call, answers at once.
    const callsWhenOpened = world.mesRequests.length;
    const openStarted = performance.now();
    const stale = await world.get('/mes/orders/ORD-B1');
    const nothing = await world.get('/mes/orders/ORD-X3');
    t.ok(performance.now() - openStarted < 100, 'both answered at once');
    t.equal(stale.status, 200);
    t.match(stale.headers.get('cache-status'), /^Orderbridge; fwd=stale; ttl=-\d+; detail=breaker-open$/);
    t.equal(nothing.status, 503);
    t.equal(nothing.headers.get('content-type'), 'application/problem+json');
    t.match(nothing.headers.get('retry-after'), /^\d+$/);
    t.equal(nothing.headers.get('cache-status'), 'Orderbridge; fwd=miss; detail=breaker-open');
    t.match(await nothing.json(), {
      type: 'https://orderbridge.dev/problems/mes-unavailable',
      title: 'MES unavailable',
      status: 503,
      detail: /circuit open/,
    });
    t.equal(world.mesRequests.length, callsWhenOpened, 'nothing reached the MES while open');

    // Down: the half-open probe fails, and only that one call reached the MES.
    await world.faults({ apiDown: true, apiLatencyMs: 0 });
    await waitFor(
      () => world.proxy.stats().breaker === 'half-open',
      5000,
      'the reset timeout to half-open the circuit',
    );
    const probing = await Promise.all(
      Array.from({ length: 30 }, (_, i) => world.get(i < 3 ? `/mes/orders/${refs[i]}` : `/mes/orders/ORD-Y${i}`)),
    );
    t.equal(
      world.mesRequests.length,
      callsWhenOpened + 1,
      '30 concurrent reads while half-open: one probe reached the MES',
    );
    t.equal(world.proxy.stats().breaker, 'open', 'the failed probe opened the circuit again');
    t.equal(probing.filter((a) => a.status === 200).length, 3, 'cached orders still answered (stale)');
    t.ok(
      probing.every((a) => a.headers.get('cache-status')?.startsWith('Orderbridge; fwd=')),
      'every answer has Cache-Status',
    );

    // Back: the next probe succeeds and closes the circuit; again only one call during half-open.
    await world.faults({ apiDown: false, apiLatencyMs: 0 });
    await waitFor(() => world.proxy.stats().breaker === 'half-open', 5000, 'the circuit half-open again');
    const recovering = await Promise.all(Array.from({ length: 30 }, (_, i) => world.get(`/mes/orders/${refs[i % 3]}`)));
    t.equal(world.mesRequests.length, callsWhenOpened + 2, 'one probe again');
    t.ok(recovering.every((a) => a.status === 200));
    t.equal(world.proxy.stats().breaker, 'closed', 'the successful probe closed the circuit');
    const fresh = await world.get('/mes/orders/ORD-B2');
    t.match(
      fresh.headers.get('cache-status'),
      /^Orderbridge; fwd=stale; fwd-status=200; stored/,
      'closed: reads reach the MES again',
    );
    t.equal(world.mesRequests.length, callsWhenOpened + 3);
    t.match(world.proxy.stats(), { breaker: 'closed', retries: 0 });
  },
);
