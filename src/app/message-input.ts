import { parseJsonBounded, type JsonLimits, type ParseRefusal } from '../contracts/parse-json.js';

export type Decoded = { ok: true; value: unknown } | { ok: false; reason: ParseRefusal; error: string };

/** Parses a message body as JSON within the input limits (size, UTF-8, nesting depth), before any other work. */
export function decodeJson(content: Buffer, limits: JsonLimits): Decoded {
  const parsed = parseJsonBounded(content, limits);
  if (parsed.ok) return parsed;
  const setting =
    parsed.reason === 'too_large'
      ? ' (amqp.maxMessageBytes)'
      : parsed.reason === 'too_deep'
        ? ' (input.maxJsonDepth)'
        : '';
  return { ok: false, reason: parsed.reason, error: `message ${parsed.error}${setting}; fix: ${parsed.fix}` };
}

/** A string field of an undecided message, if it has one (for the ledger row of an invalid message). */
export function stringField(value: unknown, field: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const found = (value as Record<string, unknown>)[field];
  return typeof found === 'string' && found.length <= 128 ? found : undefined;
}
