import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeSDK, resources, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/**
 * The OpenTelemetry SDK the gateway registers (src/telemetry/otel-register.ts): no instrumentation
 * libraries (the gateway makes its own spans), `service.name` from OTEL_SERVICE_NAME or
 * "orderbridge", `service.version` the package's version. Exporter, sampler and further resource
 * attributes come from the standard OTEL_* variables; OTEL_RESOURCE_ATTRIBUTES may override the
 * version. Tests pass their own span processors in `more`.
 */
export function createTracingSdk(env: NodeJS.ProcessEnv, more: Partial<NodeSDKConfiguration> = {}): NodeSDK {
  return new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'orderbridge',
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.version': packageVersion() })),
    instrumentations: [],
    ...more,
  });
}

/** The version in the package.json above this module (from src/ or dist/src/ alike). */
export function packageVersion(from = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
