import type { TextRule } from '../contracts/generated/config/dialect.js';

export type TimeFormat = 'iso' | 'epochSeconds' | 'epochMillis';

/**
 * An MES code or id as text: strings as they are (trimmed and cased by the rule), and numbers —
 * many MES send numeric state codes and ids — as their decimal text. Anything else is no text.
 */
export function readText(value: unknown, rule: TextRule = {}): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else return undefined;
  if (rule.trim) text = text.trim();
  if (rule.case === 'upper') text = text.toUpperCase();
  if (rule.case === 'lower') text = text.toLowerCase();
  return text;
}

// ISO 8601 date-time with an offset: a time without one means a different instant in every time zone.
const isoWithOffset = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$/;
// Epoch times between 2000 and 2100: a value outside is a unit mistake (seconds read as millis), not a date.
const earliest = Date.UTC(2000, 0, 1);
const latest = Date.UTC(2100, 0, 1);

/** An MES time as ISO 8601 (epoch times in UTC), or a sentence saying why it is not one. */
export function readTime(
  value: unknown,
  format: TimeFormat = 'iso',
): { ok: true; iso: string } | { ok: false; problem: string } {
  if (format === 'iso') {
    if (typeof value !== 'string' || !isoWithOffset.test(value))
      return {
        ok: false,
        problem: `${describe(value)} is not an ISO 8601 date-time with an offset (e.g. 2026-12-06T10:15:00+01:00)`,
      };
    // Kept as the MES wrote it: with its offset it names one instant already.
    return Number.isNaN(Date.parse(value.replace(' ', 'T')))
      ? { ok: false, problem: `${describe(value)} is not a real date-time` }
      : { ok: true, iso: value };
  }
  const number = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number))
    return {
      ok: false,
      problem: `${describe(value)} is not a number of ${format === 'epochSeconds' ? 'seconds' : 'milliseconds'} since 1970`,
    };
  const ms = format === 'epochSeconds' ? number * 1000 : number;
  if (ms < earliest || ms >= latest)
    return {
      ok: false,
      problem: `${describe(value)} read as ${format} is ${new Date(ms).toISOString()}, outside 2000–2100 (fix: events.values.occurredAt.time)`,
    };
  return { ok: true, iso: new Date(Math.trunc(ms)).toISOString() };
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return value === '' ? 'an empty string' : JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
