import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { createHttpApp } from '../../src/adapters/http/app.js';
import { RouteRecorder } from '../../src/adapters/http/request-telemetry.js';
import { withGatewayOverrides } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { NotPublishedError } from '../../src/app/ports.js';
import { createAndForward } from '../fixtures/mes-events.js';
import { testConfig } from '../helpers/gateway-config.js';

t.test('HTTP metrics carry the route pattern Hono matched, never the path with its ids', async (t) => {
  const key = randomBytes(24).toString('base64url');
  const env = testConfig();
  const config = withGatewayOverrides(env.config, {
    partners: [{ id: 'alpha', name: 'Alpha', apiKeySha256: createHash('sha256').update(key).digest('hex') }],
  });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const metrics = createMetrics();
  const app = createHttpApp({
    config,
    ledger,
    logger: silentLogger,
    publisher: { publish: () => Promise.reject(new NotPublishedError('no broker')) },
    clock: Date.now,
    readiness: { brokerConnected: () => true },
    metrics,
  });
  await createAndForward(ledger, 'ORD-tele-1', Date.now(), 'alpha');
  const headers = { authorization: `Bearer ${key}` };

  const statuses = [
    (await app.request('/v1/orders/ORD-tele-1', { headers })).status, // from the ledger
    (await app.request('/v1/orders/ORD-tele-1', { headers })).status, // from memory, answered synchronously
    (await app.request('/v1/orders/ORD-tele-missing', { headers })).status,
    (await app.request('/v1/orders/ORD-tele-1')).status,
    (await app.request('/nothing/ORD-tele-1', { headers })).status,
    (await app.request('/healthz')).status,
  ];
  t.same(statuses, [200, 200, 404, 401, 404, 200]);
  const cachedRead = app.fetch(new Request('http://gateway/v1/orders/ORD-tele-1', { headers }));
  t.notOk(cachedRead instanceof Promise, 'a read of a resource in memory is answered synchronously');
  t.equal((await cachedRead).status, 200);

  const counted = (await metrics.httpRequests.get()).values.map(
    ({ labels, value }) => `${labels.method} ${labels.route} ${labels.status} ×${value}`,
  );
  t.same(
    counted.sort(),
    [
      'GET unmatched 404 ×1',
      'GET /healthz 200 ×1',
      'GET /v1/orders/:id 200 ×3',
      'GET /v1/orders/:id 401 ×1',
      'GET /v1/orders/:id 404 ×1',
    ].sort(),
  );
  const timed = (await metrics.httpDuration.get()).values
    .filter((v) => v.metricName?.endsWith('_count'))
    .map(({ labels, value }) => `${labels.method} ${labels.route} ×${value}`);
  t.same(timed.sort(), ['GET unmatched ×1', 'GET /healthz ×1', 'GET /v1/orders/:id ×5'].sort());
});

t.test(
  'a route the RegExpRouter cannot hold fails when it is added instead of slowing every request down',
  async (t) => {
    const app = new Hono({ router: new RouteRecorder() });
    app.get('/mes/orders/:externalRef', (c) => c.text('order'));
    t.throws(
      () => app.get('/mes/:route', (c) => c.text('route')),
      { message: '/mes/:route' },
      'UnsupportedPathError at start',
    );
  },
);
