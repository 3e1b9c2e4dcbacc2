import type { Problem } from '../../contracts/generated/external/problem.js';

const typeBase = 'https://orderbridge.dev/problems/';
export const problemJson = 'application/problem+json';

/**
 * A failure with an HTTP meaning, and the one builder of every problem+json answer: the app's
 * error handler, the MES read proxy, the metrics listener and the raw answers to malformed
 * requests all send `toJSON()` of one of these.
 */
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
    return {
      type: `${typeBase}${this.slug}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...this.extra,
    };
  }
}

/** One bad field: its JSON Pointer within `where` (the body, the query…), what is wrong and the fix. */
export interface FieldProblem {
  pointer: string;
  message: string;
  fix: string;
}

export class ValidationFailed extends HttpProblem {
  constructor(where: 'body' | 'query' | 'headers' | 'path', problems: readonly FieldProblem[]) {
    super(
      400,
      'validation',
      'The request is invalid',
      `${problems.length} problem(s) in the ${where}; each names the field and a fix`,
      {
        errors: problems.map((p) => ({ pointer: `/${where}${p.pointer}`, detail: p.message, fix: p.fix })),
      },
    );
  }
}

/** A path no route serves; `detail` says where the served ones are listed. */
export class NoRoute extends HttpProblem {
  constructor(detail: string) {
    super(404, 'no-route', 'Not found', detail);
  }
}

/** A path that is served, with another method. */
export class MethodNotAllowed extends HttpProblem {
  constructor(allowed: readonly string[]) {
    super(
      405,
      'method-not-allowed',
      'Method not allowed',
      `This path takes ${allowed.join(', ')}.`,
      {},
      { allow: allowed.join(', ') },
    );
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
    super(
      429,
      'rate-limited',
      'Too many requests',
      `Your rate limit is used up; retry after ${retryAfterSeconds} s.`,
      {},
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
}

/**
 * The client closed the connection before its request arrived whole: nobody gets this answer, but
 * the request is counted as the client's doing (nginx's 499), not as a server error.
 */
export class ClientClosedRequest extends HttpProblem {
  constructor() {
    super(499, 'client-closed-request', 'Client closed the request', 'The connection closed before the body arrived.');
  }
}

export class PayloadTooLarge extends HttpProblem {
  constructor(limit: number) {
    // The rest of the body is never read: close, so that the client does not send its next
    // request on a connection the server is about to drop.
    super(
      413,
      'payload-too-large',
      'Request body too large',
      `The body may be at most ${limit} bytes.`,
      {},
      { connection: 'close' },
    );
  }
}

export class UnsupportedMediaType extends HttpProblem {
  constructor(detail: string) {
    super(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      `${detail}: send the body as JSON with Content-Type: application/json (charset=utf-8 or no charset).`,
    );
  }
}

export class NotReady extends HttpProblem {
  constructor(detail: string) {
    super(503, 'not-ready', 'Not ready', detail);
  }
}

/**
 * The answer to anything unknown: a generic sentence and, when there is one, the trace id to quote
 * when asking about it; never what went wrong, which only the log line says.
 */
export class InternalError extends HttpProblem {
  constructor(traceId: string | undefined) {
    super(
      500,
      'internal',
      'Internal error',
      'Something went wrong on our side; it has been logged.',
      traceId ? { traceId } : {},
    );
  }
}

/** The problem as a whole HTTP answer: problem+json, with the problem's own headers. */
export function problemResponse(problem: HttpProblem): Response {
  return new Response(JSON.stringify(problem.toJSON()), {
    status: problem.status,
    headers: { 'content-type': problemJson, ...problem.headers },
  });
}
