/**
 * Tracing is off unless the standard OTEL_* variables ask for an exporter (the SDK alone would
 * default to OTLP): OTEL_TRACES_EXPORTER other than "none", or an OTLP endpoint. OTEL_SDK_DISABLED=true
 * always wins.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return !!(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}
