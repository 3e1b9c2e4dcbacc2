import type Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { GroupCommit, type Durability } from './group-commit.js';
import type { ReportRows } from '../report-rows.js';
import { readReportRows } from './report.js';
import { readNeedsActionRows } from './needs-action.js';
import type { ReportThread } from './report-thread.js';
import { Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import type { NeedsActionRows } from '../decide-needs-action.js';
import { prepareStatements } from './statements.js';
import { RetentionPruner } from './retention.js';
import { SqliteWebhookStore } from './webhooks.js';
import type { LedgerPolicy, LedgerStore, OpsLedger } from '../store.js';
import { SqliteContext } from './context.js';
import type { OrderEventDeliveries } from '../webhook-store.js';
import { SqliteIntake } from './intake.js';
import { SqliteOpsRecords } from './ops-records.js';
import { SqliteOrderReads } from './order-reads.js';
import { SqlitePartnerOrders } from './partner-orders.js';
import { SqliteWatchdogQueries } from './watchdog-queries.js';

export interface SqliteLedgerParts {
  onCommit?: (seconds: number, ok: boolean) => void;
  orderEventDeliveries?: OrderEventDeliveries;
  /** fsync of the WAL from the thread pool, when commits must be durable before they settle. */
  wal?: { sync: Durability; close: () => Promise<void> };
  /** Reads the report's rows off the event loop (a gateway's ledger file); without it, in this thread. */
  reportThread?: ReportThread;
  /** Checkpoints a gateway's ledger file off the event loop; without it, SQLite checkpoints inside commits. */
  checkpoints?: CheckpointerOptions;
}

// The store is one object made of one part per port, each in its own module over a shared context
// (one connection, one group commit): the class merges their methods rather than forwarding each.
export interface SqliteLedger
  extends PublicOf<SqliteIntake>,
    PublicOf<SqlitePartnerOrders>,
    PublicOf<SqliteWatchdogQueries>,
    PublicOf<SqliteOrderReads>,
    PublicOf<SqliteOpsRecords> {}

/** A part's public methods (keyof leaves private members out). */
type PublicOf<T> = { [K in keyof T]: T[K] };

/** The acknowledgement ledger on SQLite: every LedgerStore port, the webhook store and the pruner on one connection. */
export class SqliteLedger implements LedgerStore, OpsLedger {
  readonly commits: GroupCommit;
  /** Partner webhook deliveries, written in the ledger's own transactions. */
  readonly webhooks: SqliteWebhookStore;
  /** Removes rows past the retention, between the pipeline's units. */
  readonly retention: RetentionPruner;
  private readonly context: SqliteContext;
  private readonly checkpointer?: Checkpointer;

  constructor(
    readonly db: Database.Database,
    policy: LedgerPolicy,
    private readonly parts: SqliteLedgerParts = {},
  ) {
    this.commits = new GroupCommit(db, parts.wal?.sync, (seconds, ok) => {
      parts.onCommit?.(seconds, ok);
      this.checkpointer?.committed();
    });
    if (parts.checkpoints) this.checkpointer = new Checkpointer(db, this.commits, parts.checkpoints);
    this.webhooks = new SqliteWebhookStore(db, this.commits);
    this.retention = new RetentionPruner(db, this.commits);
    this.context = new SqliteContext(
      db,
      prepareStatements(db),
      this.commits,
      policy,
      this.webhooks,
      parts.orderEventDeliveries,
    );
    for (const part of [
      new SqliteIntake(this.context),
      new SqlitePartnerOrders(this.context),
      new SqliteWatchdogQueries(this.context),
      new SqliteOrderReads(this.context),
      new SqliteOpsRecords(this.context),
    ]) {
      for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(part)) as (keyof typeof part)[]) {
        if (name !== 'constructor')
          Object.defineProperty(this, name, {
            value: (part[name] as (...args: unknown[]) => unknown).bind(part),
            writable: true,
            configurable: true,
          });
      }
    }
  }

  onOrderChanged(listener: (orderId: string) => void): () => void {
    return this.context.onOrderChanged(listener);
  }

  /** One process writes an SQLite ledger: it hears every change. */
  changesFollowed(): boolean {
    return true;
  }

  async checkWritable(): Promise<void> {
    // Between group commits no transaction is open, so this only waits for other processes.
    this.db.exec('BEGIN IMMEDIATE');
    this.db.exec('ROLLBACK');
  }

  /** The database file and its write-ahead log, in bytes. */
  sizeBytes(): number {
    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
    return this.db.memory ? 0 : size(this.db.name) + size(`${this.db.name}-wal`);
  }

  /** The reconciliation report's rows for a window; `between` runs between its queries (to pace a report beside the pipeline). */
  reportRows(from: number, to: number, unconfirmedBefore: number, between?: () => Promise<void>): Promise<ReportRows> {
    const thread = this.parts.reportThread;
    return thread
      ? thread.reportRows(from, to, unconfirmedBefore, between)
      : readReportRows(this.db, from, to, unconfirmedBefore, between);
  }

  /** What may make an order need a person in the window (src/ledger/decide-needs-action.ts decides). */
  async needsActionRows(from: number, to: number): Promise<NeedsActionRows> {
    const thread = this.parts.reportThread;
    return thread ? thread.needsActionRows(from, to) : readNeedsActionRows(this.db, from, to);
  }

  async close(): Promise<void> {
    // Let a scheduled group commit run, and its fsync finish, before the handles go.
    await new Promise((resolve) => setImmediate(resolve));
    await this.commits.idle().catch(() => undefined);
    await this.parts.wal?.close();
    await this.parts.reportThread?.close();
    await this.checkpointer?.close();
    this.db.close();
  }
}
