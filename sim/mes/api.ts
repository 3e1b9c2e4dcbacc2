import { Hono, type MiddlewareHandler } from 'hono';
import { sleep } from '../shared/clock.js';
import { problem } from '../shared/problem.js';
import type { ApiBehaviour } from './api-behaviour.js';
import { parseFaultSwitches } from './fault-switches.js';
import { orderResource, type OrderBook } from './order-book.js';
import type { MesStats } from './stats.js';

export interface MesApiDeps {
  book: OrderBook;
  behaviour: ApiBehaviour;
  stats: () => MesStats;
}

const maxWorkListLimit = 1000;

/** The MES's HTTP API: order look-ups and the work list (slow under load), plus stats and fault switches. */
export function createMesApi({ book, behaviour, stats }: MesApiDeps): Hono {
  const app = new Hono();

  const loadedDatabase: MiddlewareHandler = async (c, next) => {
    if (behaviour.down) return problem(c, 503, 'MES API unavailable', 'the MES API is down (fault switch apiDown)');
    await sleep(behaviour.admit());
    await next();
  };
  // '/orders/*' matches '/orders' as well.
  app.use('/orders/*', loadedDatabase);
  app.use('/worklist', loadedDatabase);

  app.get('/orders/:mesOrderNo', (c) => {
    const order = book.findByNo(c.req.param('mesOrderNo'));
    return order
      ? c.json(orderResource(order))
      : problem(c, 404, 'Order not found', `no MES order ${c.req.param('mesOrderNo')}`);
  });

  app.get('/orders', (c) => {
    const externalRef = c.req.query('externalRef');
    if (!externalRef)
      return problem(c, 400, 'Missing query parameter', 'give ?externalRef=<CRM order id>', {
        pointer: '/externalRef',
      });
    const order = book.findByRef(externalRef);
    return order
      ? c.json(orderResource(order))
      : problem(c, 404, 'Order not found', `no MES order for external reference ${externalRef}`);
  });

  app.get('/worklist', (c) => {
    const raw = c.req.query('limit') ?? '100';
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxWorkListLimit)
      return problem(
        c,
        400,
        'Invalid query parameter',
        `limit must be a whole number from 1 to ${maxWorkListLimit}, got ${raw}`,
        { pointer: '/limit' },
      );
    return c.json(book.workList(limit));
  });

  app.get('/stats', (c) => c.json(stats()));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.post('/faults', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return problem(c, 400, 'Invalid JSON', 'the body must be JSON, e.g. {"apiLatencyMs": 500} or {"apiDown": true}');
    }
    const parsed = parseFaultSwitches(body);
    if (!parsed.ok) return problem(c, 400, 'Invalid fault switches', parsed.message, { pointer: parsed.pointer });
    if (parsed.value.apiLatencyMs !== undefined) behaviour.baseLatencyMs = parsed.value.apiLatencyMs;
    if (parsed.value.apiDown !== undefined) behaviour.down = parsed.value.apiDown;
    return c.json(behaviour.describe());
  });

  app.notFound((c) => problem(c, 404, 'Not found', `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => problem(c, 500, 'Internal error', error.message));
  return app;
}
