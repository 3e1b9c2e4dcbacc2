import { inSpan, SpanKind, traceHeaders } from '../../telemetry/tracing.js';

/** The MES API calls the gateway makes itself (the partner read proxy arrives with its own module). */
export interface MesApiClient {
  /** Whether the MES knows the order; undefined when the MES could not be asked (down, slow, error). */
  knowsOrder(orderId: string): Promise<boolean | undefined>;
}

export function createMesApiClient(baseUrl: string, timeoutMs: number): MesApiClient {
  return {
    knowsOrder: (orderId) =>
      inSpan('GET /orders', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } }, async () => {
        try {
          const response = await fetch(new URL(`orders?externalRef=${encodeURIComponent(orderId)}`, withSlash(baseUrl)), { signal: AbortSignal.timeout(timeoutMs), headers: traceHeaders() });
          await response.body?.cancel();
          if (response.status === 404) return false;
          return response.ok ? true : undefined;
        } catch {
          return undefined;
        }
      }),
  };
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
