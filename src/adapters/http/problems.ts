import type { Problem } from '../../contracts/generated/external/problem.js';
import type { SchemaProblem } from '../../contracts/explain-errors.js';

const typeBase = 'https://orderbridge.dev/problems/';

/** A failure with an HTTP meaning; the app's one error handler turns it into problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Partial<Problem> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  toJSON(): Problem {
    return { type: `${typeBase}${this.slug}`, title: this.title, status: this.status, ...(this.detail ? { detail: this.detail } : {}), ...this.extra };
  }
}

export class ValidationFailed extends HttpProblem {
  constructor(where: 'body' | 'query' | 'headers', problems: SchemaProblem[]) {
    super(400, 'validation', 'The request is invalid', `${problems.length} problem(s) in the ${where}; each names the field and a fix`, {
      errors: problems.map((p) => ({ pointer: `/${where}${p.pointer}`, detail: p.message, fix: p.fix })),
    });
  }
}

/** The same answer for "missing" and "someone else's": a 404 never tells whose an id is. */
export class NotFound extends HttpProblem {
  constructor(what = 'order') {
    super(404, 'not-found', 'Not found', `No ${what} with this id is visible to you.`);
  }
}

export class Unauthorized extends HttpProblem {
  constructor(detail: string) {
    super(401, 'unauthorized', 'Unauthorized', detail, {}, { 'www-authenticate': 'Bearer realm="orderbridge"' });
  }
}

export class RateLimited extends HttpProblem {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate-limited', 'Too many requests', `Your rate limit is used up; retry after ${retryAfterSeconds} s.`, {}, { 'retry-after': String(retryAfterSeconds) });
  }
}

export class PayloadTooLarge extends HttpProblem {
  constructor(limit: number) {
    // The rest of the body is never read: close, so that the client does not send its next
    // request on a connection the server is about to drop.
    super(413, 'payload-too-large', 'Request body too large', `The body may be at most ${limit} bytes.`, {}, { connection: 'close' });
  }
}

export class UnsupportedMediaType extends HttpProblem {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported media type', `${detail}: send the body as JSON with Content-Type: application/json (charset=utf-8 or no charset).`);
  }
}

export class NotReady extends HttpProblem {
  constructor(detail: string) {
    super(503, 'not-ready', 'Not ready', detail);
  }
}

export const internalError = (traceId: string | undefined): Problem => ({
  type: `${typeBase}internal`,
  title: 'Internal error',
  status: 500,
  detail: 'Something went wrong on our side; it has been logged.',
  ...(traceId ? { traceId } : {}),
});
