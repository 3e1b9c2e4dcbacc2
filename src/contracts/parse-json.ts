import { errorMessage } from '../shared/error-message.js';

/** What every input (HTTP body, AMQP message) may be before any parsing work grows with it. */
export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

export type ParseRefusal = 'too_large' | 'too_deep' | 'undecodable';
export type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: ParseRefusal; error: string; fix: string };

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
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      reason: 'undecodable',
      error: `not JSON: ${errorMessage(error)}`,
      fix: 'send one JSON document',
    };
  }
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
