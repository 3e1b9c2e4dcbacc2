import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../contracts/generated/config/gateway.js';
import { maxJsonDepth, nestedDeeperThan, parseJsonBounded, type JsonLimits, type ParseRefusal } from '../contracts/parse-json.js';
import { undecodableHeaders } from './deps.js';
import type { InboundMessage } from './deps.js';

export type Decoded = { ok: true; value: unknown } | { ok: false; reason: ParseRefusal; error: string };

/** Parses a message body as JSON within the input limits (size, UTF-8, nesting depth), before any other work. */
export function decodeJson(content: Buffer, limits: JsonLimits): Decoded {
  const parsed = parseJsonBounded(content, limits);
  if (parsed.ok) return parsed;
  const setting = parsed.reason === 'too_large' ? ' (amqp.maxMessageBytes)' : parsed.reason === 'too_deep' ? ' (input.maxJsonDepth)' : '';
  return { ok: false, reason: parsed.reason, error: `message ${parsed.error}${setting}; fix: ${parsed.fix}` };
}

/**
 * A delivery's headers and body within the input limits: headers the AMQP decoder could not read, or
 * nested deeper than the body may be, refuse the message as surely as its body would.
 */
export function decodeDelivery(message: InboundMessage, limits: JsonLimits): Decoded {
  const headers = message.properties.headers ?? {};
  const unreadable = (headers as Record<symbol, unknown>)[undecodableHeaders];
  if (unreadable !== undefined) return { ok: false, reason: 'undecodable', error: `message headers not decodable: ${String(unreadable)}; fix: send headers as a flat table of strings and numbers` };
  const deep = Object.keys(headers).find((name) => nestedDeeperThan(headers[name], limits.maxDepth));
  if (deep !== undefined) return { ok: false, reason: 'too_deep', error: `message header ${JSON.stringify(deep.slice(0, 64))} nested deeper than ${limits.maxDepth} levels (input.maxJsonDepth); fix: send headers as a flat table of strings and numbers` };
  return decodeJson(message.content, limits);
}

/** Ledger id of an invalid message: its content hash, so a redelivery of the same bytes finds its row. */
export function invalidMessageId(content: Buffer): string {
  return `invalid:${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}

/** A string field of an undecided message, if it has one (for the ledger row of an invalid message). */
export function stringField(value: unknown, field: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const found = (value as Record<string, unknown>)[field];
  return typeof found === 'string' && found.length <= 128 ? found : undefined;
}

/** The bounds every AMQP input is held to before it is parsed. */
export function amqpInputLimits(gateway: GatewayConfig): JsonLimits {
  return { maxBytes: gateway.amqp.maxMessageBytes, maxDepth: maxJsonDepth(gateway) };
}
