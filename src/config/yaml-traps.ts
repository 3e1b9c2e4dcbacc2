import { isScalar, parseDocument } from 'yaml';
import type { YamlScalar } from './yaml-locator.js';

export interface YamlTrap {
  /** What YAML made of the text, said after the schema's message. */
  because: string;
  fix: string;
}

/**
 * A value of the wrong type that YAML, not its author, typed: unquoted 10, 08, 1e3, null, ~ (or, in
 * a YAML 1.1 file, on and no) where a string is wanted; a quoted "8080" or "true" where a number or
 * a boolean is; yes, no, on or off where a boolean is (YAML 1.2 reads them as strings). Undefined
 * when the text itself is wrong, not the way it is written.
 */
export function yamlTypeTrap(expected: readonly string[], scalar: YamlScalar): YamlTrap | undefined {
  if (fits(expected, scalar.value)) return undefined;
  if (expected.includes('string') && scalar.plain && scalar.source !== '') {
    return {
      because: `YAML reads the unquoted ${scalar.source} as ${describe(scalar.value, scalar.source)}`,
      fix: `quote it: ${JSON.stringify(scalar.source)}`,
    };
  }
  if (typeof scalar.value !== 'string') return undefined;
  if (!scalar.plain) {
    const unquoted = plainValue(scalar.source);
    if (unquoted.ok && fits(expected, unquoted.value))
      return { because: 'the quotes make it a string', fix: `remove the quotes: ${scalar.source}` };
  }
  if (expected.includes('boolean') && scalar.plain && /^(y|yes|on|n|no|off)$/i.test(scalar.source)) {
    const value = /^(y|yes|on)$/i.test(scalar.source);
    return { because: `YAML 1.2 reads ${scalar.source} as a string, not as ${value}`, fix: `write ${value}` };
  }
  return undefined;
}

function fits(expected: readonly string[], value: unknown): boolean {
  return expected.some((type) => {
    switch (type) {
      case 'integer':
        return Number.isInteger(value);
      case 'null':
        return value === null;
      case 'array':
        return Array.isArray(value);
      case 'object':
        return value !== null && typeof value === 'object' && !Array.isArray(value);
      default:
        return typeof value === type;
    }
  });
}

/** What the text would be if written without quotes, when it is a scalar on its own. */
function plainValue(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '' || text !== text.trim()) return { ok: false };
  const document = parseDocument(text);
  return document.errors.length || !isScalar(document.contents)
    ? { ok: false }
    : { ok: true, value: document.contents.value };
}

/** "a number", or "the number 8" when YAML changed the text (08, 1e3, 0x1F). */
function describe(value: unknown, source: string): string {
  if (value === null) return 'null';
  const kind =
    typeof value === 'number' || typeof value === 'bigint'
      ? 'number'
      : typeof value === 'boolean'
        ? 'boolean'
        : typeof value;
  return String(value) === source ? `a ${kind}` : `the ${kind} ${String(value)}`;
}
