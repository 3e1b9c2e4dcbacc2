import { parseItem } from 'structured-headers';
import type { FieldProblem } from './problems.js';

export const maxIdempotencyKeyLength = 128;

/**
 * An unquoted key: the characters of an RFC 9651 token (tchar, ":" and "/"), from the first one
 * on, so that UUIDs and other keys starting with a digit pass too. Nothing here needs quoting,
 * so the key means the same quoted or not.
 */
const unquotedKey = /^[A-Za-z0-9!#$%&'*+.^_`|~:/-]+$/;

const example = '"8e03978e-40d5-43e8-bc93-6894a57f9324"';

/** How to send the key, for the API document and the README. */
export const idempotencyKeyHelp =
  'A new unique key per order (e.g. a UUID), the same key when retrying it; scoped to your API key. ' +
  `As draft-ietf-httpapi-idempotency-key-header says, a Structured Field String: the key in double quotes, e.g. ${example} ` +
  '(parameters after it are ignored). Unquoted keys are accepted too when they are made of token characters ' +
  '(letters, digits and !#$%&\'*+-.^_`|~:/): K and "K" are the same key. 1 to 128 characters.';

const fix = `send a new unique key (e.g. a UUID) in double quotes with each new order, e.g. Idempotency-Key: ${example}, and the same key when you retry it`;

/**
 * The idempotency key of a request, read from its Idempotency-Key header as the IETF draft defines
 * it (a Structured Field String, parsed with structured-headers), leniently also unquoted: `"K"`
 * and `K` are one key. Anything else is a problem naming the header, never a key of its own.
 */
export function readIdempotencyKey(
  header: string | undefined,
): { ok: true; key: string } | { ok: false; problem: FieldProblem } {
  const refuse = (message: string) => ({ ok: false as const, problem: { pointer: '/Idempotency-Key', message, fix } });
  if (header === undefined) return refuse('is required');
  // Spaces around a field value are not part of it (RFC 9110 §5.5); a Structured Field parser drops them too.
  const text = header.trim();
  let key: string;
  if (text.startsWith('"')) {
    let value: unknown;
    try {
      [value] = parseItem(text);
    } catch {
      return refuse(
        `${preview(text)} is not one quoted string (a Structured Field String: printable ASCII, with \\" and \\\\ escaped, given once)`,
      );
    }
    if (typeof value !== 'string') return refuse(`${preview(text)} is not a quoted string`);
    key = value;
  } else if (unquotedKey.test(text)) {
    key = text;
  } else {
    return refuse(
      `${preview(text)} is neither a quoted string nor an unquoted key of letters, digits and !#$%&'*+-.^_\`|~:/`,
    );
  }
  if (key.length < 1 || key.length > maxIdempotencyKeyLength)
    return refuse(`must be 1 to ${maxIdempotencyKeyLength} characters, found ${key.length}`);
  return { ok: true, key };
}

const preview = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
