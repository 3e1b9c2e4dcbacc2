import { execFileSync, spawn } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { freePort } from '../../src/cli/free-port.js';
import { alive, tailOf } from './detached-process.js';

// A PostgreSQL cluster of a test's own: initdb'd in a temporary folder with the machine's
// PostgreSQL 15 binaries, on a free port, its socket in that folder. A test may stop, restart or
// kill it without disturbing the machine's shared server on 5432, which other test files use at
// the same time. Stopped by the postmaster's PID and removed at the test's end, however it ends.

const bin = process.env.ORDERBRIDGE_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';
const stopTimeoutMs = 30_000;

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  url: string;
  /** The postmaster, while it runs. */
  pid?: number;
  /** Fast shutdown (SIGINT: clients disconnected, a checkpoint written); resolves once it is gone. */
  stop(): Promise<void>;
  /** Starts the cluster again with its data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** stop() then start(): what `pg_ctlcluster 15 main restart` does. */
  restart(): Promise<void>;
  /** Creates an empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
}

/**
 * initdb refuses to run as root: then the cluster belongs to the postgres user (the one the
 * machine's PostgreSQL package made) and its programs run as that user.
 */
function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A fresh cluster, started; removed with its data in t's teardown. */
export async function startPrivatePostgres(t: Test, tag: string): Promise<PrivatePostgres> {
  if (!existsSync(join(bin, 'initdb')))
    throw new Error(`no initdb in ${bin}: install postgresql-15, or set ORDERBRIDGE_POSTGRES_BIN`);
  const base = mkdtempSync(join(tmpdir(), `ob-postgres-${tag}-`));
  const data = join(base, 'data');
  const log = join(base, 'postgres.log');
  const user = owner();
  if (user) chownSync(base, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  const port = await freePort();
  const node: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await exec(
        'pg_ctl',
        [
          'start',
          '--wait',
          '--timeout=60',
          '-D',
          data,
          '-l',
          log,
          '-o',
          `-p ${port} -c listen_addresses=127.0.0.1 -k ${base}`,
        ],
        as,
        log,
      );
      node.pid = pidIn(join(data, 'postmaster.pid'));
    },
    async stop() {
      const pid = node.pid ?? pidIn(join(data, 'postmaster.pid'));
      node.pid = undefined;
      if (pid !== undefined) await signalAndWait(pid, 'SIGINT', stopTimeoutMs);
    },
    async restart() {
      await node.stop();
      await node.start();
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: node.url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return node.url.replace(/\/postgres$/, `/${name}`);
    },
  };
  t.teardown(async () => {
    const pid = node.pid ?? pidIn(join(data, 'postmaster.pid'));
    // Immediate shutdown at the end: its data is thrown away next.
    if (pid !== undefined) await signalAndWait(pid, 'SIGQUIT', stopTimeoutMs);
    keepLog(base, log);
    rmSync(base, { recursive: true, force: true });
  });
  await exec(
    'initdb',
    ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
    as,
    log,
  );
  await node.start();
  return node;
}

function exec(program: string, args: string[], as: { uid?: number; gid?: number }, log: string): Promise<void> {
  return new Promise((done, fail) => {
    // pg_ctl -l sends the postmaster's output to the log: no pipe of ours outlives pg_ctl.
    const child = spawn(join(bin, program), args, { ...as, stdio: ['ignore', 'ignore', 'pipe'], timeout: 90_000 });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) =>
      code === 0 ? done() : fail(new Error(`${program} exited ${code ?? signal}: ${stderr}\n${tailOf(log)}`)),
    );
  });
}

async function signalAndWait(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The postmaster's PID: the first line of postmaster.pid. */
function pidIn(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').split('\n')[0]) || undefined;
  } catch {
    return undefined;
  }
}

/** The server log goes to test-artifacts/<folder>/postgres.log with the other processes' logs. */
function keepLog(base: string, log: string): void {
  if (!existsSync(log)) return;
  const artifacts = resolve(import.meta.dirname, '../../test-artifacts', basename(base));
  mkdirSync(artifacts, { recursive: true });
  cpSync(log, join(artifacts, 'postgres.log'));
}
