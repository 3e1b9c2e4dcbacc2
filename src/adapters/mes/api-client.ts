import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { inSpan, SpanKind, traceHeaders } from '../../telemetry/tracing.js';

/** The MES API calls the gateway makes itself (the partner read proxy arrives with its own module). */
export interface MesApiClient {
  /** Whether the MES knows the order; undefined when the MES could not be asked (down, slow, error). */
  knowsOrder(orderId: string): Promise<boolean | undefined>;
}

/** Asks the MES API's order look-up (mesApi.orderLookup) whether it knows an order. */
export function createMesApiClient(baseUrl: string, timeoutMs: number, lookup: NonNullable<GatewayConfig['mesApi']['orderLookup']>): MesApiClient {
  return {
    knowsOrder: (orderId) =>
      inSpan(`GET ${lookup.path}`, { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } }, async () => {
        try {
          const url = new URL(`${lookup.path.slice(1)}?${new URLSearchParams({ [lookup.query]: orderId }).toString()}`, withSlash(baseUrl));
          const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: traceHeaders() });
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
