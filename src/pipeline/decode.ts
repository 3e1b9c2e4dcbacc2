import { createHash } from 'node:crypto';

export type Decoded = { ok: true; value: unknown } | { ok: false; reason: 'too_large' | 'undecodable'; error: string };

/** Parses a message body as JSON, refusing bodies over the size limit before reading them. */
export function decodeJson(content: Buffer, maxBytes: number): Decoded {
  if (content.length > maxBytes) return { ok: false, reason: 'too_large', error: `message of ${content.length} bytes exceeds the ${maxBytes}-byte limit (amqp.maxMessageBytes)` };
  try {
    return { ok: true, value: JSON.parse(content.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: 'undecodable', error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
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
