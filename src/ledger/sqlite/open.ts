import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckpointerOptions } from './checkpointer.js';
import type { Durability } from './group-commit.js';
import { migrateSqlite } from './migrate.js';
import type { LedgerPolicy } from '../store.js';
import type { OrderEventDeliveries } from '../webhook-store.js';
import { SqliteLedger } from './ledger.js';
import { ReportThread } from './report-thread.js';
import { LedgerNotFoundError } from '../ledger-errors.js';

export interface SqliteLedgerOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  policy: LedgerPolicy;
  /**
   * Open only a ledger that is already there, never create one: for the ops commands, where a
   * mistyped path must be an error naming it, not a new empty ledger whose report looks like a quiet day.
   */
  mustExist?: boolean;
  /** Told how long each group commit took, and whether it failed (metrics). */
  onCommit?: (seconds: number, ok: boolean) => void;
  /** What each order event must also be delivered as (partner webhooks): queued in the same transaction. */
  orderEventDeliveries?: OrderEventDeliveries;
  /** How the ledger file's checkpoint thread works (src/ledger/sqlite/checkpointer.ts); its defaults otherwise. */
  checkpoints?: CheckpointerOptions;
  /**
   * Read reports on a worker thread (the default): a gateway's event loop serves partners and the
   * pipeline meanwhile. An ops command has nothing else to do, and a thread costs it a start-up.
   */
  reportThread?: boolean;
}

/**
 * A benchmark comparison switch, not a setting: with ORDERBRIDGE_BENCH_REPORT_ON_LOOP=1 the ledger
 * reads a report's rows on the event loop as it did before the report thread, so bench:report can
 * print partner latency beside a report both ways in one run.
 */
const reportOnLoopForBench = process.env.ORDERBRIDGE_BENCH_REPORT_ON_LOOP === '1';

export function openSqliteLedger({
  path,
  synchronous,
  policy,
  mustExist = false,
  onCommit,
  orderEventDeliveries,
  checkpoints = {},
  reportThread = true,
}: SqliteLedgerOptions): SqliteLedger {
  if (path !== ':memory:' && !mustExist) mkdirSync(dirname(path), { recursive: true });
  const db = mustExist ? openExistingLedger(path, false) : new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a commit the gateway relied on (before acking the broker) survives power loss. SQLite's own
  // FULL fsyncs the WAL inside COMMIT, on the event loop; instead SQLite runs NORMAL (it still syncs
  // around checkpoints, which run on a thread of their own: checkpointer.ts) and the group commit
  // fsyncs the WAL from the thread pool before any unit settles (walFsync below), so the guarantee
  // holds and the loop keeps working meanwhile.
  db.pragma('synchronous = NORMAL');
  // Each group-commit unit runs in a savepoint whose journal outgrows SQLite's in-memory default and
  // spilled to a temp file on every unit (bench/RESULTS.md); crash recovery uses the WAL, not this.
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -65536');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db);
  const wal = synchronous === 'FULL' && path !== ':memory:' ? walFsync(`${path}-wal`) : undefined;
  return new SqliteLedger(db, policy, {
    ...(wal ? { wal } : {}),
    ...(path !== ':memory:' && reportThread && !reportOnLoopForBench ? { reportThread: new ReportThread(path) } : {}),
    ...(path !== ':memory:' ? { checkpoints } : {}),
    ...(onCommit ? { onCommit } : {}),
    ...(orderEventDeliveries ? { orderEventDeliveries } : {}),
  });
}

/** fsync of the WAL file through its own read-only handle: fsync covers the file, whoever wrote it. */
function walFsync(walPath: string): { sync: Durability; close: () => Promise<void> } {
  let handle: Promise<FileHandle> | undefined;
  return {
    sync: async () => {
      handle ??= open(walPath, 'r');
      await (await handle).sync();
    },
    close: async () => {
      if (handle) await (await handle).close().catch(() => undefined);
    },
  };
}

/**
 * The ledger of a running (or stopped) gateway, opened read-only for the ops commands (timeline,
 * report): WAL lets it read while the gateway writes, and nothing here can change it.
 */
export function openSqliteLedgerReader(path: string, policy: LedgerPolicy): SqliteLedger {
  const db = openExistingLedger(path, true);
  db.pragma('busy_timeout = 5000');
  return new SqliteLedger(db, policy);
}

/** Opens the ledger at `path` if there is one; throws LedgerNotFoundError naming the path otherwise. */
function openExistingLedger(path: string, readonly: boolean): Database.Database {
  // better-sqlite3 says only "directory does not exist" or "unable to open database file".
  if (path !== ':memory:' && !statSync(path, { throwIfNoEntry: false })?.isFile())
    throw new LedgerNotFoundError(path, 'nothing');
  const db = new Database(path, { readonly, fileMustExist: true });
  try {
    const migrations = db
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`)
      .get();
    if (migrations === undefined) throw new LedgerNotFoundError(path, 'not_a_ledger');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new LedgerNotFoundError(path, 'not_a_ledger');
    throw error;
  }
  return db;
}
