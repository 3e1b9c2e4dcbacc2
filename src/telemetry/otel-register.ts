/**
 * Starts OpenTelemetry tracing before the application is imported:
 *   node --import orderbridge/dist/src/telemetry/otel-register.js bin/orderbridge.js serve
 * (bin/orderbridge.js imports it itself when tracingRequested()). Exporter, endpoint, sampler and
 * resource come from the standard OTEL_* environment variables (service.version: the package's), e.g.
 *   OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318
 * No instrumentation libraries are loaded: the gateway makes its own spans (src/telemetry/tracing.ts).
 */
import { tracingRequested } from './otel-env.js';
import { createTracingSdk } from './otel-sdk.js';
import { enableTracing } from './tracing.js';

if (tracingRequested(process.env)) {
  const sdk = createTracingSdk(process.env);
  sdk.start();
  enableTracing();
  // Flush what is buffered when the process ends normally; `serve` flushes on SIGTERM itself.
  process.once('beforeExit', () => void sdk.shutdown());
}
