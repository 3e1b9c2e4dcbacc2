import { durationMs } from '../../config/index.js';

/** The report's window from `since` (a duration back from now), or `from`/`to` (ISO 8601); the last 24 h by default. */
export function windowOf(
  values: { since?: string; from?: string; to?: string },
  now: number,
): { from: number; to: number } | { error: string; field: 'since' | 'from' | 'to' } {
  if (values.since !== undefined && (values.from !== undefined || values.to !== undefined))
    return { error: 'give since or from/to, not both', field: 'since' };
  if (values.from !== undefined || values.to !== undefined) {
    const from = Date.parse(values.from ?? '');
    const to = values.to === undefined ? now : Date.parse(values.to);
    if (Number.isNaN(from))
      return {
        error: `from must be an ISO 8601 time such as 2026-11-25T00:00:00Z, not ${JSON.stringify(values.from ?? '')}`,
        field: 'from',
      };
    if (Number.isNaN(to))
      return {
        error: `to must be an ISO 8601 time such as 2026-11-25T12:00:00Z, not ${JSON.stringify(values.to)}`,
        field: 'to',
      };
    if (from < 0) return { error: `from must not be before 1970, not ${JSON.stringify(values.from)}`, field: 'from' };
    return to > from ? { from, to } : { error: 'to must be later than from', field: 'to' };
  }
  const since = values.since ?? '24h';
  let span: number;
  try {
    span = durationMs(since);
  } catch {
    return { error: `since must be a duration such as 30m, 24h or 7d, not ${JSON.stringify(since)}`, field: 'since' };
  }
  if (!(span > 0)) return { error: 'since must be longer than 0', field: 'since' };
  // A window before the epoch is no time at all: it would fail later, formatting its start.
  if (!(now - span >= 0))
    return {
      error: `since ${JSON.stringify(since)} reaches back before 1970; give a shorter duration such as 30d`,
      field: 'since',
    };
  return { from: now - span, to: now };
}
