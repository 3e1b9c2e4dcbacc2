import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Test } from 'tap';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/orderbridge.js');

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  output: () => string;
  /** SIGKILL: the process gets no chance to clean up. */
  kill9: () => Promise<void>;
  /** SIGTERM and wait for a graceful exit. */
  stop: () => Promise<number | null>;
}

/** Starts `orderbridge <args>` as a child process (see startProcess). */
export function startOrderbridge(t: Test, name: string, args: string[], env: Record<string, string>): Started {
  return startProcess(t, name, process.execPath, [bin, ...args], env);
}

/**
 * Starts a child process, its output kept (and written to test-artifacts/<name>.log); stopped by
 * PID in the test's teardown whatever happens.
 */
export function startProcess(
  t: Test,
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
): Started {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: string[] = [];
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  const log = createWriteStream(join(root, 'test-artifacts', `${name}.log`), { flags: 'a' });
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk.toString());
      log.write(chunk);
    });
  }
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code, signal) => done(code ?? (signal ? -1 : null))),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const started: Started = {
    name,
    child,
    pid: child.pid!,
    exited,
    output: () => chunks.join(''),
    kill9: async () => {
      if (alive()) process.kill(child.pid!, 'SIGKILL');
      await exited;
    },
    stop: async () => {
      if (alive()) process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => alive() && process.kill(child.pid!, 'SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  t.teardown(async () => {
    await started.kill9();
    log.end();
  });
  return started;
}

/** Resolves once the process printed a line matching the pattern; rejects if it exits first or times out. */
export async function waitForOutput(started: Started, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(started.output())) {
    if (started.child.exitCode !== null || started.child.signalCode !== null)
      throw new Error(`${started.name} exited before printing ${pattern}:\n${started.output().slice(-2000)}`);
    if (Date.now() > deadline)
      throw new Error(
        `${started.name} did not print ${pattern} within ${timeoutMs} ms:\n${started.output().slice(-2000)}`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}
