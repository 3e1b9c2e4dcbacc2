import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../../telemetry/metrics.js';
import { contextFrom, inSpan, SpanKind, SpanStatusCode } from '../../telemetry/tracing.js';
import type { PipelineDeps } from '../../pipeline/deps.js';
import { mesProxyRoutes, type MesReadProxy } from '../mes/index.js';
import { healthRoutes, type Readiness } from './health-routes.js';
import { operatorsOnly, ownOrdersOnly } from './mes-read-access.js';
import { openApiDocument } from './openapi.js';
import { opsRoutes, type OpsService } from './ops-routes.js';
import { orderSubmissionRoutes } from './order-submission.js';
import { ordersRoutes } from './orders-routes.js';
import { partnerAuth, type PartnerEnv } from './partner-auth.js';
import { HttpProblem, internalError, PayloadTooLarge } from './problems.js';
import { partnerRateLimit } from './rate-limit.js';

export interface HttpAppDeps extends PipelineDeps {
  readiness: Readiness;
  /** The cached, circuit-broken MES reads; /mes/* is served when it is given. */
  mesProxy?: MesReadProxy;
  /** The reconciliation report and timelines; /ops/* (operator keys) is served when it is given. */
  ops?: OpsService;
  version?: string;
}

/** The gateway's HTTP surface; routes stay thin, every error leaves as RFC 9457 problem+json. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const { config, ledger, readiness, logger, version = '0.1.0' } = deps;
  const app = new Hono();
  app.use('*', requestTelemetry(deps.metrics));
  if (deps.metrics) {
    const { registry } = deps.metrics;
    app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  }
  const limit = config.gateway.http.bodyLimitBytes;
  // Only where a body is read: on GET the limit would make @hono/node-server build a full Request per call.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '*', bodyLimit({ maxSize: limit, onError: () => { throw new PayloadTooLarge(limit); } }));
  app.route('/', healthRoutes(ledger, readiness));
  const document = openApiDocument(version);
  app.get('/openapi.json', (c) => c.json(document));

  const partners = new Hono<PartnerEnv>();
  partners.use('/v1/*', partnerAuth(config.gateway.partners), partnerRateLimit());
  partners.route('/', ordersRoutes(ledger));
  partners.route('/', orderSubmissionRoutes(deps));
  if (deps.mesProxy) {
    partners.use('/mes/*', partnerAuth(config.gateway.partners), partnerRateLimit());
    partners.use('/mes/orders/:externalRef', ownOrdersOnly(ledger));
    partners.use('/mes/:route', operatorsOnly());
    partners.route('/', mesProxyRoutes<PartnerEnv>(deps.mesProxy));
  }
  if (deps.ops) {
    partners.use('/ops', partnerAuth(config.gateway.partners), partnerRateLimit(), operatorsOnly('The ops pages'));
    partners.use('/ops/*', partnerAuth(config.gateway.partners), partnerRateLimit(), operatorsOnly('The ops pages'));
    partners.route('/', opsRoutes(deps.ops));
  }
  app.route('/', partners);

  app.notFound(() => {
    throw new HttpProblem(404, 'no-route', 'Not found', 'No such endpoint; /openapi.json lists them.');
  });
  app.onError((error, c) => {
    if (error instanceof HttpProblem) {
      return c.body(JSON.stringify(error.toJSON()), error.status as 400, { ...error.headers, 'content-type': 'application/problem+json' });
    }
    logger.error({ err: error.message, path: c.req.path }, 'unhandled error in HTTP route');
    return c.body(JSON.stringify(internalError(undefined)), 500, { 'content-type': 'application/problem+json' });
  });
  return app;
}

/**
 * A server span per request (continuing the caller's traceparent) and RED metrics, both by route
 * pattern: never the raw path, whose ids would make names and labels unbounded.
 */
function requestTelemetry(metrics: Metrics | undefined): MiddlewareHandler {
  return (c, next) => {
    const started = performance.now();
    const { method } = c.req;
    const traceparent = c.req.header('traceparent');
    return inSpan(method, { kind: SpanKind.SERVER, ...(traceparent ? { parent: contextFrom({ traceparent, tracestate: c.req.header('tracestate') }) } : {}) }, async (span) => {
      await next();
      const route = routePath(c, -1) || 'unmatched';
      span.updateName(`${method} ${route}`);
      span.setAttributes({ 'http.request.method': method, 'http.route': route, 'http.response.status_code': c.res.status });
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      metrics?.httpRequests.inc({ route, method, status: String(c.res.status) });
      metrics?.httpDuration.observe({ route, method }, (performance.now() - started) / 1000);
    });
  };
}
