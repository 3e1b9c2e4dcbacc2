import { Registry } from 'prom-client';
import t from 'tap';
import { HttpRequestMetrics } from '../../src/telemetry/http-metrics.js';

t.test(
  'requests become a Prometheus histogram by route and method: cumulative buckets, +Inf, sum and count',
  async (t) => {
    const registry = new Registry();
    const http = new HttpRequestMetrics([0.001, 0.01]);
    const histogram = http.registerHistogram(registry, 'http_seconds', 'Request time.');
    http.record('/v1/orders/:id', 'GET', 200, 0.0005);
    http.record('/v1/orders/:id', 'GET', 404, 0.005);
    http.record('/v1/orders/:id', 'GET', 200, 0.01);
    http.record('/v1/orders/:id', 'GET', 200, 2);
    http.record('/healthz', 'GET', 200, 0.001);
    const text = await registry.metrics();
    const lines = text.split('\n');
    t.ok(lines.includes('# TYPE http_seconds histogram'));
    for (const line of [
      'http_seconds_bucket{le="0.001",route="/v1/orders/:id",method="GET"} 1',
      'http_seconds_bucket{le="0.01",route="/v1/orders/:id",method="GET"} 3',
      'http_seconds_bucket{le="+Inf",route="/v1/orders/:id",method="GET"} 4',
      'http_seconds_sum{route="/v1/orders/:id",method="GET"} 2.0155',
      'http_seconds_count{route="/v1/orders/:id",method="GET"} 4',
      'http_seconds_bucket{le="0.001",route="/healthz",method="GET"} 1',
      'http_seconds_count{route="/healthz",method="GET"} 1',
    ])
      t.ok(lines.includes(line), line);
    t.same(
      [...http.series()].map(({ route, status, count }) => `${route} ${status} ×${count}`),
      ['/v1/orders/:id 200 ×3', '/v1/orders/:id 404 ×1', '/healthz 200 ×1'],
      'statuses kept apart for the request counter',
    );
    histogram.reset();
    t.same((await histogram.get()).values, [], 'reset empties it');
  },
);
