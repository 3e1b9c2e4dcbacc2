import t from 'tap';
import { metrics } from '@opentelemetry/api';
import { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import { createTracingSdk } from '../../src/telemetry/otel-sdk.js';

// With tracing asked for by an OTLP endpoint, NodeSDK on its own also starts an OTLP metrics exporter
// (and one for logs): the gateway has neither kind of telemetry to send through OpenTelemetry.
t.test('the tracing SDK registers no OpenTelemetry meter provider, even with an OTLP endpoint set', async (t) => {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
  const sdk = createTracingSdk(process.env);
  sdk.start();
  t.teardown(() => sdk.shutdown());
  t.notOk(metrics.getMeterProvider() instanceof sdkMetrics.MeterProvider, 'no SDK meter provider is registered');
});
