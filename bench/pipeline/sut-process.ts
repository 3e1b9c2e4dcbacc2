// Starts bench/pipeline/sut.ts as a child process and talks to it over IPC; always killed by PID at the end.
import { fileURLToPath } from 'node:url';
import { startIpcChild } from '../shared/children.js';
import type { FromSut, SutMode, SutStats, ToSut } from './sut-protocol.js';

const sutScript = fileURLToPath(new URL('./sut.js', import.meta.url));

export interface SutOptions {
  mode: SutMode;
  url: string;
  /** The gateway's ledger: an SQLite file, or a postgres:// URL. */
  ledger?: string;
  diagnose?: boolean;
  /** Directory for a V8 CPU profile of the child (node --cpu-prof), written when it stops. */
  cpuProfDir?: string;
  /** Node flags and environment that turn tracing on in the child (bench/shared/otlp-sink.ts tracedChild). */
  tracing?: { nodeFlags: string[]; env: Record<string, string> };
}

export interface SutProcess {
  pid: number;
  go(): void;
  stats(): Promise<SutStats>;
  /** Graceful stop (drain, close) with a deadline, then SIGKILL by PID. */
  stop(timeoutMs?: number): Promise<void>;
  kill(): void;
}

/** Starts the system under test and waits until it is connected and ready (`ready`). */
export async function startSut(options: SutOptions, readyTimeoutMs = 60_000): Promise<SutProcess> {
  const args = ['--mode', options.mode, '--url', options.url];
  if (options.ledger) args.push('--ledger', options.ledger);
  if (options.diagnose) args.push('--diagnose');
  if (options.cpuProfDir) args.push('--profile-window-dir', options.cpuProfDir);
  const child = startIpcChild<FromSut, ToSut>(options.mode, sutScript, args, {
    nodeFlags: [
      ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
      ...(options.tracing?.nodeFlags ?? []),
    ],
    ...(options.tracing ? { env: options.tracing.env } : {}),
  });
  try {
    await child.next('ready', readyTimeoutMs);
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    pid: child.pid,
    go: () => child.send({ kind: 'go' }),
    async stats() {
      const reply = child.next('stats', 10_000);
      child.send({ kind: 'stats' });
      return (await reply).stats;
    },
    stop: (timeoutMs = 15_000) => child.stop({ kind: 'stop' }, timeoutMs),
    kill: child.kill,
  };
}
