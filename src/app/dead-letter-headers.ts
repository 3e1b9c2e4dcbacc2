import { defaultMaxJsonDepth, nestedDeeperThan } from '../contracts/parse-json.js';

/** The headers the gateway writes on a dead letter: why, the error, where it came from, its replays. */
export const deadLetterHeaders = {
  reason: 'x-orderbridge-reason',
  error: 'x-orderbridge-error',
  originalExchange: 'x-orderbridge-original-exchange',
  originalRoutingKey: 'x-orderbridge-original-routing-key',
  replays: 'x-orderbridge-replays',
} as const;

/**
 * A message's headers without the gateway's own (x-orderbridge-*) and the broker's (x-death): what
 * its sender wrote. Nothing a sender writes may pass for what the gateway or the broker recorded.
 * A header nested deeper than `maxDepth` is left out too: amqplib encodes tables recursively, and
 * one ~3,000 levels deep overflows the stack when the message is published again.
 */
export function senderHeaders(
  headers: Record<string, unknown> | undefined,
  maxDepth = defaultMaxJsonDepth,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const name = key.toLowerCase();
    if (!name.startsWith('x-orderbridge-') && name !== 'x-death' && !nestedDeeperThan(value, maxDepth))
      kept[key] = value;
  }
  return kept;
}
