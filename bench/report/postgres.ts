// bench:report -- --ledger postgres: a 24-hour report over a big PostgreSQL ledger, seeded once and
// kept (seed-postgres.ts), and with --beside-sqlite the same over an SQLite ledger of the same rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.js';
import type { LedgerTarget } from '../../src/ledger/index.js';
import type { Cleanup } from '../shared/cleanup.js';
import { formatInt, median, round, table } from '../shared/figures.js';
import { databaseUrl, dropDatabase } from '../shared/postgres.js';
import { cachedLedgerName, cachedLedgers, findCachedLedger, seedPostgresLedger } from './seed-postgres.js';
import { seedBigLedger } from './seed.js';

export interface Render {
  ms: number;
  discrepancies: number;
  bytes: number;
}

const goalMs = 2000;

export async function runOnPostgres(
  options: {
    messages: number;
    renders: number;
    server: string;
    besideSqlite: boolean;
    dropCache: boolean;
    json: boolean;
  },
  bench: {
    config: Config;
    renderOnce: (target: LedgerTarget, now: number) => Promise<Render>;
    log: (line: string) => void;
    cleanup: Cleanup;
  },
): Promise<void> {
  const { config, renderOnce, log } = bench;
  const { server } = options;
  if (options.dropCache) {
    for (const { name, bytes } of await cachedLedgers(server)) {
      dropDatabase(server, name);
      log(`bench: dropped ${name} (${formatInt(bytes / 1e6)} MB)`);
    }
    return;
  }
  const loadAtStart = loadavg()[0]!;
  const name = cachedLedgerName(options.messages);
  let ledger = await findCachedLedger(server, name);
  if (ledger) log(`bench: using the ledger seeded ${new Date(ledger.now).toISOString()}, kept as ${name}`);
  else {
    log(`bench: seeding ${formatInt(options.messages)} messages over 48 h into ${name} (kept for the next runs)`);
    ledger = await seedPostgresLedger(server, name, config, options.messages, Date.now(), log);
    log(`bench: seeded in ${ledger.seconds.toFixed(0)} s`);
  }
  const { now } = ledger;

  let sqlite: { path: string; remove: () => void; bytes: number; seconds: number } | undefined;
  if (options.besideSqlite) {
    const dir = mkdtempSync(join(tmpdir(), 'orderbridge-bench-report-'));
    const remove = bench.cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'ledger.db');
    log(`bench: seeding the same ${formatInt(options.messages)} messages into SQLite at ${path}`);
    const seeded = await seedBigLedger(path, config, options.messages, now);
    sqlite = { path, remove, bytes: seeded.bytes, seconds: seeded.seconds };
    log(`bench: seeded SQLite in ${seeded.seconds.toFixed(0)} s`);
  }

  // Taken in turns, so that a noisy stretch of the machine hits both alike.
  const postgresRenders: Render[] = [];
  const sqliteRenders: Render[] = [];
  try {
    for (let i = 0; i < options.renders; i++) {
      const onPostgres = await renderOnce({ driver: 'postgres', url: databaseUrl(server, name) }, now);
      postgresRenders.push(onPostgres);
      let line = `render ${i + 1}: PostgreSQL ${onPostgres.ms.toFixed(0)} ms, ${onPostgres.discrepancies} discrepancies`;
      if (sqlite) {
        const onSqlite = await renderOnce({ driver: 'sqlite', path: sqlite.path, synchronous: 'NORMAL' }, now);
        sqliteRenders.push(onSqlite);
        line += `; SQLite ${onSqlite.ms.toFixed(0)} ms, ${onSqlite.discrepancies} discrepancies`;
      }
      log(line);
    }
  } finally {
    sqlite?.remove();
  }

  const figures = (renders: Render[]) => ({
    renderMsMedian: round(median(renders.map((r) => r.ms)), 0),
    renderMs: renders.map((r) => round(r.ms, 0)),
    discrepancies: renders[0]?.discrepancies ?? 0,
    htmlBytes: renders[0]?.bytes ?? 0,
  });
  const others = (await cachedLedgers(server)).filter((cached) => cached.name !== name);
  const summary = {
    machine: {
      cores: availableParallelism(),
      node: process.version,
      loadAverage1mAtStart: round(loadAtStart),
      loadAverage1mAtEnd: round(loadavg()[0]!),
    },
    window: '24h',
    postgres: { database: name, ledger, ...figures(postgresRenders) },
    ...(sqlite ? { sqlite: { bytes: sqlite.bytes, ...figures(sqliteRenders) } } : {}),
    goalMs,
    meetsGoal: median(postgresRenders.map((r) => r.ms)) < goalMs,
  };
  const row = (label: string, renders: Render[]) => {
    const ms = median(renders.map((r) => r.ms));
    return [
      label,
      `${formatInt(ms)} ms (${renders.map((r) => Math.round(r.ms)).join(' / ')})`,
      `${renders[0]?.discrepancies ?? 0}`,
      `< ${goalMs} ms: ${ms < goalMs ? 'met' : 'NOT met'}`,
    ];
  };
  const lines = [
    `Report over a PostgreSQL ledger of ${formatInt(ledger.messages)} messages (${formatInt(ledger.orders)} orders, ${formatInt(ledger.journal)} journal rows, ${formatInt(ledger.bytes / 1e6)} MB), a 24-hour window, HTML page, MES not asked`,
    table(
      ['', `render time, median of ${options.renders}`, 'discrepancies', 'goal'],
      [
        row('PostgreSQL', postgresRenders),
        ...(sqlite ? [row(`SQLite, same rows (${formatInt(sqlite.bytes / 1e6)} MB)`, sqliteRenders)] : []),
      ],
    ),
    `the ledger is kept between runs as the database ${name} (schema and seed in its name);`,
    `  drop it with \`npm run -s bench:report -- --ledger postgres --drop-cache\` (every kept one) or \`dropdb -h 127.0.0.1 -U postgres ${name}\``,
    ...(others.length
      ? [
          `  also kept (other schemas or sizes): ${others.map((o) => `${o.name} (${formatInt(o.bytes / 1e6)} MB)`).join(', ')}`,
        ]
      : []),
    `machine: ${summary.machine.cores} cores, Node ${summary.machine.node}, 1-min load average ${summary.machine.loadAverage1mAtStart} at the start, ${summary.machine.loadAverage1mAtEnd} at the end`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}
