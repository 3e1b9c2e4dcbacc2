import type { Delivery } from '../../app/ports.js';
import { traceIdOf } from '../../telemetry/tracing.js';
import type { InboundMessage } from './inbound.js';

/** What a use case is told of a delivery: its body, its W3C trace (id and headers to carry on), and whether the broker redelivered it. */
export function deliveryOf(message: InboundMessage): Delivery {
  const { trace, traceId } = traceContextOf(message.properties.headers ?? {});
  return {
    redelivered: message.fields.redelivered,
    trace,
    body: message.content,
    ...(traceId ? { traceId } : {}),
  };
}

// What W3C lets a hop cut to (tracestate: 512 characters; baggage: 8,192 bytes). A sender's header
// passed on whole could be larger than the gateway's next publish can carry (amqplib encodes a
// message's properties in 64 KiB), and that message would then never go out.
const maxTraceHeaderLength = 512;
const maxBaggageBytes = 8192;

/**
 * The trace context a message carries on (a valid traceparent with its tracestate, and baggage,
 * each within W3C's limits) and its trace id, the traceparent read once.
 */
function traceContextOf(headers: Record<string, unknown>): { trace: Record<string, string>; traceId?: string } {
  const { traceparent, tracestate, baggage } = headers;
  const trace: Record<string, string> = {};
  const traceId =
    typeof traceparent === 'string' && traceparent.length <= maxTraceHeaderLength ? traceIdOf(traceparent) : undefined;
  if (traceId) {
    trace.traceparent = traceparent as string;
    if (typeof tracestate === 'string' && tracestate.length <= maxTraceHeaderLength) trace.tracestate = tracestate;
  }
  if (typeof baggage === 'string' && Buffer.byteLength(baggage) <= maxBaggageBytes) trace.baggage = baggage;
  return traceId ? { trace, traceId } : { trace };
}
