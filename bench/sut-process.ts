// Starts bench/sut.ts as a child process and talks to it over IPC; always killed by PID at the end.
import { spawn } from 'node:child_process';
import { track } from './children.js';
import type { FromSut, SutMode, SutStats, ToSut } from './sut-protocol.js';
import { moduleBeside } from './paths.js';

const sutScript = moduleBeside(import.meta.filename, 'sut');
export interface SutOptions {
  mode: SutMode;
  url: string;
  ledgerPath?: string;
  diagnose?: boolean;
  /** Directory for a V8 CPU profile of the child (node --cpu-prof), written when it stops. */
  cpuProfDir?: string;
  /** Node flags and environment that turn tracing on in the child (bench/otlp-sink.ts tracedChild). */
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

/**
 * The child runs with the same Node flags as this process (so the TypeScript loader the bench was
 * started with, tsx or ts-node, also loads the child) and reports `ready` once connected.
 */
export async function startSut(options: SutOptions, readyTimeoutMs = 60_000): Promise<SutProcess> {
  const args = ['--mode', options.mode, '--url', options.url];
  if (options.ledgerPath) args.push('--ledger', options.ledgerPath);
  if (options.diagnose) args.push('--diagnose');
  const nodeFlags = [
    ...process.execArgv,
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
    ...(options.tracing?.nodeFlags ?? []),
  ];
  const child = spawn(process.execPath, [...nodeFlags, sutScript, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...options.tracing?.env },
  });
  track(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start bench/sut.ts');

  const listeners = new Set<(message: FromSut) => void>();
  let failure: Error | undefined;
  child.on('message', (message: FromSut) => {
    if (message.kind === 'failed') failure = new Error(`${options.mode} process failed: ${message.error}`);
    for (const listener of [...listeners]) listener(message);
  });
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      done();
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;

  /** Waits for the child's next message of this kind; fails if it dies or takes too long. */
  function next<K extends FromSut['kind']>(kind: K, timeoutMs: number): Promise<Extract<FromSut, { kind: K }>> {
    return new Promise((resolvePromise, reject) => {
      const done = (error?: Error, message?: FromSut) => {
        clearTimeout(timer);
        listeners.delete(listener);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolvePromise(message as Extract<FromSut, { kind: K }>);
      };
      const listener = (message: FromSut) => {
        if (message.kind === kind) done(undefined, message);
        else if (message.kind === 'failed') done(failure);
      };
      const onExit = (code: number | null, signal: string | null) =>
        done(
          failure ??
            new Error(`${options.mode} process exited (${signal ?? code}) while the bench waited for "${kind}"`),
        );
      const timer = setTimeout(
        () => done(new Error(`${options.mode} process sent no "${kind}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      listeners.add(listener);
      child.once('exit', onExit);
    });
  }

  const send = (message: ToSut) => child.send(message);
  const kill = () => {
    if (alive()) process.kill(pid, 'SIGKILL');
  };
  try {
    await next('ready', readyTimeoutMs);
  } catch (error) {
    kill();
    throw error;
  }
  return {
    pid,
    go: () => send({ kind: 'go' }),
    async stats() {
      const reply = next('stats', 10_000);
      send({ kind: 'stats' });
      return (await reply).stats;
    },
    async stop(timeoutMs = 15_000) {
      if (!alive()) return;
      send({ kind: 'stop' });
      const timer = setTimeout(kill, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    kill,
  };
}
