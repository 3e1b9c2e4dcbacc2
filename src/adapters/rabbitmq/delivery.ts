import type { Delivery } from '../../app/ports.js';
import { traceIdOf } from '../../telemetry/tracing.js';
import type { InboundMessage } from './inbound.js';

/** What a use case is told of a delivery: its body, its W3C trace (id and headers to carry on), and whether the broker redelivered it. */
export function deliveryOf(message: InboundMessage): Delivery {
  const headers = message.properties.headers ?? {};
  const trace: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate', 'baggage'])
    if (typeof headers[key] === 'string') trace[key] = headers[key];
  const traceId = traceIdOf(trace.traceparent);
  return {
    redelivered: message.fields.redelivered,
    trace,
    body: message.content,
    ...(traceId ? { traceId } : {}),
  };
}
