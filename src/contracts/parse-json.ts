import { errorMessage } from '../shared/error-message.js';

/** What every input (HTTP body, AMQP message) may be before any parsing work grows with it. */
export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

export type ParseRefusal = 'too_large' | 'too_deep' | 'undecodable';
export type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: ParseRefusal; error: string; fix: string };

/**
 * Whether a body in this content encoding (HTTP Content-Encoding, AMQP content_encoding) is read as
 * it is: none, identity, or a charset some clients put there. A compressed body is not read.
 */
export function readsAsIs(encoding: string | undefined): boolean {
  return encoding === undefined || identityEncodings.has(encoding.trim().toLowerCase());
}

const identityEncodings = new Set(['', 'identity', 'utf-8', 'utf8']);

/** Default for `input.maxJsonDepth`: far deeper than any contract, far below what recursion survives. */
export const defaultMaxJsonDepth = 64;

// fatal: a byte-level corruption must never become an order with U+FFFD in it.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses untrusted bytes as JSON: the size is checked before reading, the bytes must be valid
 * UTF-8, and the nesting depth is counted in one flat pass before JSON.parse, so that nothing
 * downstream (parse, schema validation, error descriptions) ever recurses deeper than `maxDepth`.
 */
export function parseJsonBounded(content: Uint8Array, limits: JsonLimits): ParsedJson {
  if (content.length > limits.maxBytes) {
    return {
      ok: false,
      reason: 'too_large',
      error: `${content.length} bytes exceed the ${limits.maxBytes}-byte limit`,
      fix: `send at most ${limits.maxBytes} bytes`,
    };
  }
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    return { ok: false, reason: 'undecodable', error: 'not valid UTF-8', fix: 'encode the JSON as UTF-8' };
  }
  const tooDeepAt = depthExceededAt(text, limits.maxDepth);
  if (tooDeepAt !== undefined) {
    return {
      ok: false,
      reason: 'too_deep',
      error: `nested deeper than ${limits.maxDepth} levels (at character ${tooDeepAt})`,
      fix: `nest objects and arrays at most ${limits.maxDepth} levels deep`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: 'undecodable',
      error: `not JSON: ${errorMessage(error)}`,
      fix: 'send one JSON document',
    };
  }
  // Only a \u escape can make a lone surrogate out of valid UTF-8: look only when there is one.
  const broken = text.includes('\\u') ? loneSurrogateAt(value) : undefined;
  if (broken !== undefined)
    return {
      ok: false,
      reason: 'undecodable',
      error: `${escapeLoneSurrogates(broken) || '/'}: a string holds half of a UTF-16 surrogate pair (a \\ud800–\\udfff escape alone): not text`,
      fix: 'escape characters outside the BMP as both halves of their pair, or send them as UTF-8',
    };
  return { ok: true, value };
}

// A high surrogate not followed by a low one, or a low one not after a high one (String#isWellFormed, ES2024).
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const escapeLoneSurrogates = (text: string) =>
  text.replace(new RegExp(loneSurrogate, 'g'), (half) => `\\u${half.charCodeAt(0).toString(16)}`);

/** The JSON Pointer of the first string (or key) holding a lone surrogate, without recursion; undefined when none. */
function loneSurrogateAt(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length) {
    const [current, pointer] = pending.pop()!;
    if (typeof current === 'string') {
      if (loneSurrogate.test(current)) return pointer;
    } else if (current !== null && typeof current === 'object')
      for (const [key, child] of Object.entries(current)) {
        const at = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (loneSurrogate.test(key)) return at;
        pending.push([child, at]);
      }
  }
  return undefined;
}

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const openBracket = 0x5b;
const closeBrace = 0x7d;
const closeBracket = 0x5d;

/** The position where nesting first passes `maxDepth`, ignoring brackets inside strings; undefined if it never does. */
function depthExceededAt(text: string, maxDepth: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === backslash) i++;
      else if (code === quote) inString = false;
    } else if (code === quote) inString = true;
    else if (code === openBrace || code === openBracket) {
      if (++depth > maxDepth) return i;
    } else if (code === closeBrace || code === closeBracket) depth--;
  }
  return undefined;
}

/** The configured nesting bound (`input.maxJsonDepth`), or its default. */
export function maxJsonDepth(gateway: { input?: { maxJsonDepth?: number } }): number {
  return gateway.input?.maxJsonDepth ?? defaultMaxJsonDepth;
}

/**
 * Whether a decoded value (JSON, AMQP field tables) nests objects or arrays deeper than `maxDepth`,
 * measured without recursion, so that a hostile value cannot overflow the stack while it is checked.
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object' || ArrayBuffer.isView(current)) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}
