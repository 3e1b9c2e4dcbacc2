import { Hono } from 'hono';
import type { Metrics } from '../../telemetry/metrics.js';
import { HttpProblem, internalError } from './problems.js';

const problemJson = { 'content-type': 'application/problem+json' };

/**
 * GET /metrics, alone on its own listener (config `metrics`): it has no key and shows business
 * volumes (orders by status, traffic per exchange), so it never shares the partners' port.
 */
export function createMetricsApp({ registry }: Metrics): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  app.notFound((c) => c.body(JSON.stringify(new HttpProblem(404, 'no-route', 'Not found', 'This listener serves GET /metrics only.').toJSON()), 404, problemJson));
  app.onError((_error, c) => c.body(JSON.stringify(internalError(undefined)), 500, problemJson));
  return app;
}

/** Where the metrics listener binds: config `metrics`, by default loopback port 9464 (Prometheus' registry lists 9464 for OpenTelemetry-style exporters). */
export function metricsListener(gateway: { metrics?: { host?: string; port?: number } }): { host: string; port: number } {
  return { host: gateway.metrics?.host ?? '127.0.0.1', port: gateway.metrics?.port ?? 9464 };
}
