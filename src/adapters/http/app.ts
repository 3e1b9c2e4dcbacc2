import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from '../../app/ports.js';
import { mesProxyRoutes, mesRoutePath, unknownMesRoute, type MesReadProxy } from '../mes/index.js';
import { healthRoutes, type Readiness } from './health-routes.js';
import { operatorsOnly, ownOrdersOnly } from './mes-read-access.js';
import { openApiDocument } from './openapi.js';
import { asyncApiRoutes } from './asyncapi.js';
import { opsRoutes, type OpsService } from './ops-routes.js';
import { orderSubmissionRoutes } from './order-submission.js';
import { orderResources, type OrderResources } from './order-resources.js';
import { ordersRoutes } from './orders-routes.js';
import { partnerGuard, type PartnerEnv } from './partner-guard.js';
import {
  ClientClosedRequest,
  HttpProblem,
  InternalError,
  MethodNotAllowed,
  NoRoute,
  PayloadTooLarge,
  problemResponse,
} from './problems.js';
import { instrumentRequests, RouteRecorder } from './request-telemetry.js';
import { answerTraceId } from '../../telemetry/tracing.js';

export interface HttpAppDeps extends AppDeps {
  readiness: Readiness;
  /** The cached, circuit-broken MES reads; /mes/* is served when it is given. */
  mesProxy?: MesReadProxy;
  /** The reconciliation report and timelines; /ops/* (operator keys) is served when it is given. */
  ops?: OpsService;
  version?: string;
  /** The in-memory order resources; the composition root passes its own so it can close them. */
  orderResources?: OrderResources;
}

/** The gateway's HTTP surface; routes stay thin, every error leaves as RFC 9457 problem+json. */
export function createHttpApp(deps: HttpAppDeps): Hono {
  const { config, ledger, readiness, logger, version = '0.1.0' } = deps;
  const router = new RouteRecorder();
  const app = new Hono({ router });
  instrumentRequests(app, router, deps.metrics);
  const limit = config.gateway.http.bodyLimitBytes;
  // Only where a body is read: on GET the limit would make @hono/node-server build a full Request per call.
  app.on(
    ['POST', 'PUT', 'PATCH', 'DELETE'],
    '*',
    bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new PayloadTooLarge(limit);
      },
    }),
  );
  app.route('/', healthRoutes(ledger, readiness));
  const document = openApiDocument(version, config.gateway.mesApi.routes);
  app.get('/openapi.json', (c) => c.json(document));
  app.route('/', asyncApiRoutes(config, version));

  // One guard for every partner route: a partner's rate limit is one budget across them.
  const guard = partnerGuard(config.gateway.partners, config.gateway.http.replicas);
  const partners = new Hono<PartnerEnv>();
  partners.route('/', ordersRoutes(ledger, deps.orderResources ?? orderResources(ledger), guard));
  partners.route('/', orderSubmissionRoutes(deps, guard));
  if (deps.mesProxy) {
    partners.use('/mes/*', guard.middleware);
    partners.use('/mes/orders/:orderId', ownOrdersOnly(ledger));
    for (const name of deps.mesProxy.routeNames()) partners.use(mesRoutePath(name), operatorsOnly());
    partners.route('/', mesProxyRoutes<PartnerEnv>(deps.mesProxy));
    // Runs only where no route answered (a route's handler ends the chain): unknown names, for operators.
    partners.use('/mes/*', operatorsOnly(), unknownMesRoute<PartnerEnv>(deps.mesProxy));
  }
  if (deps.ops) {
    partners.use('/ops', guard.middleware, operatorsOnly('The ops pages'));
    partners.use('/ops/*', guard.middleware, operatorsOnly('The ops pages'));
    partners.route('/', opsRoutes(deps.ops));
  }
  app.route('/', partners);

  app.notFound((c) => {
    const allowed = router.allowedMethods(c.req.path);
    if (allowed.length) throw new MethodNotAllowed(allowed);
    throw new NoRoute('No such endpoint; /openapi.json lists them.');
  });
  app.onError((error, c) => {
    if (error instanceof HttpProblem) return problemResponse(error);
    if (clientClosed(error)) {
      logger.debug({ path: c.req.path }, 'the client closed the connection before its request arrived');
      return problemResponse(new ClientClosedRequest());
    }
    logger.error({ err: error, path: c.req.path }, 'unhandled error in HTTP route');
    return problemResponse(new InternalError(answerTraceId(c.req.header('traceparent'))));
  });
  return app;
}

/** Whether reading the request failed because its client went away (Node's 'aborted', ECONNRESET). */
function clientClosed(error: Error): boolean {
  return (error as { code?: unknown }).code === 'ECONNRESET' || error.message === 'aborted';
}
