import { packageVersion } from '../shared/package-version.js';
import { NodeSDK, resources, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

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
    metricReaders: [],
    logRecordProcessors: [],
    ...more,
  });
}
