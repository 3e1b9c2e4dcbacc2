import { Hono } from 'hono';
import type { Logger } from '../../telemetry/logger.js';
import type { Metrics } from '../../telemetry/metrics.js';
import { answerTraceId } from '../../telemetry/tracing.js';
import { InternalError, NoRoute, problemResponse } from './problems.js';

/**
 * GET /metrics, alone on its own listener (config `metrics`): it has no key and shows business
 * volumes (orders by status, traffic per exchange), so it never shares the partners' port.
 */
export function createMetricsApp({ registry }: Metrics, logger: Logger): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  app.notFound(() => problemResponse(new NoRoute('This listener serves GET /metrics only.')));
  app.onError((error, c) => {
    logger.error({ err: error }, 'metrics scrape failed');
    return problemResponse(new InternalError(answerTraceId(c.req.header('traceparent'))));
  });
  return app;
}

/** Where the metrics listener binds: config `metrics`, by default loopback port 9464 (Prometheus' registry lists 9464 for OpenTelemetry-style exporters). */
export function metricsListener(gateway: { metrics?: { host?: string; port?: number } }): {
  host: string;
  port: number;
} {
  return { host: gateway.metrics?.host ?? '127.0.0.1', port: gateway.metrics?.port ?? 9464 };
}
