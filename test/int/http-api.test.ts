import t, { type Test } from 'tap';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createHash, randomBytes } from 'node:crypto';
import { createHttpApp } from '../../src/adapters/http/app.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { withGatewayOverrides, type Config } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger, type LedgerStore } from '../../src/ledger/index.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import type { OpsService } from '../../src/adapters/http/ops-routes.js';
import type { MesReadProxy } from '../../src/adapters/mes/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { NotPublishedError } from '../../src/app/ports.js';
import { createAndForward, mesEventInput } from '../fixtures/mes-events.js';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const keyOf = () => randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const keys = { alpha: keyOf(), beta: keyOf(), slow: keyOf() };
const validOrder = validatorFor('order');
const validPage = validatorFor('orderPage');
const validProblem = validatorFor('problem');
// These tests only read; nothing may be published.
const noBroker = { publish: () => Promise.reject(new NotPublishedError('no broker in this test')) };
// biome-ignore lint/suspicious/noExplicitAny: test reads of JSON answers; the contracts validators check their shape.
const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();

async function setup(t: Test, options: { connected?: () => boolean } = {}) {
  const env = testConfig();
  const config: Config = withGatewayOverrides(env.config, {
    partners: [
      { id: 'alpha', name: 'Alpha', apiKeySha256: sha256(keys.alpha), requestsPerSecond: 1000 },
      { id: 'beta', name: 'Beta', apiKeySha256: sha256(keys.beta), requestsPerSecond: 1000 },
      { id: 'slow', name: 'Slow', apiKeySha256: sha256(keys.slow), requestsPerSecond: 3 },
    ],
    http: { bodyLimitBytes: 2048 },
  });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const app = createHttpApp({
    config,
    ledger,
    logger: silentLogger,
    publisher: noBroker,
    clock: Date.now,
    readiness: { brokerConnected: options.connected ?? (() => true), brokerNode: () => 'rabbit-2.internal:5672' },
  });
  const get = (path: string, key?: string) =>
    app.request(path, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  return { app, ledger, config, get };
}

async function seedOrder(
  ledger: LedgerStore,
  config: Config,
  orderId: string,
  partner: string,
  mesState?: string,
  at = T0,
) {
  await createAndForward(ledger, orderId, at, partner);
  for (const state of mesState ? ['ACCEPTED', mesState] : [])
    await ledger.recordMesEvent(mesEventInput(config.dialect, state, orderId, at + 1000), at + 1000);
}

t.test('health, readiness and the OpenAPI document', async (t) => {
  let connected = true;
  const { get, config, ledger } = await setup(t, { connected: () => connected });
  t.equal((await get('/healthz')).status, 200);
  const ready = await get('/readyz');
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready', broker: { node: 'rabbit-2.internal:5672' } }, 'says which node');
  connected = false;
  const notReady = await get('/readyz');
  t.equal(notReady.status, 503);
  t.equal(notReady.headers.get('content-type'), 'application/problem+json');
  t.match(await json(notReady), { status: 503, detail: /RabbitMQ/ });
  const document = await json(get('/openapi.json'));
  t.equal(document.openapi, '3.1.0');
  await t.resolves(SwaggerParser.validate(structuredClone(document)), 'the OpenAPI document validates');
  t.ok(
    document.components.schemas.Order.properties.status.$ref === '#/components/schemas/OrderStatus',
    'generated from the contracts',
  );
  // Every route of a gateway with the MES proxy and the ops pages, and nothing else.
  const ops: OpsService = {
    reportPage: () => Promise.reject(new Error('unused')),
    timeline: () => Promise.resolve([]),
    deadLetters: () => Promise.resolve([]),
    replay: () => Promise.resolve({ replayed: [], refused: [], kept: 0 }),
  };
  const mesProxy = {
    routeNames: () => config.gateway.mesApi.routes.map((route) => route.name),
  } as unknown as MesReadProxy;
  const full = createHttpApp({
    config,
    ledger,
    logger: silentLogger,
    publisher: noBroker,
    clock: Date.now,
    readiness: { brokerConnected: () => true },
    mesProxy,
    ops,
  });
  const served = new Set(
    full.routes
      .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
  );
  const documented = new Set(
    Object.entries(document.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    ),
  );
  t.same(
    [...served].filter((route) => !documented.has(route)),
    [],
    'every route the gateway serves is documented',
  );
  t.same(
    [...documented].filter((route) => !served.has(route)),
    [],
    'and only those',
  );
  t.ok(document.paths['/v1/orders'].post.requestBody, 'POST /v1/orders with its body schema');
  t.same(
    document.paths['/mes/worklist'].get.parameters[0],
    {
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    },
    'each configured MES read route with its query parameters and their bounds, from the config',
  );
});

t.test('missing, malformed, forged and revoked keys are 401 problems', async (t) => {
  const { get } = await setup(t);
  for (const [label, key] of [
    ['missing', undefined],
    ['malformed', 'short'],
    ['forged', keyOf()],
  ] as const) {
    const response = await get('/v1/orders', key);
    t.equal(response.status, 401, label);
    t.equal(response.headers.get('www-authenticate'), 'Bearer realm="orderbridge"');
    t.equal(response.headers.get('content-type'), 'application/problem+json');
    t.ok(validProblem(await json(response)).ok, `${label}: a problem document`);
  }
  const revoked = await setupWithout(t, 'beta');
  t.equal((await revoked('/v1/orders', keys.beta)).status, 401, 'a key removed from the config no longer works');
  t.equal((await revoked('/v1/orders', keys.alpha)).status, 200);
});

async function setupWithout(t: Test, partner: string) {
  const env = testConfig();
  const config = withGatewayOverrides(env.config, {
    partners: [{ id: 'alpha', name: 'Alpha', apiKeySha256: sha256(keys.alpha) }].filter((p) => p.id !== partner),
  });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const app = createHttpApp({
    config,
    ledger,
    logger: silentLogger,
    publisher: noBroker,
    clock: Date.now,
    readiness: { brokerConnected: () => true },
  });
  return (path: string, key: string) => app.request(path, { headers: { authorization: `Bearer ${key}` } });
}

t.test(
  "cross-partner matrix: another partner's order is a 404 indistinguishable from a missing one, with none of its data",
  async (t) => {
    const { ledger, config, get } = await setup(t);
    await seedOrder(ledger, config, 'A-1', 'alpha', 'CUTTING');
    await seedOrder(ledger, config, 'B-SECRET-1', 'beta', 'DISPATCHED');
    await seedOrder(ledger, config, 'B-SECRET-2', 'beta');
    const missing = await get('/v1/orders/NO-SUCH-ORDER', keys.alpha);
    const missingBody = await missing.text();
    t.equal(missing.status, 404);
    for (const id of ['B-SECRET-1', 'B-SECRET-2']) {
      const response = await get(`/v1/orders/${id}`, keys.alpha);
      t.equal(response.status, 404, `alpha → ${id}`);
      t.equal(await response.text(), missingBody, 'byte for byte the answer for a missing order');
    }
    const queries = ['', '?status=shipped', '?status=received', '?limit=200', '?updated_since=2000-01-01T00:00:00Z'];
    for (const query of queries) {
      const body = await (await get(`/v1/orders${query}`, keys.alpha)).text();
      t.notMatch(body, /B-SECRET|beta/, `alpha's list${query} holds nothing of beta's`);
    }
    t.same(
      (await json(get('/v1/orders', keys.beta))).data.map((o: { id: string }) => o.id).sort(),
      ['B-SECRET-1', 'B-SECRET-2'],
      'beta sees its own',
    );
  },
);

t.test('an order resource with its history; lists page by keyset', async (t) => {
  const { ledger, config, get } = await setup(t);
  await seedOrder(ledger, config, 'A-1', 'alpha', 'CUTTING');
  const response = await get('/v1/orders/A-1', keys.alpha);
  t.equal(response.status, 200);
  const order = await json(response);
  t.ok(validOrder(order).ok, 'valid against contracts/external/order.schema.json');
  t.match(order, { id: 'A-1', partner: 'alpha', status: 'in_production', attention: null });
  t.same(
    order.history.map((h: { status: string }) => h.status),
    ['received', 'accepted', 'in_production'],
  );

  for (let i = 2; i <= 7; i++)
    await seedOrder(ledger, config, `A-${i}`, 'alpha', i % 2 ? 'DISPATCHED' : undefined, T0 + i * 10_000);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await json(get(`/v1/orders?limit=3${cursor ? `&cursor=${cursor}` : ''}`, keys.alpha));
    t.ok(validPage(page).ok, 'valid page');
    t.notOk('history' in (page.data[0] ?? {}), 'lists leave the history out');
    seen.push(...page.data.map((o: { id: string }) => o.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  t.equal(pages, 3);
  t.same([...seen].sort(), ['A-1', 'A-2', 'A-3', 'A-4', 'A-5', 'A-6', 'A-7'], 'every order once');
  const shipped = await json(get('/v1/orders?status=shipped', keys.alpha));
  t.same(shipped.data.map((o: { id: string }) => o.id).sort(), ['A-3', 'A-5', 'A-7']);
  const recent = await json(get(`/v1/orders?updated_since=${new Date(T0 + 55_000).toISOString()}`, keys.alpha));
  t.same(recent.data.map((o: { id: string }) => o.id).sort(), ['A-6', 'A-7']);
});

t.test(
  'the order resource is kept in memory until a ledger write changes the order; ETag and If-None-Match give 304',
  async (t) => {
    const { app, ledger, config, get } = await setup(t);
    const revalidate = (etag: string) =>
      app.request('/v1/orders/M-1', { headers: { authorization: `Bearer ${keys.alpha}`, 'if-none-match': etag } });
    await seedOrder(ledger, config, 'M-1', 'alpha');
    const first = await get('/v1/orders/M-1', keys.alpha);
    t.match(await json(first), { status: 'received' });
    const etag = first.headers.get('etag')!;
    t.match(etag, /^"[\w-]+"$/, 'a strong ETag');
    const unchanged = await revalidate(etag);
    t.equal(unchanged.status, 304, 'unchanged: 304');
    t.equal(await unchanged.text(), '', 'without a body');

    // The MES accepts the order and starts it: the ledger writes must replace what memory holds.
    for (const state of ['ACCEPTED', 'CUTTING'])
      await ledger.recordMesEvent(mesEventInput(config.dialect, state, 'M-1', T0 + 1000), T0 + 1000);
    const changed = await get('/v1/orders/M-1', keys.alpha);
    t.match(
      await json(changed),
      {
        status: 'in_production',
        history: [{ status: 'received' }, { status: 'accepted' }, { status: 'in_production' }],
      },
      'the change is visible at once',
    );
    t.not(changed.headers.get('etag'), etag, 'a new ETag');
    t.equal((await revalidate(etag)).status, 200, 'the old ETag no longer matches');

    // The watchdog's attention flag is a ledger write too.
    await ledger.flagStuckOrders(Date.now() + 365 * 86_400_000, 10);
    t.match(
      await json(get('/v1/orders/M-1', keys.alpha)),
      { attention: { kind: 'stuck' } },
      'a flag is visible at once',
    );
    t.equal(
      (await get('/v1/orders/M-1', keys.beta)).status,
      404,
      'memory keeps the owner: still 404 for another partner',
    );
  },
);

t.test('bad queries are 400 problems naming each parameter and its fix', async (t) => {
  const { get } = await setup(t);
  const response = await get('/v1/orders?limit=0&status=shiped&since=yesterday', keys.alpha);
  t.equal(response.status, 400);
  const problem = await json(response);
  t.ok(validProblem(problem).ok);
  const byPointer = Object.fromEntries(problem.errors.map((e: { pointer: string; fix: string }) => [e.pointer, e.fix]));
  t.match(byPointer['/query/limit'], /1 to 200/);
  t.match(byPointer['/query/status'], /did you mean "shipped"/);
  t.match(byPointer['/query/since'], /did you mean "updated_since"|remove it/);
  for (const limit of ['abc', '1.5', '201']) {
    const bad = await json(get(`/v1/orders?limit=${limit}`, keys.alpha));
    t.match(
      bad,
      { status: 400, errors: [{ pointer: '/query/limit' }] },
      `limit=${limit}: limit is an integer from 1 to 200`,
    );
  }
  const cursor = await json(get('/v1/orders?cursor=bm90LWEtY3Vyc29y', keys.alpha));
  t.match(cursor, { status: 400, errors: [{ pointer: '/query/cursor', fix: /nextCursor/ }] });
});

t.test(
  'a query parameter given more than once is a 400 naming it, on the orders list and the ops routes',
  async (t) => {
    const { config, ledger } = await setup(t);
    const opsKey = keyOf();
    let reports = 0;
    const ops: OpsService = {
      reportPage: () => {
        reports++;
        return Promise.reject(new Error('not in this test'));
      },
      timeline: () => Promise.resolve([]),
      deadLetters: () => Promise.resolve([]),
      replay: () => Promise.resolve({ replayed: [], refused: [], kept: 0 }),
    };
    const withOps = withGatewayOverrides(config, {
      partners: [
        ...config.gateway.partners,
        { id: 'ops', name: 'Operators', apiKeySha256: sha256(opsKey), role: 'operator' },
      ],
    });
    const app = createHttpApp({
      config: withOps,
      ledger,
      logger: silentLogger,
      publisher: noBroker,
      clock: Date.now,
      readiness: { brokerConnected: () => true },
      ops,
    });
    const get = (path: string, key: string) => app.request(path, { headers: { authorization: `Bearer ${key}` } });
    for (const [path, key, name] of [
      ['/v1/orders?limit=1&limit=2', keys.alpha, 'limit'],
      ['/v1/orders?status=shipped&limit=5&status=received', keys.alpha, 'status'],
      ['/ops/report?since=1h&since=24h', opsKey, 'since'],
      ['/ops?format=json&lang=en&lang=ru', opsKey, 'lang'],
    ] as const) {
      const response = await get(path, key);
      t.equal(response.status, 400, path);
      const problem = await json(response);
      t.ok(validProblem(problem).ok);
      t.match(
        problem,
        { errors: [{ pointer: `/query/${name}`, detail: 'is given 2 times', fix: `give ${name} once` }] },
        path,
      );
      t.equal(problem.errors.length, 1, 'only the repeated parameter is named');
    }
    t.equal(reports, 0, 'no report was rendered for an ambiguous query');
    t.equal((await get('/v1/orders?limit=1', keys.alpha)).status, 200, 'each parameter once is fine');
  },
);

t.test(
  'rate limits answer 429 with Retry-After at once; bodies over the limit are 413; unknown routes 404',
  async (t) => {
    const { app, get } = await setup(t);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/v1/orders', keys.slow)).status);
    t.same(statuses, [200, 200, 200, 429, 429]);
    const limited = await get('/v1/orders', keys.slow);
    t.equal(limited.headers.get('retry-after'), '1');
    t.equal((await get('/v1/orders', keys.alpha)).status, 200, 'other partners are not affected');
    const big = await app.request('/v1/orders', {
      method: 'POST',
      body: 'x'.repeat(4096),
      headers: { authorization: `Bearer ${keys.alpha}`, 'content-type': 'application/json' },
    });
    t.equal(big.status, 413);
    t.equal(big.headers.get('content-type'), 'application/problem+json');
    const unknown = await get('/v2/nothing', keys.alpha);
    t.equal(unknown.status, 404);
    t.match(await json(unknown), { type: /no-route/ });
  },
);

t.test(
  'a served path asked with another method is a 405 problem with Allow; an unserved one stays a 404',
  async (t) => {
    const { app } = await setup(t);
    const put = await app.request('/v1/orders', { method: 'PUT' });
    t.equal(put.status, 405);
    t.equal(put.headers.get('allow'), 'GET, POST', 'the list and the submission');
    t.equal(put.headers.get('content-type'), 'application/problem+json');
    t.match(await put.json(), { type: /method-not-allowed/, detail: 'This path takes GET, POST.' });
    const remove = await app.request('/v1/orders/O-1', { method: 'DELETE' });
    t.equal(remove.status, 405);
    t.equal(remove.headers.get('allow'), 'GET');
    t.equal((await app.request('/healthz', { method: 'POST' })).headers.get('allow'), 'GET');
    t.equal((await app.request('/v2/nothing', { method: 'PUT' })).status, 404, 'a path nobody serves is still a 404');
  },
);
