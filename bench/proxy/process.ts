// Starts bench/proxy/child.ts, one server role per process; every one of them is ended by PID.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startIpcChild } from '../shared/children.js';
import type { ChildSpec, ChildStats, FromChild, ToChild } from './protocol.js';

const childScript = fileURLToPath(new URL('./child.js', import.meta.url));

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
 * Runs one server role and waits for its `ready`. With `cpus`, every thread of the child is pinned
 * to them once it is ready (not before: loading its modules may use any CPU).
 */
export async function startChild(
  spec: ChildSpec,
  options: {
    cpus?: string;
    readyTimeoutMs?: number;
    tracing?: { nodeFlags: string[]; env: Record<string, string> };
    /** More environment for the child (bench/report's switch that reads a report on the event loop). */
    env?: Record<string, string>;
  } = {},
): Promise<ChildServer> {
  const { tracing } = options;
  const child = startIpcChild<FromChild, ToChild>(spec.role, childScript, [JSON.stringify(spec)], {
    ...(tracing ? { nodeFlags: tracing.nodeFlags } : {}),
    env: { ...tracing?.env, ...options.env },
  });
  let port: number;
  try {
    ({ port } = await child.next('ready', options.readyTimeoutMs ?? 60_000));
    if (options.cpus !== undefined)
      execFileSync('taskset', ['-a', '-p', '-c', options.cpus, String(child.pid)], { stdio: 'ignore' });
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    pid: child.pid,
    port,
    async stats() {
      const reply = child.next('stats', 10_000);
      child.send({ kind: 'stats' });
      return (await reply).stats;
    },
    profileStart: () => child.send({ kind: 'profile-start' }),
    async profileStop(file) {
      const reply = child.next('profiled', 30_000);
      child.send({ kind: 'profile-stop', file });
      await reply;
    },
    stop: (timeoutMs = 15_000) => child.stop({ kind: 'stop' }, timeoutMs),
  };
}
