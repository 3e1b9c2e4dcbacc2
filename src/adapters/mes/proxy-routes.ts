import { Hono, type Env } from 'hono';
import type { MesReadProxy, ProxyAnswer } from './read-proxy.js';

/**
 * The read proxy's HTTP routes, to mount behind partner or operator authentication:
 * `app.route('/', mesProxyRoutes(proxy))`. The proxy has already decided everything (status,
 * ETag/304, Cache-Status, problem+json); these routes only carry it over.
 */
export function mesProxyRoutes<E extends Env = Env>(proxy: MesReadProxy): Hono<E> {
  const routes = new Hono<E>();
  routes.get('/mes/orders/:externalRef', async (c) => toResponse(await proxy.readOrder(c.req.param('externalRef'), { ifNoneMatch: c.req.header('if-none-match') })));
  routes.get('/mes/:route', async (c) => toResponse(await proxy.readRoute(c.req.param('route'), new URL(c.req.url).searchParams, { ifNoneMatch: c.req.header('if-none-match') })));
  return routes;
}

function toResponse(answer: ProxyAnswer): Response {
  return new Response(answer.status === 304 ? null : answer.body, { status: answer.status, headers: answer.headers });
}
