// Starts bench/proxy-child.ts and other helper processes (wrk, nginx); every one of them is ended by PID.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { track } from './children.js';
import type { ChildSpec, ChildStats, FromChild } from './proxy-protocol.js';
import { moduleBeside } from './paths.js';

const childScript = moduleBeside(import.meta.filename, 'proxy-child');

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

export interface ChildServer {
  pid: number;
  port: number;
  stats(): Promise<ChildStats>;
  profileStart(): void;
  /** Writes the CPU profile since profileStart() to `file`. */
  profileStop(file: string): Promise<void>;
  /** Graceful stop with a deadline, then SIGKILL by PID. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Runs one server role with the Node flags of this process (so the TypeScript loader the bench was
 * started with loads the child too) and waits for its `ready`. With `cpus`, every thread of the
 * child is pinned to them once it is ready (not before: loading TypeScript may use any CPU).
 */
export async function startChild(
  spec: ChildSpec,
  options: {
    cpus?: string;
    readyTimeoutMs?: number;
    tracing?: { nodeFlags: string[]; env: Record<string, string> };
  } = {},
): Promise<ChildServer> {
  const { tracing } = options;
  const child = track(
    spawn(process.execPath, [...process.execArgv, ...(tracing?.nodeFlags ?? []), childScript, JSON.stringify(spec)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...tracing?.env },
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start the ${spec.role} process`);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (alive()) process.kill(pid, 'SIGKILL');
  };
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  /** The child's next message of this kind; fails if it reports a failure, exits or takes too long. */
  const next = <K extends FromChild['kind']>(kind: K, timeoutMs: number) =>
    new Promise<Extract<FromChild, { kind: K }>>((resolvePromise, reject) => {
      const finish = (error?: Error, message?: FromChild) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolvePromise(message as Extract<FromChild, { kind: K }>);
      };
      const onMessage = (message: FromChild) => {
        if (message.kind === kind) finish(undefined, message);
        else if (message.kind === 'failed') finish(new Error(`${spec.role} process failed: ${message.error}`));
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish(new Error(`${spec.role} process exited (${signal ?? code}) while waiting for "${kind}"`));
      const timer = setTimeout(
        () => finish(new Error(`${spec.role} process sent no "${kind}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  let port: number;
  try {
    ({ port } = await next('ready', options.readyTimeoutMs ?? 60_000));
    if (options.cpus !== undefined)
      execFileSync('taskset', ['-a', '-p', '-c', options.cpus, String(pid)], { stdio: 'ignore' });
  } catch (error) {
    kill();
    throw error;
  }
  return {
    pid,
    port,
    async stats() {
      const reply = next('stats', 10_000);
      child.send({ kind: 'stats' });
      return (await reply).stats;
    },
    profileStart: () => child.send({ kind: 'profile-start' }),
    async profileStop(file) {
      const reply = next('profiled', 30_000);
      child.send({ kind: 'profile-stop', file });
      await reply;
    },
    async stop(timeoutMs = 15_000) {
      if (!alive()) return;
      child.send({ kind: 'stop' });
      const timer = setTimeout(kill, timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface MachineCpu {
  /** CPU time (ms) all CPUs of the machine spent busy (not idle, not waiting for I/O) so far, steal excluded. */
  busyMs: number;
  /** CPU time (ms) the hypervisor gave to someone else while this machine's CPUs had work (steal) so far. */
  stealMs: number;
}

/** The machine's CPU counters, from /proc/stat; undefined where it cannot be read. */
export function machineCpuMs(): MachineCpu | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    // Clock ticks of 10 ms.
    return { busyMs: (user + nice + system + irq + softirq) * 10, stealMs: steal * 10 };
  } catch {
    return undefined;
  }
}
