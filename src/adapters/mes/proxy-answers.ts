import { HttpProblem, problemJson } from '../http/problems.js';
import { formatCacheStatus, noneMatch, revalidateAlways, type CacheStatus } from '../http/cache-status.js';
import type { MesFailure } from './mes-caller.js';

/** What the proxy answers: ready to become an HTTP response as it is. */
export interface ProxyAnswer {
  status: number;
  body: Buffer;
  headers: Record<string, string>;
  /**
   * Why the MES could not be asked, when the proxy answers for it (its status is then the proxy's
   * own, not the MES's): for the gateway's own callers, never sent to a client.
   */
  unanswered?: string;
}

/** An MES answer as the cache holds it. */
export interface CachedAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
  /** Only for 2xx: conditional requests apply to nothing else (RFC 9110 §13.2.1). */
  etag: string | undefined;
  /** When the MES call that produced it started: ages count from there, never from its end. */
  fetchedAt: number;
}

/** A cached or just-fetched MES answer, or a 304 when the client's copy is current. */
export function cachedAnswer(
  entry: CachedAnswer,
  now: number,
  status: CacheStatus,
  ifNoneMatch: string | undefined,
): ProxyAnswer {
  const headers: Record<string, string> = {
    'cache-status': formatCacheStatus(status),
    age: String(Math.max(0, Math.floor((now - entry.fetchedAt) / 1000))),
    'cache-control': revalidateAlways,
  };
  if (entry.etag) headers.etag = entry.etag;
  if (entry.etag && noneMatch(ifNoneMatch, entry.etag)) return { status: 304, body: Buffer.alloc(0), headers };
  if (entry.contentType) headers['content-type'] = entry.contentType;
  return { status: entry.status, body: entry.body, headers };
}

/** An RFC 9457 problem the proxy itself answers; never cached anywhere. */
export function problemAnswer(problem: HttpProblem, status: CacheStatus): ProxyAnswer {
  return {
    status: problem.status,
    body: Buffer.from(JSON.stringify(problem.toJSON())),
    headers: {
      'content-type': problemJson,
      'cache-status': formatCacheStatus(status),
      'cache-control': 'no-store',
      ...problem.headers,
    },
  };
}

/** The Cache-Status detail naming why no fresh MES answer could be had. */
export function failureDetail(failure: MesFailure): string {
  switch (failure.kind) {
    case 'breaker-open':
      return 'breaker-open';
    case 'overloaded':
      return 'mes-busy';
    case 'timeout':
      return 'mes-timeout';
    case 'unreachable':
      return 'mes-unreachable';
    case 'mes-error':
      return 'mes-error';
    case 'too-large':
      return 'mes-answer-too-large';
    default:
      return unreachable(failure);
  }
}

/** The answer when the MES could not be asked and nothing usable is cached. */
export function failureAnswer(failure: MesFailure, status: CacheStatus, timeoutMs: number): ProxyAnswer {
  return {
    ...problemAnswer(failureProblem(failure, timeoutMs), status),
    unanswered: failureReason(failure, timeoutMs),
  };
}

/** Why no answer could be had from the MES, as a clause: "the MES API could not be reached". */
function failureReason(failure: MesFailure, timeoutMs: number): string {
  switch (failure.kind) {
    case 'breaker-open':
      return 'the MES API has been failing, so the gateway is not calling it for now (circuit open)';
    case 'overloaded':
      return 'every MES call slot is busy and the line for one is full';
    case 'timeout':
      return `the MES API did not answer within ${timeoutMs} ms`;
    case 'unreachable':
      return 'the MES API could not be reached';
    case 'mes-error':
      return `the MES API answered ${failure.status}`;
    case 'too-large':
      return 'the MES answer is larger than mesApi.maxBodyBytes allows';
    default:
      return unreachable(failure);
  }
}

const sentence = (clause: string) => `${clause[0]!.toUpperCase()}${clause.slice(1)}`;

function failureProblem(failure: MesFailure, timeoutMs: number): HttpProblem {
  const reason = sentence(failureReason(failure, timeoutMs));
  switch (failure.kind) {
    case 'breaker-open':
      return new HttpProblem(
        503,
        'mes-unavailable',
        'MES unavailable',
        `${reason} and holds no copy of this answer. Retry after ${failure.retryAfterSeconds} s.`,
        {},
        { 'retry-after': String(failure.retryAfterSeconds) },
      );
    case 'overloaded':
      return new HttpProblem(
        503,
        'mes-busy',
        'MES busy',
        `${reason}; nothing is cached for this request. Retry shortly.`,
        {},
        { 'retry-after': '1' },
      );
    case 'timeout':
      return new HttpProblem(504, 'mes-timeout', 'MES timed out', `${reason} and nothing is cached for this request.`);
    case 'unreachable':
      return new HttpProblem(
        502,
        'mes-unreachable',
        'MES unreachable',
        `${reason} and nothing is cached for this request.`,
      );
    case 'mes-error':
      return new HttpProblem(502, 'mes-error', 'MES error', `${reason} and nothing is cached for this request.`);
    case 'too-large':
      return new HttpProblem(502, 'mes-answer-too-large', 'MES answer too large', `${reason}.`);
    default:
      return unreachable(failure);
  }
}

function unreachable(value: never): never {
  throw new Error(`unhandled MES failure ${JSON.stringify(value)}`);
}
