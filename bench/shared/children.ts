// Every child process a benchmark starts: tracked so that one call ends them all by PID, and the one
// way to start a Node child that talks over IPC (wait for a message with a deadline, stop, kill).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Tracks a process until it exits, so that killAllChildren ends it if it is still running. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every tracked process that is still running; safe in an `exit` handler. */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  live.clear();
}

/** `taskset -c CPUS command …` when CPUs are given (the PID stays the command's: taskset execs it). */
export function pinned(cpus: string | undefined, command: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [command, args] : ['taskset', ['-c', cpus, command, ...args]];
}

/** Whether processes can be pinned to CPUs here (taskset from util-linux answers). */
export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What every child of a benchmark may send: its own messages, or that it failed. */
export type ChildMessage = { kind: string } | { kind: 'failed'; error: string };

export interface IpcChild<From extends ChildMessage, To> {
  pid: number;
  send(message: To): void;
  /** The child's next message of this kind; fails if the child reports a failure, exits or takes too long. */
  next<K extends From['kind']>(kind: K, timeoutMs: number): Promise<Extract<From, { kind: K }>>;
  /** Sends `message` (the child's stop request) and waits up to `timeoutMs` for it to exit, then SIGKILLs it. */
  stop(message: To, timeoutMs: number): Promise<void>;
  kill(): void;
}

/**
 * Runs `script` (a compiled module of dist-bench/) in a fresh Node process with an IPC channel,
 * stdout and stderr shared with the bench. `name` says which child a failure came from.
 */
export function startIpcChild<From extends ChildMessage, To>(
  name: string,
  script: string,
  args: string[],
  options: { nodeFlags?: string[]; env?: Record<string, string> } = {},
): IpcChild<From, To> {
  const child = track(
    spawn(process.execPath, [...(options.nodeFlags ?? []), script, ...args], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...options.env },
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the ${name} process`);
  // A failure reported just before the child exits explains the exit.
  let failure: Error | undefined;
  child.on('message', (message: From) => {
    if (message.kind === 'failed' && 'error' in message)
      failure = new Error(`${name} process failed: ${String(message.error)}`);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (alive()) process.kill(pid, 'SIGKILL');
  };
  return {
    pid,
    send: (message) => child.send(message as object),
    kill,
    next: <K extends From['kind']>(kind: K, timeoutMs: number) =>
      new Promise<Extract<From, { kind: K }>>((resolve, reject) => {
        if (!alive()) {
          reject(failure ?? new Error(`${name} process had exited before "${kind}"`));
          return;
        }
        const finish = (error?: Error, message?: From) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          if (error) reject(error);
          else resolve(message as Extract<From, { kind: K }>);
        };
        const onMessage = (message: From) => {
          if (message.kind === kind) finish(undefined, message);
          else if (message.kind === 'failed') finish(failure);
        };
        const onExit = (code: number | null, signal: string | null) =>
          finish(failure ?? new Error(`${name} process exited (${signal ?? code}) while waiting for "${kind}"`));
        const timer = setTimeout(
          () => finish(new Error(`${name} process sent no "${kind}" within ${timeoutMs} ms`)),
          timeoutMs,
        );
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
    async stop(message, timeoutMs) {
      if (!alive()) return;
      child.send(message as object);
      const timer = setTimeout(kill, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A child's answer to the parent's `stop`: stops, says `stopped`, exits 0. */
export function stopAndExit(stop: () => Promise<void>): void {
  void stop().finally(() => {
    process.send?.({ kind: 'stopped' });
    process.exit(0);
  });
}

/** Reports a child's fatal error to its parent and on stderr, then exits 2. */
export function failChild(name: string, error: unknown): never {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send?.({ kind: 'failed', error: text });
  process.stderr.write(`${name}: ${text}\n`);
  process.exit(2);
}
