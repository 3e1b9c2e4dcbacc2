// pg against postgres (postgres.js) for the PostgreSQL ledger's group commit: batches of units, each
// in a savepoint, each unit the statements of one recorded CRM command (insert the message, read
// the order, insert it, journal it, insert the MES command), one batch in flight, commit per batch.
// Figures: units/s, client CPU µs per unit, and the PostgreSQL backend's CPU per unit (its /proc).
//   npm run -s bench:build && node dist-bench/bench/ledger-drivers.js [--units 6000] [--batch 50] [--rounds 3]
// postgres.js is not a dependency any more: `npm install --no-save postgres@4.2.0` before a re-run.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { migratePostgres } from '../../src/ledger/postgres/migrate.js';
import { sql } from '../../src/ledger/postgres/statements.js';
import { processCpuMs } from '../shared/cpu.js';
import { createBenchDatabase, defaultPostgresServer } from '../shared/postgres.js';

const { values } = parseArgs({
  options: {
    units: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    server: { type: 'string', default: defaultPostgresServer },
  },
});
const units = Number(values.units);
const batchSize = Number(values.batch);
const rounds = Number(values.rounds);

/** What a unit needs of a connection inside the batch's transaction. */
interface Conn {
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Sent now, awaited at the end of the unit (pipelined where the client can). */
  send(text: string, params?: unknown[]): Promise<unknown>;
}

interface Driver {
  name: string;
  backendPid(): Promise<number>;
  /** Runs one transaction: BEGIN, work, COMMIT. */
  transaction(work: (conn: Conn) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

// The ledger's own statement (message key and day-partitioned row), so that this follows the schema.
const insertMessage = (
  direction: string,
  channel: string,
  messageId: string,
  orderId: string,
  state: string,
  now: number,
) =>
  [
    sql.insertMessage,
    [direction, channel, 'order.create', messageId, null, orderId, state, 0, null, null, null, null, now],
  ] as [string, unknown[]];
const selectOrder = 'SELECT * FROM orders WHERE order_id = $1';
const insertOrder = `INSERT INTO orders (order_id, partner, status, status_since, status_entered_at, last_fact_at, created_at, updated_at)
  VALUES ($1, 'shop', 'received', '2026-12-06T00:00:00Z', $2, '{}', $2, $2)`;
const journal = `INSERT INTO journal (at, order_id, kind, detail) VALUES ($1, $2, 'status_changed', '{"to":"received"}')`;

async function recordCommand(conn: Conn, orderId: string, now: number): Promise<void> {
  const sent = [conn.send('SAVEPOINT unit')];
  const [inserted] = await conn.query(
    ...insertMessage('in', 'crm.command', `crm-${orderId}`, orderId, 'received', now),
  );
  if (!inserted) throw new Error('duplicate');
  const [order] = await conn.query(selectOrder, [orderId]);
  if (!order) sent.push(conn.send(insertOrder, [orderId, now]), conn.send(journal, [now, orderId]));
  await conn.query(...insertMessage('out', 'mes.command', `mes-${orderId}`, orderId, 'pending', now));
  await Promise.all(sent);
  await conn.query('RELEASE unit');
}

function pgDriver(url: string, pipeline: boolean): Driver {
  const client = new pg.Client({ connectionString: url, pipeline });
  const connected = client.connect();
  return {
    name: pipeline ? 'pg 8.23.1, pipeline mode' : 'pg 8.23.1',
    backendPid: async () => {
      await connected;
      return (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    },
    transaction: async (work) => {
      await client.query('BEGIN');
      await work({
        query: async (text, params) => (await client.query(text, params)).rows,
        send: (text, params) => client.query(text, params),
      });
      await client.query('COMMIT');
    },
    close: () => client.end(),
  };
}

async function postgresJsDriver(url: string): Promise<Driver | undefined> {
  const postgres = await import('postgres' as string).then(
    (module) => module.default,
    () => undefined,
  );
  if (!postgres) return undefined;
  const sql = postgres(url, { max: 1, prepare: true, onnotice: () => undefined });
  type Sql = typeof sql;
  // postgres.js sends a query once it is awaited or executed; execute() sends at once (pipelined).
  const conn = (tx: Sql): Conn => ({
    query: async (text, params) => [...(await tx.unsafe(text, params as never[]))],
    send: (text, params) => tx.unsafe(text, params as never[]).execute(),
  });
  return {
    name: 'postgres 4.2.0 (postgres.js), pipelining',
    backendPid: async () => (await sql`SELECT pg_backend_pid() AS pid`)[0]!.pid,
    transaction: async (work) => {
      await sql.begin((tx: Sql) => work(conn(tx)));
    },
    close: () => sql.end(),
  };
}

/** A fresh database with the ledger's tables; dropped by `drop`. */
async function freshDatabase(): Promise<{ url: string; drop: () => void }> {
  const database = await createBenchDatabase(values.server, 'orderbridge_bench');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await migratePostgres(client);
  await client.end();
  return database;
}

async function measure(make: (url: string) => Promise<Driver | undefined>) {
  const database = await freshDatabase();
  const driver = await make(database.url);
  if (!driver) {
    database.drop();
    return undefined;
  }
  try {
    const backend = await driver.backendPid();
    // Warm up (prepared statements, caches), then measure.
    for (let i = 0; i < 5; i++)
      await driver.transaction((conn) => recordCommand(conn, `warm-${i}`, Date.now()).then(() => undefined));
    const cpuBefore = process.cpuUsage();
    const backendBefore = processCpuMs(backend) ?? 0;
    const started = performance.now();
    for (let done = 0; done < units; done += batchSize)
      await driver.transaction(async (conn) => {
        for (let i = done; i < Math.min(units, done + batchSize); i++) await recordCommand(conn, `O-${i}`, Date.now());
      });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      driver: driver.name,
      unitsPerSecond: Math.round(units / seconds),
      clientCpuUsPerUnit: Math.round((cpu.user + cpu.system) / units),
      serverCpuUsPerUnit: Math.round((((processCpuMs(backend) ?? backendBefore) - backendBefore) * 1000) / units),
    };
  } finally {
    await driver.close();
    database.drop();
  }
}

const drivers: [string, (url: string) => Promise<Driver | undefined>][] = [
  ['pg', async (url) => pgDriver(url, false)],
  ['pg-pipeline', async (url) => pgDriver(url, true)],
  ['postgres', postgresJsDriver],
];
console.log(`${units} units in batches of ${batchSize}, ${rounds} rounds, drivers interleaved`);
const results = new Map<string, NonNullable<Awaited<ReturnType<typeof measure>>>[]>();
for (let round = 0; round < rounds; round++)
  for (const [key, make] of drivers) {
    const result = await measure(make);
    if (!result) {
      if (round === 0) console.log(`${key}: not installed (npm install --no-save postgres@4.2.0), skipped`);
      continue;
    }
    results.set(key, [...(results.get(key) ?? []), result]);
    console.log(JSON.stringify({ round, ...result }));
  }
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('\n| driver | units/s | client CPU µs/unit | PostgreSQL backend CPU µs/unit |\n| --- | --- | --- | --- |');
for (const runs of results.values())
  console.log(
    `| ${runs[0]!.driver} | ${median(runs.map((r) => r.unitsPerSecond))} | ${median(runs.map((r) => r.clientCpuUsPerUnit))} | ${median(runs.map((r) => r.serverCpuUsPerUnit))} |`,
  );
