import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { checkTarget, type CheckedTarget, type ResolveAll } from './target-guard.js';
import { errorMessage } from '../../shared/error-message.js';
import { orderEventContentType } from '../../ledger/order-event.js';

/** What one attempt came to. `status` is absent when no HTTP answer arrived. */
export interface AttemptResult {
  status?: number;
  /** Transport or guard failure, or the start of a non-2xx answer's body. */
  error?: string;
  durationMs: number;
  /** From a Retry-After header, in ms. */
  retryAfterMs?: number;
  /** Retrying cannot help (the URL itself is unusable). */
  permanent?: boolean;
}

export interface PostOptions {
  url: string;
  allowPrivate: boolean;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Bytes of the answer read at most; the rest is dropped with the connection. */
  maxResponseBytes: number;
  resolve?: ResolveAll;
  now: number;
}

const userAgent = 'Orderbridge-Webhooks/1';

/**
 * One POST: the target guard, then the request to the address the guard checked. The timeout
 * covers everything (resolution included) and the answer is read only up to a few bytes, so a
 * slow or chatty receiver costs one slot for at most timeoutMs. Redirects are not followed: the
 * spec counts a 3xx as a failure, and following one would bypass the guard.
 */
export async function postAttempt(options: PostOptions): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const checked = await Promise.race([
    checkTarget(options.url, { allowPrivate: options.allowPrivate, resolve: options.resolve }),
    new Promise<undefined>((resolve) => deadline.addEventListener('abort', () => resolve(undefined), { once: true })),
  ]);
  if (!checked) return { error: `timeout after ${options.timeoutMs} ms resolving the target`, durationMs: elapsed() };
  if (!checked.ok)
    return {
      error: `target refused: ${checked.reason}`,
      durationMs: elapsed(),
      ...(checked.permanent ? { permanent: true } : {}),
    };
  try {
    const answer = await send(checked.target, options, deadline);
    return { ...answer, durationMs: elapsed() };
  } catch (error) {
    const message = deadline.aborted ? `timeout after ${options.timeoutMs} ms` : describe(error);
    return { error: message, durationMs: elapsed() };
  }
}

function send(
  target: CheckedTarget,
  options: PostOptions,
  signal: AbortSignal,
): Promise<Omit<AttemptResult, 'durationMs'>> {
  const { url } = target;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request({
      protocol: url.protocol,
      hostname: target.hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      // The body is a CloudEvent in structured content mode (HTTP protocol binding §3.2), as on the broker.
      headers: {
        ...options.headers,
        'content-type': orderEventContentType,
        'content-length': String(Buffer.byteLength(options.body)),
        'user-agent': userAgent,
      },
      // A fresh connection per attempt: a pooled socket would skip this attempt's guard.
      agent: false,
      lookup: pinnedLookup(target),
      signal,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      readSome(res, options.maxResponseBytes).then((text) => {
        const status = res.statusCode ?? 0;
        const retryAfterMs = parseRetryAfter(res.headers['retry-after'], options.now);
        const ok = status >= 200 && status < 300;
        resolve({
          status,
          ...(ok || !text ? {} : { error: text }),
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
        });
      }, reject);
    });
    req.end(options.body);
  });
}

/**
 * Answers every lookup with the address the guard checked. With autoSelectFamily (the default
 * since Node 20) net asks with `all: true` and expects a list.
 */
function pinnedLookup({ address, family }: CheckedTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** Up to `limit` bytes of the body as text, then the connection is dropped. */
function readSome(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => resolve(Buffer.concat(chunks).subarray(0, limit).toString('utf8').replace(/\s+/g, ' ').trim());
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        finish();
        res.destroy();
      }
    });
    res.on('end', finish);
    res.on('error', reject);
    // Settling twice is a no-op: this only matters when the answer stops without an end (an abort).
    res.on('close', () => reject(new Error('the connection closed before the answer ended')));
  });
}

/** Retry-After as delay-seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = errorMessage(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
