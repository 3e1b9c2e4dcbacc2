// Parts 2 and 3's load generator: partners polling orders at a fixed rate (open loop), in Node.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../../sim/shared/seeded.js';

/**
 * Picks order indexes 0..n-1 with P(rank k) ∝ 1/k^s; which order holds which rank is a seeded
 * shuffle, so the hot orders are spread over partners and MES order numbers.
 */
export function zipfPicker(n: number, s: number, seed: number): () => number {
  const random = seededRandom(seed);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1) ** s;
  for (let k = 0; k < n; k++) cdf[k]! /= sum;
  const orderOfRank = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [orderOfRank[i], orderOfRank[j]] = [orderOfRank[j]!, orderOfRank[i]!];
  }
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return orderOfRank[lo]!;
  };
}

/** One partner read as the load generator saw it. */
export interface Read {
  order: number;
  /** When the request left, in epoch ms. */
  sentAt: number;
  /** From the moment the schedule said it should leave to the end of the answer, in ms. */
  latencyMs: number;
  /** How late the generator itself sent it (its own stalls), in ms: part of latencyMs. */
  lagMs: number;
  /** 0 when there was no HTTP answer (connection error or the client's timeout). */
  status: number;
  /** Why there was no answer: 'timeout' or the socket error's code. */
  error?: string;
  /** The MES order's state and updatedAt (epoch ms) in a 200 answer from the MES or through a proxy of it. */
  state?: string;
  updatedAt?: number;
  /** The external status in a 200 answer of the gateway's order resource (GET /v1/orders/{id}). */
  orderStatus?: string;
  cacheStatus?: string;
}

export interface Target {
  port: number;
  path(order: number): string;
  headers(order: number): Record<string, string>;
}

/**
 * Sends `rate` reads per second for `seconds`, each at its scheduled time whatever the earlier ones
 * are doing (partners do not wait for each other), so latency is measured from the schedule and a
 * slow server cannot hide its queue (no coordinated omission). Resolves when every answer is in.
 */
export async function pollOpenLoop(options: {
  target: Target;
  rate: number;
  seconds: number;
  pick: () => number;
  timeoutMs?: number;
  agent: Agent;
}): Promise<Read[]> {
  const { target, rate, seconds, pick, agent } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const total = Math.round(rate * seconds);
  const reads: Promise<Read>[] = [];
  const start = performance.now();
  while (reads.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    while (reads.length < due) {
      const scheduled = start + (reads.length * 1000) / rate;
      reads.push(readOnce(target, pick(), scheduled, agent, timeoutMs));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return Promise.all(reads);
}

function readOnce(target: Target, order: number, scheduled: number, agent: Agent, timeoutMs: number): Promise<Read> {
  return new Promise((resolve) => {
    // The wall clock, as the MES stamps its changes with it (performance.timeOrigin may drift from it).
    const sentAt = Date.now();
    const lagMs = performance.now() - scheduled;
    const finish = (status: number, body?: string, cacheStatus?: string, error?: string) => {
      const read: Read = { order, sentAt, latencyMs: performance.now() - scheduled, lagMs, status };
      if (error) read.error = error;
      if (cacheStatus) read.cacheStatus = cacheStatus;
      if (status === 200 && body) {
        const parsed = JSON.parse(body) as {
          state?: string;
          updatedAt?: string;
          status?: string;
          statusSince?: string;
        };
        if (parsed.statusSince && parsed.status) read.orderStatus = parsed.status;
        else {
          if (parsed.state) read.state = parsed.state;
          if (parsed.updatedAt) read.updatedAt = Date.parse(parsed.updatedAt);
        }
      }
      resolve(read);
    };
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.path(order),
        headers: target.headers(order),
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          finish(
            res.statusCode ?? 0,
            Buffer.concat(chunks).toString('utf8'),
            res.headers['cache-status'] as string | undefined,
          ),
        );
        res.on('error', (error: NodeJS.ErrnoException) => finish(0, undefined, undefined, error.code ?? error.message));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error: NodeJS.ErrnoException) => finish(0, undefined, undefined, error.code ?? error.message));
    req.end();
  });
}

export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 2048 });
}

/** p99 and max of the generator's own lateness: latency figures below these say more about the client than the server. */
export function generatorLag(reads: Read[]): { p99Ms: number; maxMs: number } {
  const lags = reads.map((r) => r.lagMs).sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(0.99 * lags.length));
  return { p99Ms: lags[rank - 1] ?? 0, maxMs: lags.at(-1) ?? 0 };
}
