import type { InboundMessage } from './deps.js';

/** What the ledger keeps of a delivery: the W3C trace id from its traceparent header, and whether the broker redelivered it. */
export function deliveryOf(message: InboundMessage): { traceId?: string; redelivered: boolean } {
  const header = message.properties.headers?.traceparent;
  const match = typeof header === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(header) : null;
  return { redelivered: message.fields.redelivered, ...(match ? { traceId: match[1]! } : {}) };
}

/** The incoming message's W3C trace headers, to travel on with what the gateway sends because of it. */
export function traceOf(message: InboundMessage | undefined): Record<string, string> {
  const headers = message?.properties.headers ?? {};
  const carried: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) if (typeof headers[key] === 'string') carried[key] = headers[key];
  return carried;
}
