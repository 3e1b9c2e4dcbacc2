import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../../contracts/generated/config/gateway.js';
import { maxJsonDepth, nestedDeeperThan, readsAsIs, type JsonLimits } from '../../contracts/parse-json.js';
import { decodeJson, type Decoded } from '../../app/message-input.js';
import { undecodableHeaders, type InboundMessage } from './inbound.js';

/**
 * A delivery's headers and body within the input limits: headers the AMQP decoder could not read, or
 * nested deeper than the body may be, refuse the message as surely as its body would.
 */
export function decodeDelivery(message: InboundMessage, limits: JsonLimits): Decoded {
  const headers = message.properties.headers ?? {};
  const unreadable = (headers as Record<symbol, unknown>)[undecodableHeaders];
  if (unreadable !== undefined)
    return {
      ok: false,
      reason: 'undecodable',
      error: `message headers not decodable: ${String(unreadable)}; fix: send headers as a flat table of strings and numbers`,
    };
  const deep = Object.keys(headers).find((name) => nestedDeeperThan(headers[name], limits.maxDepth));
  if (deep !== undefined)
    return {
      ok: false,
      reason: 'too_deep',
      error: `message header ${JSON.stringify(deep.slice(0, 64))} nested deeper than ${limits.maxDepth} levels (input.maxJsonDepth); fix: send headers as a flat table of strings and numbers`,
    };
  const encoding = message.properties.contentEncoding;
  if (encoding !== undefined && !readsAsIs(encoding))
    return {
      ok: false,
      reason: 'undecodable',
      error: `content encoding ${JSON.stringify(encoding.slice(0, 64))} is not read here; fix: send the JSON as it is (UTF-8, no content encoding)`,
    };
  return decodeJson(message.content, limits);
}

/** Ledger id of an invalid message: its content hash, so a redelivery of the same bytes finds its row. */
export function invalidMessageId(content: Buffer): string {
  return `invalid:${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}

/** The bounds every AMQP input is held to before it is parsed. */
export function amqpInputLimits(gateway: GatewayConfig): JsonLimits {
  return { maxBytes: gateway.amqp.maxMessageBytes, maxDepth: maxJsonDepth(gateway) };
}
