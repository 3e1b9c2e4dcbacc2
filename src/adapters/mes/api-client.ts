import { readOrderAnswer, needsBody, orderLookupTarget, type OrderLookup } from '../../mapping/index.js';
import { inChildSpan, SpanKind, traceHeaders } from '../../telemetry/tracing.js';

/** The MES API calls the gateway makes itself (the partner read proxy arrives with its own module). */
export interface MesApiClient {
  /** Whether the MES knows the order; undefined when the MES could not be asked (down, slow, error). */
  knowsOrder(orderId: string): Promise<boolean | undefined>;
}

/** Asks the MES API's order look-up (the dialect's api.orderLookup) whether it knows an order. */
export function createMesApiClient(baseUrl: string, timeoutMs: number, orderLookup: OrderLookup): MesApiClient {
  // Whether the MES knows the order is all the evidence needs: its state is not read.
  const { statePointer: _state, ...lookup } = orderLookup;
  return {
    knowsOrder: (orderId) =>
      inChildSpan(
        `GET ${lookup.path}`,
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET' } },
        async () => {
          try {
            const { path, query } = orderLookupTarget(lookup, orderId);
            const url = new URL(`${path.slice(1)}${query ? `?${query}` : ''}`, withSlash(baseUrl));
            const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: traceHeaders() });
            const text = needsBody(lookup) ? await response.text() : await discardBody(response);
            const answer = readOrderAnswer(lookup, response.status, () => JSON.parse(text));
            return 'error' in answer ? undefined : answer.knows;
          } catch {
            return undefined;
          }
        },
      ),
  };
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

/** Frees the connection of an answer whose status says it all; reads as an empty body. */
async function discardBody(response: Response): Promise<string> {
  await response.body?.cancel();
  return '';
}
