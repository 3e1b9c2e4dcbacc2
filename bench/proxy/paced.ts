/**
 * Part 1's fixed-rate load: pre-serialized GETs pipelined over a few raw keep-alive sockets, each sent
 * at its scheduled time. Lean on purpose, and run in a process of its own (`pacedInChild`): the http
 * client of parts 2 and 3, or a GC of the bench process's big heap, stalls the sender for tens of ms,
 * which would be measured as the server's latency.
 *
 *   node dist-bench/bench/proxy/paced.js SPEC.json   (prints one JSON line: PacedFigures)
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { track } from '../shared/children.js';
import { percentile } from '../shared/figures.js';
import { zipfPicker } from './load.js';
import { pinned } from '../shared/children.js';

export interface PacedResult {
  /** From the scheduled send time to the end of the answer, ms, sorted ascending. */
  latenciesMs: number[];
  /** How late the generator itself sent (its own stalls), ms, sorted ascending: part of the latency. */
  lagsMs: number[];
  /** Answers other than 200, and requests without an answer at the end. */
  failed: number;
}

const headerEnd = Buffer.from('\r\n\r\n');

/** Sends `rate` requests per second for `seconds`, round-robin over `connections` sockets; requests are HTTP/1.1 GETs, already serialized. */
export async function pacedRequests(options: {
  port: number;
  requests: Buffer[];
  rate: number;
  seconds: number;
  connections: number;
  pick: () => number;
}): Promise<PacedResult> {
  const { port, requests, rate, seconds, pick } = options;
  const sockets = await Promise.all(Array.from({ length: options.connections }, () => open(port)));
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const lags: number[] = [];
  let failed = 0;
  let answered = 0;
  let allAnswered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const pending = sockets.map(() => [] as number[]);
  sockets.forEach((socket, i) => {
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      for (;;) {
        const answer = nextAnswer(buffer);
        if (!answer) break;
        buffer = buffer.subarray(answer.length);
        const scheduled = pending[i]!.shift()!;
        latencies.push(performance.now() - scheduled);
        if (answer.status !== 200) failed += 1;
        if (++answered === total) allAnswered();
      }
    });
  });
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const scheduled = start + (sent * 1000) / rate;
      const i = sent % sockets.length;
      lags.push(performance.now() - scheduled);
      pending[i]!.push(scheduled);
      sockets[i]!.write(requests[pick()]!);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  for (const socket of sockets) socket.destroy();
  const byValue = (a: number, b: number) => a - b;
  return { latenciesMs: latencies.sort(byValue), lagsMs: lags.sort(byValue), failed: failed + (total - answered) };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The status and byte length of the first complete answer in `buffer` (Content-Length framing only). */
function nextAnswer(buffer: Buffer): { status: number; length: number } | undefined {
  const end = buffer.indexOf(headerEnd);
  if (end < 0) return undefined;
  const head = buffer.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const contentLength = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (!contentLength && status !== 304 && status !== 204)
    throw new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`);
  const length = end + headerEnd.length + Number(contentLength?.[1] ?? 0);
  return buffer.length >= length ? { status, length } : undefined;
}

/** GET `path` with the partner's key, as bytes ready to write. */
export function serializedGet(path: string, key: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\n\r\n`, 'latin1');
}

export interface PacedSpec {
  port: number;
  /** Each request's path and partner key; one is picked uniformly at random for each send. */
  requests: { path: string; key: string }[];
  rate: number;
  seconds: number;
  connections: number;
}

export interface PacedFigures {
  p50: number;
  p99: number;
  max: number;
  failed: number;
  /** The client's own lateness in sending, p99 (ms): its noise floor. */
  generatorLagP99: number;
}

/** Runs one paced run in a fresh Node process (pinned to `cpus` when given) and returns its figures. */
export async function pacedInChild(spec: PacedSpec, specFile: string, cpus?: string): Promise<PacedFigures> {
  writeFileSync(specFile, JSON.stringify(spec));
  const [command, args] = pinned(cpus, process.execPath, [import.meta.filename, specFile]);
  const child = track(spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`bench/proxy/paced.ts exited ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as PacedFigures;
}

if (import.meta.filename === process.argv[1]) {
  const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as PacedSpec;
  const requests = spec.requests.map(({ path, key }) => serializedGet(path, key));
  // Uniform choice (Zipf exponent 0), as in the wrk runs.
  const run = await pacedRequests({
    port: spec.port,
    requests,
    rate: spec.rate,
    seconds: spec.seconds,
    connections: spec.connections,
    pick: zipfPicker(requests.length, 0, 1),
  });
  const figures: PacedFigures = {
    p50: percentile(run.latenciesMs, 50),
    p99: percentile(run.latenciesMs, 99),
    max: run.latenciesMs.at(-1) ?? 0,
    failed: run.failed,
    generatorLagP99: percentile(run.lagsMs, 99),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}
