import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { metrics, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { core, metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import { createTracingSdk, ExportWithoutContextManager } from '../../src/telemetry/otel-sdk.js';

// With tracing asked for by an OTLP endpoint, NodeSDK on its own also starts an OTLP exporter for
// metrics and one for logs: the gateway has neither kind of telemetry to send through OpenTelemetry
// (its metrics are Prometheus's, its logs pino's).
t.test('with an OTLP endpoint set, the tracing SDK exports traces and nothing else', async (t) => {
  const paths: string[] = [];
  const collector = createServer((request, response) => {
    paths.push(request.url ?? '');
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  collector.listen(0, '127.0.0.1');
  await once(collector, 'listening');
  t.teardown(() => collector.close());
  const { port } = collector.address() as { port: number };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
  // What the README says makes no difference: asking for OTLP metrics and logs outright.
  process.env.OTEL_METRICS_EXPORTER = 'otlp';
  process.env.OTEL_LOGS_EXPORTER = 'otlp';
  const sdk = createTracingSdk(process.env);
  sdk.start();

  t.notOk(metrics.getMeterProvider() instanceof sdkMetrics.MeterProvider, 'no SDK meter provider is registered');
  trace.getTracer('test').startSpan('a span').end();
  metrics.getMeter('test').createCounter('a_counter').add(1);
  logs.getLogger('test').emit({ body: 'a log record' });
  // Shutting down flushes every exporter there is: each sends what it holds.
  await sdk.shutdown();

  t.same([...new Set(paths)], ['/v1/traces'], 'only traces reached the collector');
});

t.test("the batch processor's export enters no context; every other context is entered", async (t) => {
  const manager = new ExportWithoutContextManager().enable();
  t.teardown(() => manager.disable());
  const exportContext = core.suppressTracing(ROOT_CONTEXT);
  t.equal(
    manager.with(exportContext, () => manager.active()),
    ROOT_CONTEXT,
    'a context that only suppresses tracing, entered where none is active: run as it is',
  );

  const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
  for (const [name, context] of [
    ['a span', trace.setSpan(ROOT_CONTEXT, span)],
    ['a span with tracing suppressed', core.suppressTracing(trace.setSpan(ROOT_CONTEXT, span))],
  ] as const) {
    const seen = await manager.with(context, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return manager.active();
    });
    t.equal(seen, context, `${name}: active, and still after an await`);
  }
  const outer = trace.setSpan(ROOT_CONTEXT, span);
  const inner = core.suppressTracing(outer);
  t.equal(
    manager.with(outer, () => manager.with(inner, () => manager.active())),
    inner,
    'suppressed inside an active context (an export from a span ended in a request): entered',
  );
});
