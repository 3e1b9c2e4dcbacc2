import type { AttemptResult } from './post-attempt.js';

/** What happens to a delivery after an attempt. */
export type AttemptOutcome =
  | { state: 'delivered' }
  | { state: 'pending'; nextAttemptAt: number }
  | { state: 'failed'; reason: string }
  /** The endpoint answered 410 Gone: it and all its pending deliveries are disabled. */
  | { state: 'disabled'; reason: string };

/**
 * The rule for every attempt, with no I/O: 2xx delivers, 410 disables the endpoint, anything
 * else (3xx, other 4xx, 5xx, timeouts, refused targets) is retried on the schedule until it runs
 * out. `attempts` counts the attempt just made (1 for the first).
 */
export function decideAfterAttempt(
  result: AttemptResult,
  attempts: number,
  schedule: readonly number[],
  now: number,
  random: () => number,
): AttemptOutcome {
  const { status } = result;
  if (status !== undefined && status >= 200 && status < 300) return { state: 'delivered' };
  if (status === 410) return { state: 'disabled', reason: 'the endpoint answered 410 Gone' };
  const why = status === undefined ? (result.error ?? 'no answer') : `HTTP ${status}`;
  if (result.permanent) return { state: 'failed', reason: why };
  const delay = retryDelay(attempts, schedule, random, result.retryAfterMs);
  if (delay === undefined) return { state: 'failed', reason: `${why}; gave up after ${attempts} attempts` };
  return { state: 'pending', nextAttemptAt: now + delay };
}

/**
 * Full jitter: the wait before retry n is uniform in [0, schedule[n-1]], so receivers that failed
 * together (an outage) are not hit again all at once when they come back. A Retry-After the
 * receiver sent is honoured as a floor, but never beyond the longest step of the schedule.
 * Undefined when the schedule is used up.
 */
export function retryDelay(
  attempts: number,
  schedule: readonly number[],
  random: () => number,
  retryAfterMs?: number,
): number | undefined {
  const cap = schedule[attempts - 1];
  if (cap === undefined) return undefined;
  const jittered = Math.floor(random() * cap);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, Math.max(...schedule)));
}
