import type { Delivery } from '../../app/ports.js';
import type { InboundMessage } from './inbound.js';

/** What a use case is told of a delivery: its body, its W3C trace (id and headers to carry on), and whether the broker redelivered it. */
export function deliveryOf(message: InboundMessage): Delivery {
  const headers = message.properties.headers ?? {};
  const trace: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate', 'baggage'])
    if (typeof headers[key] === 'string') trace[key] = headers[key];
  const match = trace.traceparent
    ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(trace.traceparent)
    : null;
  return {
    redelivered: message.fields.redelivered,
    trace,
    body: message.content,
    ...(match ? { traceId: match[1]! } : {}),
  };
}
