/**
 * Parts 2 and 3's partners: the open-loop poller of bench/proxy/load.ts in a process of its own.
 * In the bench's process it shared an event loop and a heap with the MES change log (every event of
 * 10,000 orders) and the staleness bookkeeping; their GC pauses were timed as the server's latency.
 *
 * Over IPC: the parent sends a PollSpec; the child polls through the warm-up, says `warm` and waits
 * for `go` (the parent reads its counters in between), polls the measured stretch and sends its reads.
 */
import { startIpcChild } from '../shared/children.js';
import { processCpuMs } from '../shared/cpu.js';
import { keepAliveAgent, pollOpenLoop, zipfPicker, type Read } from './load.js';

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

/** Runs one poll in a fresh Node process. `beforeMeasuring` runs between the warm-up and the measured stretch. */
export async function pollInChild(spec: PollSpec, beforeMeasuring: () => Promise<void>): Promise<Polled> {
  const child = startIpcChild<FromPoller, ToPoller>('poller', import.meta.filename, []);
  try {
    const warm = child.next('warm', spec.warmupSeconds * 1000 + 60_000);
    child.send({ kind: 'poll', spec });
    await warm;
    await beforeMeasuring();
    const cpuAtGo = processCpuMs(child.pid) ?? 0;
    const reply = child.next('reads', spec.seconds * 1000 + 60_000);
    child.send({ kind: 'go' });
    const { reads } = await reply;
    return { reads, cpuMs: (processCpuMs(child.pid) ?? cpuAtGo) - cpuAtGo };
  } finally {
    child.kill();
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
