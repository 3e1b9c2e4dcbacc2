import type { Env, ExecutionContext, Hono, Schema } from 'hono';
import type { Result, Router } from 'hono/router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import type { H, RouterRoute } from 'hono/types';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../../telemetry/metrics.js';
import { inServerSpan, SpanStatusCode, tracingEnabled, type Span } from '../../telemetry/tracing.js';

type Route = [H, RouterRoute];

const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Hono's RegExpRouter, remembering the route pattern of its latest match. Used alone (not in
 * Hono's SmartRouter), so a route it cannot hold fails when it is added, at start, instead of
 * quietly moving every request to the slower TrieRouter.
 */
export class RouteRecorder implements Router<Route> {
  readonly name = 'RegExpRouter';
  readonly #router = new RegExpRouter<Route>();
  #latest: Result<Route> | undefined;

  add(method: string, path: string, handler: Route): void {
    this.#router.add(method, path, handler);
  }

  match(method: string, path: string): Result<Route> {
    this.#latest = this.#router.match(method, path);
    return this.#latest;
  }

  /**
   * The methods a route answers on this path: what a 405 lists in Allow. Middleware (registered
   * for a wildcard path, or for every method) does not count.
   */
  allowedMethods(path: string): string[] {
    const routed = (method: string) =>
      this.#router.match(method, path)[0].some(([[, route]]) => route.method === method && !route.path.includes('*'));
    return httpMethods.filter(routed);
  }

  /** The pattern of the route (or, for a miss, the middleware) the latest match ended on. */
  latestRoute(): string | undefined {
    return this.#latest?.[0].at(-1)?.[0][1].path;
  }
}

/**
 * A server span per request (continuing the caller's traceparent) and RED metrics, by route
 * pattern, never the raw path, whose ids would make names and labels unbounded. Wraps the app's
 * fetch instead of running as middleware: a middleware would turn every route into an async
 * chain, and a cached read would lose about a fifth of its throughput to it.
 */
export function instrumentRequests(
  app: Hono<Env, Schema, string>,
  router: RouteRecorder,
  metrics: Metrics | undefined,
): void {
  const dispatch = app.fetch;
  const measured = (
    request: Request,
    env: Parameters<typeof dispatch>[1],
    executionCtx: ExecutionContext | undefined,
    span: Span | undefined,
  ) => {
    const started = performance.now();
    const answer = dispatch(request, env, executionCtx);
    // Hono matched this request synchronously inside dispatch(); no other request has been matched since.
    const route = router.latestRoute() ?? 'unmatched';
    const record = (response: Response) => {
      const { status } = response;
      metrics?.http.record(route, request.method, status, (performance.now() - started) / 1000);
      if (span?.isRecording()) {
        span.updateName(`${request.method} ${route}`);
        span.setAttributes({
          'http.request.method': request.method,
          'http.route': route,
          'http.response.status_code': status,
        });
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return response;
    };
    return answer instanceof Promise ? answer.then(record) : record(answer);
  };
  app.fetch = (request, env, executionCtx) => {
    if (!tracingEnabled()) return measured(request, env, executionCtx, undefined);
    const carrier = () => ({
      traceparent: request.headers.get('traceparent') ?? undefined,
      tracestate: request.headers.get('tracestate') ?? undefined,
    });
    return inServerSpan(request.method, carrier, (span) => measured(request, env, executionCtx, span));
  };
}
