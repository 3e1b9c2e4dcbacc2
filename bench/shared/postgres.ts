// The benchmarks' PostgreSQL: a database of their own per run (dropped after), and the CPU its
// server processes used, read from /proc (the server must run on this machine).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { processCpuMs } from './cpu.js';

/** Where the benchmarks find PostgreSQL (trust auth on loopback, as ensure-env sets it up). */
export const defaultPostgresServer = 'postgres://postgres@127.0.0.1:5432';

/** Which ledger a benchmark runs on (--ledger). */
export type LedgerOption = 'sqlite' | 'postgres';

export function ledgerOption(raw: string): LedgerOption {
  if (raw === 'sqlite' || raw === 'postgres') return raw;
  throw new Error(`--ledger must be sqlite or postgres, not ${JSON.stringify(raw)}`);
}

/** The server's URL with another database: `server` names none (or one that is replaced). */
export function databaseUrl(server: string, database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `work` on a connection to the server's `postgres` database. */
export async function withServer<T>(server: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops `name` (ours, never input) if it is there, ending its connections; synchronous, with psql. */
export function dropDatabase(server: string, name: string): void {
  execFileSync('psql', [databaseUrl(server, 'postgres'), '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export interface BenchDatabase {
  name: string;
  url: string;
  /**
   * Drops the database, ending the connections still on it. Synchronous (psql), so that it also
   * works from an `exit` or signal handler.
   */
  drop(): void;
}

/** An empty database with a name no one else uses (`prefix`_ and random hex); the caller drops it. */
export async function createBenchDatabase(server: string, prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  // The name is ours (a fixed prefix and hex), never input: safe to put in the statement.
  await withServer(server, (client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: databaseUrl(server, name),
    drop: () => dropDatabase(server, name),
  };
}

export interface PostgresCpu {
  /** CPU (ms) of the backends serving the database (and its autovacuum workers). */
  backendsMs: number;
  /** How many backends served it during the window. */
  backends: number;
  /** CPU (ms) of the server's own processes, which every database of the server shares. */
  backgroundMs: number;
}

/**
 * CPU (ms) used by the server's processes, counted from `start()` to `stop()`: the backends serving
 * `database`, and apart from them the server's own processes (WAL writer, checkpointer, background
 * writer, autovacuum), which every database of the server shares. Processes that appear in between
 * count from zero; one that leaves before `stop()` counts as `sample()` last saw it.
 */
export function postgresCpu(server: string, database: string) {
  const seen = new Map<number, { backend: boolean; first: number; last: number }>();
  const sample = async (atStart: boolean) => {
    const { rows } = await withServer(server, (client) =>
      client.query<{ pid: number; ours: boolean }>(
        `SELECT pid, datname = $1 AS ours FROM pg_stat_activity
          WHERE (datname = $1 AND backend_type = 'client backend') OR backend_type <> 'client backend'`,
        [database],
      ),
    );
    for (const { pid, ours } of rows) {
      const ms = processCpuMs(pid);
      if (ms === undefined) continue;
      const known = seen.get(pid);
      if (known) known.last = ms;
      else seen.set(pid, { backend: ours === true, first: atStart ? ms : 0, last: ms });
    }
  };
  return {
    async start() {
      seen.clear();
      await sample(true);
    },
    sample: () => sample(false),
    async stop(): Promise<PostgresCpu> {
      await sample(false);
      let backendsMs = 0;
      let backgroundMs = 0;
      let backends = 0;
      for (const { backend, first, last } of seen.values()) {
        if (backend) {
          backendsMs += last - first;
          backends++;
        } else backgroundMs += last - first;
      }
      return { backendsMs, backends, backgroundMs };
    },
  };
}
