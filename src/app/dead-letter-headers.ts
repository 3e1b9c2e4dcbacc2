import { defaultMaxJsonDepth, nestedDeeperThan } from '../contracts/parse-json.js';

/** The headers the gateway writes on a dead letter: why, the error, where it came from, its replays. */
export const deadLetterHeaders = {
  reason: 'x-orderbridge-reason',
  error: 'x-orderbridge-error',
  originalExchange: 'x-orderbridge-original-exchange',
  originalRoutingKey: 'x-orderbridge-original-routing-key',
  replays: 'x-orderbridge-replays',
  droppedHeaders: 'x-orderbridge-dropped-headers',
} as const;

/**
 * How much of a dead letter's headers its sender's may take: amqplib encodes a message's properties
 * in 64 KiB, and a dead letter that cannot be published would be requeued, not set aside.
 */
const maxSenderHeaderBytes = 16_384;

/**
 * A message's headers without the gateway's own (x-orderbridge-*) and the broker's (x-death): what
 * its sender wrote. Nothing a sender writes may pass for what the gateway or the broker recorded.
 * A header nested deeper than `maxDepth` is left out too: amqplib encodes tables recursively, and
 * one ~3,000 levels deep overflows the stack when the message is published again. So are the
 * headers past `maxSenderHeaderBytes` (their names listed under x-orderbridge-dropped-headers).
 */
export function senderHeaders(
  headers: Record<string, unknown> | undefined,
  maxDepth = defaultMaxJsonDepth,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  let bytes = 0;
  for (const [key, value] of Object.entries(headers ?? {})) {
    const name = key.toLowerCase();
    if (name.startsWith('x-orderbridge-') || name === 'x-death') continue;
    const size = nestedDeeperThan(value, maxDepth) ? Number.POSITIVE_INFINITY : encodedSize(key, value);
    if (bytes + size > maxSenderHeaderBytes) dropped.push(key);
    else {
      kept[key] = value;
      bytes += size;
    }
  }
  if (dropped.length) kept[deadLetterHeaders.droppedHeaders] = dropped.join(', ').slice(0, 1000);
  return kept;
}

/** About what a header takes in an AMQP table (an over-estimate for binary values). */
function encodedSize(key: string, value: unknown): number {
  try {
    return Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value) ?? '') + 8;
  } catch {
    return Number.POSITIVE_INFINITY; // not JSON (a BigInt): not worth the risk
  }
}
