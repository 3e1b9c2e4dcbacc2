import { Hono, type Env, type MiddlewareHandler } from 'hono';
import type { MesReadProxy, ProxyAnswer } from './read-proxy.js';

/** GET /mes/<name> for each configured read route (a static path each: see mesProxyRoutes). */
export const mesRoutePath = (name: string) => `/mes/${name}`;

/**
 * The read proxy's HTTP routes, to mount behind partner or operator authentication:
 * `app.route('/', mesProxyRoutes(proxy))`. The proxy has already decided everything (status,
 * ETag/304, Cache-Status, problem+json); these routes only carry it over. Each configured route
 * gets a static path rather than one `/mes/:route` beside `/mes/orders/:orderId`: Hono's
 * RegExpRouter cannot hold both.
 */
export function mesProxyRoutes<E extends Env = Env>(proxy: MesReadProxy): Hono<E> {
  const routes = new Hono<E>();
  routes.get('/mes/orders/:orderId', async (c) =>
    toResponse(await proxy.readOrder(c.req.param('orderId'), { ifNoneMatch: c.req.header('if-none-match') })),
  );
  for (const name of proxy.routeNames()) {
    routes.get(mesRoutePath(name), async (c) =>
      toResponse(
        await proxy.readRoute(name, new URL(c.req.url).searchParams, { ifNoneMatch: c.req.header('if-none-match') }),
      ),
    );
  }
  return routes;
}

/**
 * Mounted after mesProxyRoutes: a GET /mes/<name> that no configured route took gets the proxy's
 * 404, which names the configured routes. Deeper unknown paths go on to the app's 404.
 */
export function unknownMesRoute<E extends Env = Env>(proxy: MesReadProxy): MiddlewareHandler<E> {
  return async (c, next) => {
    const name = c.req.path.slice(mesRoutePath('').length);
    if (c.req.method !== 'GET' || name.includes('/')) return next();
    return toResponse(await proxy.readRoute(name, {}));
  };
}

function toResponse(answer: ProxyAnswer): Response {
  return new Response(answer.status === 304 ? null : answer.body, { status: answer.status, headers: answer.headers });
}
