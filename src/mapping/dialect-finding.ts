import type { LintFinding } from './lint-mapping.js';

export type DialectCheckCode =
  | 'unknown_path'
  | 'incompatible_type'
  | 'not_an_array'
  | 'no_correlation'
  | 'unknown_field'
  | 'missing_field'
  | 'invalid_value'
  | 'unknown_from'
  | 'table_gap'
  | 'too_long'
  | 'sample_invalid';

/**
 * A dialect checked against the schemas it names. An `error` leaves the gateway unable to work with
 * the MES (no event can be read, no command of a type can be valid): check-config calls the config
 * invalid and serve refuses to start. A `warning` hits some messages only, as lint findings do.
 */
export interface DialectFinding extends Omit<LintFinding, 'code'> {
  code: DialectCheckCode;
  severity: 'error' | 'warning';
  /** Where to show it in the file: the value (default), or the key of a field that should not be there. */
  anchor?: 'value' | 'key';
}

/** One JSON Pointer token, escaped. */
export function token(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The name among `known` closest to `wanted` (a typo, a case slip), if one is close. */
export function closest(wanted: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === wanted.toLowerCase() ? 0 : editDistance(wanted, name);
    if (distance <= Math.max(1, Math.floor(wanted.length / 4)) && (!best || distance < best.distance))
      best = { name, distance };
  }
  if (best) return best.name;
  // A name cut short (prio for priority) or overlong.
  const lower = wanted.toLowerCase();
  return wanted.length >= 3
    ? known
        .filter((name) => name.toLowerCase().startsWith(lower) || lower.startsWith(name.toLowerCase()))
        .sort((a, b) => a.length - b.length)[0]
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** "it allows: a, b, c" for a message, or nothing when the schema names no field there. */
export function allowedList(names: readonly string[]): string {
  return names.length ? ` (it allows: ${names.join(', ')})` : '';
}
