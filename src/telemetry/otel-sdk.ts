import { packageVersion } from '../shared/package-version.js';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { api, core, NodeSDK, resources, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/**
 * NodeSDK's default context manager (AsyncLocalStorage), but for a context that only suppresses
 * tracing, entered where none is active: the batch span processor's export on the message path. Entering
 * it is what turned AsyncLocalStorage's promise hooks on for good in a gateway that only handles
 * messages (whose trace context travels explicitly, src/telemetry/tracing.ts), and the hooks then
 * cost every promise of the message path (bench/RESULTS.md). Suppressing tracing is for
 * instrumentation libraries, which would otherwise trace the exporter's own request: the gateway
 * loads none. Every other context is entered as NodeSDK would.
 */
export class ExportWithoutContextManager extends AsyncLocalStorageContextManager {
  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: api.Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (this.active() === api.ROOT_CONTEXT && suppressesOnly(context)) return fn.call(thisArg, ...args);
    return super.with(context, fn, thisArg, ...args);
  }
}

const suppressesOnly = (context: api.Context): boolean =>
  core.isTracingSuppressed(context) &&
  api.trace.getSpan(context) === undefined &&
  api.propagation.getBaggage(context) === undefined;

/**
 * The OpenTelemetry SDK the gateway registers (src/telemetry/otel-register.ts): no instrumentation
 * libraries (the gateway makes its own spans), `service.name` from OTEL_SERVICE_NAME or
 * "orderbridge", `service.version` the package's version. Exporter, sampler and further resource
 * attributes come from the standard OTEL_* variables; OTEL_RESOURCE_ATTRIBUTES may override the
 * version. Tests pass their own span processors in `more`. Traces only: the gateway's metrics are
 * Prometheus's (/metrics) and its logs pino's, so no OTel metric reader or log processor is made
 * (left to itself NodeSDK would start OTLP exporters for both, sending empty exports to the collector).
 */
export function createTracingSdk(env: NodeJS.ProcessEnv, more: Partial<NodeSDKConfiguration> = {}): NodeSDK {
  return new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'orderbridge',
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ 'service.version': packageVersion() })),
    instrumentations: [],
    contextManager: new ExportWithoutContextManager(),
    metricReaders: [],
    logRecordProcessors: [],
    ...more,
  });
}
