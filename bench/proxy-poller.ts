/**
 * Parts 2 and 3's partners: the open-loop poller of bench/proxy-load.ts in a process of its own.
 * In the bench's process it shared an event loop and a heap with the MES change log (every event of
 * 10,000 orders) and the staleness bookkeeping; their GC pauses were timed as the server's latency.
 *
 * Over IPC: the parent sends a PollSpec; the child polls through the warm-up, says `warm` and waits
 * for `go` (the parent reads its counters in between), polls the measured stretch and sends its reads.
 */
import { spawn } from 'node:child_process';
import { track, processCpuMs } from './children.js';
import { keepAliveAgent, pollOpenLoop, zipfPicker, type Read } from './proxy-load.js';

export interface PollSpec {
  port: number;
  /** One request per order: order n is requests[n]. */
  requests: { path: string; headers: Record<string, string> }[];
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** Which order each read asks for: Zipf with this exponent, seeded (zipfPicker). */
  zipf: { s: number; seed: number };
}

type ToPoller = { kind: 'poll'; spec: PollSpec } | { kind: 'go' };
type FromPoller = { kind: 'warm' } | { kind: 'reads'; reads: Read[] } | { kind: 'failed'; error: string };

export interface Polled {
  reads: Read[];
  /** CPU the poller used during the measured stretch, ms. */
  cpuMs: number;
}

/**
 * Runs one poll in a fresh Node process (started with this process's flags, for the TypeScript
 * loader). `beforeMeasuring` runs between the warm-up and the measured stretch.
 */
export async function pollInChild(spec: PollSpec, beforeMeasuring: () => Promise<void>): Promise<Polled> {
  const child = track(
    spawn(process.execPath, [...process.execArgv, import.meta.filename], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the poller process');
  const deadlineMs = (spec.warmupSeconds + spec.seconds) * 1000 + 60_000;
  try {
    return await new Promise<Polled>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the poller did not finish within ${deadlineMs} ms`)),
        deadlineMs,
      );
      let cpuAtGo = 0;
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      child.once('exit', (code, signal) =>
        fail(new Error(`the poller exited (${signal ?? code}) before sending its reads`)),
      );
      child.on('message', (message: FromPoller) => {
        if (message.kind === 'warm') {
          beforeMeasuring().then(() => {
            cpuAtGo = processCpuMs(pid) ?? 0;
            child.send({ kind: 'go' } satisfies ToPoller);
          }, fail);
        } else if (message.kind === 'reads') {
          clearTimeout(timer);
          resolve({ reads: message.reads, cpuMs: (processCpuMs(pid) ?? cpuAtGo) - cpuAtGo });
        } else fail(new Error(`poller: ${message.error}`));
      });
      child.send({ kind: 'poll', spec } satisfies ToPoller);
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
  }
}

async function poll(spec: PollSpec, send: (message: FromPoller) => void, go: Promise<void>): Promise<void> {
  const agent = keepAliveAgent();
  const target = {
    port: spec.port,
    path: (order: number) => spec.requests[order]!.path,
    headers: (order: number) => spec.requests[order]!.headers,
  };
  const pick = zipfPicker(spec.requests.length, spec.zipf.s, spec.zipf.seed);
  if (spec.warmupSeconds > 0) await pollOpenLoop({ target, rate: spec.rate, seconds: spec.warmupSeconds, pick, agent });
  send({ kind: 'warm' });
  await go;
  send({ kind: 'reads', reads: await pollOpenLoop({ target, rate: spec.rate, seconds: spec.seconds, pick, agent }) });
}

if (import.meta.filename === process.argv[1]) {
  const send = (message: FromPoller) => process.send?.(message);
  process.on('disconnect', () => process.exit(1));
  let started: (() => void) | undefined;
  const go = new Promise<void>((resolve) => (started = resolve));
  process.on('message', (message: ToPoller) => {
    if (message.kind === 'go') started?.();
    else
      poll(message.spec, send, go).catch((error: unknown) => {
        send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        process.exitCode = 2;
      });
  });
}
