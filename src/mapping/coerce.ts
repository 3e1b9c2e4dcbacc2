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
const isoWithOffset =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})[Tt ](?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?<fraction>\.\d+)?)?(?:(?<zulu>[Zz])|(?<sign>[+-])(?<offsetHours>\d{2})(?::?(?<offsetMinutes>\d{2}))?)$/;
// Epoch times between 2000 and 2100: a value outside is a unit mistake (seconds read as millis), not a date.
const earliest = Date.UTC(2000, 0, 1);
const latest = Date.UTC(2100, 0, 1);

/** An MES time as ISO 8601 (epoch times in UTC), or a sentence saying why it is not one. */
export function readTime(
  value: unknown,
  format: TimeFormat = 'iso',
): { ok: true; iso: string } | { ok: false; problem: string } {
  if (format === 'iso') return readIso(value);
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

/**
 * An ISO 8601 time with an offset, written as RFC 3339 (seconds, `T`, `Z` or `±hh:mm`) in the MES's
 * own offset: with it the time names one instant already, and it is what partners are promised
 * (`format: date-time`). A date the calendar does not have is refused, never rolled over.
 */
function readIso(value: unknown): { ok: true; iso: string } | { ok: false; problem: string } {
  const parts = typeof value === 'string' ? isoWithOffset.exec(value) : null;
  if (!parts)
    return {
      ok: false,
      problem: `${describe(value)} is not an ISO 8601 date-time with an offset (e.g. 2026-12-06T10:15:00+01:00)`,
    };
  const { year, month, day, hour, minute, second = '00', fraction = '', zulu, sign } = parts.groups!;
  const { offsetHours = '00', offsetMinutes = '00' } = parts.groups!;
  const wrong =
    calendarProblem(+year!, +month!, +day!) ?? clockProblem(+hour!, +minute!, +second, +offsetHours, +offsetMinutes);
  if (wrong) return { ok: false, problem: `${describe(value)} is not a real date-time: ${wrong}` };
  const offset = zulu ? 'Z' : `${sign}${offsetHours}:${offsetMinutes}`;
  return { ok: true, iso: `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${offset}` };
}

function calendarProblem(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12) return `there is no month ${month}`;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day < 1 || day > days ? `${year}-${String(month).padStart(2, '0')} has ${days} days` : undefined;
}

function clockProblem(hour: number, minute: number, second: number, offsetHours: number, offsetMinutes: number) {
  if (hour > 23 || minute > 59 || second > 59) return 'hours go to 23, minutes and seconds to 59';
  return offsetHours > 23 || offsetMinutes > 59 ? 'an offset is at most ±23:59' : undefined;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return value === '' ? 'an empty string' : JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
