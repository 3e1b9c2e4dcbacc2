import { performance } from 'node:perf_hooks';
import type { Database, Statement } from 'better-sqlite3';
import { SpanKind, startChildSpan } from '../../telemetry/tracing.js';
import { LedgerUnavailableError } from '../ledger-errors.js';

type UnitResult = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Makes what is committed so far durable (an fsync), off the event loop. */
export type Durability = () => Promise<void>;

/**
 * Group commit: every unit of work submitted in the same turn of the event loop (the messages a
 * consumer received together, up to the prefetch) runs in one transaction, so one fsync covers
 * them all. One failing unit rolls back alone (commitBatch).
 * With `durability`, a unit's promise settles only once an fsync that began after its commit has
 * finished: the caller (which acks the broker next) never relies on a commit a power cut could take
 * back, and the event loop goes on with other work while the disk syncs. Units submitted while an
 * fsync runs are committed together once it ends: they could not settle before the next fsync
 * anyway, and one commit writes each page they share (index leaves, the table's last page) to the
 * WAL once instead of once per commit.
 */
export class GroupCommit {
  private pending: Job[] = [];
  private scheduled = false;
  private readonly savepoint: Statement;
  private readonly release: Statement;
  private readonly rollbackTo: Statement;
  // Made once: better-sqlite3 builds four wrapper functions at every db.transaction() call (~7 µs).
  private readonly runAll: (batch: Job[]) => UnitResult[];
  private readonly runEachInSavepoint: (batch: Job[]) => UnitResult[];
  batches = 0;
  units = 0;
  /** Batches run again with a savepoint per unit, because a unit failed. */
  retriedBatches = 0;
  private readonly syncs?: SyncQueue;
  /** While set, no batch commits (a checkpoint catching up with the log: checkpointer.ts). */
  private held?: Promise<void>;

  /** `onCommit` is told how long each commit took (units and fsync), and whether it failed as a whole. */
  constructor(
    db: Database,
    durability?: Durability,
    private readonly onCommit?: (seconds: number, ok: boolean) => void,
  ) {
    if (durability) this.syncs = new SyncQueue(durability);
    this.savepoint = db.prepare('SAVEPOINT unit');
    this.release = db.prepare('RELEASE unit');
    this.rollbackTo = db.prepare('ROLLBACK TO unit');
    this.runAll = db.transaction((batch: Job[]) => batch.map((job): UnitResult => ({ ok: true, value: job.work() })));
    this.runEachInSavepoint = db.transaction((batch: Job[]) => batch.map((job) => this.runUnit(job.work)));
  }

  run<T>(work: () => T): Promise<T> {
    const span = startChildSpan('ledger write', SpanKind.INTERNAL, { 'db.system': 'sqlite' });
    return new Promise<T>((resolve, reject) => {
      const settle =
        <A>(finish: (value: A) => void) =>
        (value: A) => {
          span?.end();
          finish(value);
        };
      this.pending.push({ work, resolve: settle(resolve as (value: unknown) => void), reject: settle(reject) });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits no batch until `released` settles; units submitted meanwhile wait in the next batch. */
  holdUntil(released: Promise<void>): void {
    const held = released.then(() => {
      if (this.held === held) this.held = undefined;
    });
    this.held = held;
  }

  private flush(): void {
    if (this.held) {
      void this.held.then(() => setImmediate(() => this.flush()));
      return;
    }
    if (this.syncs?.running) {
      this.syncs.whenIdle(() => setImmediate(() => this.flush()));
      return;
    }
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const started = performance.now();
    let settled: UnitResult[];
    try {
      settled = this.commitBatch(batch);
    } catch (error) {
      this.onCommit?.((performance.now() - started) / 1000, false);
      for (const job of batch) job.reject(new LedgerUnavailableError(error));
      return;
    }
    this.batches++;
    this.units += batch.length;
    const settle = () => {
      this.onCommit?.((performance.now() - started) / 1000, true);
      batch.forEach((job, i) => {
        const result = settled[i]!;
        if (result.ok) job.resolve(result.value);
        else job.reject(result.error);
      });
    };
    if (!this.syncs) {
      settle();
      return;
    }
    // Not known durable: the callers do not ack, the broker redelivers, the ledger finishes the work.
    this.syncs.after().then(settle, (error: unknown) => {
      this.onCommit?.((performance.now() - started) / 1000, false);
      for (const job of batch) job.reject(new LedgerUnavailableError(error));
    });
  }

  /** Whether units wait for an fsync of their commit before they settle. */
  get durable(): boolean {
    return this.syncs !== undefined;
  }

  /** Resolves when every unit submitted so far is committed and durable. */
  async idle(): Promise<void> {
    if (this.pending.length) await this.run(() => undefined);
    await this.syncs?.after();
  }

  /**
   * Every unit in one transaction. Units seldom fail, so they first run without a savepoint each
   * (a savepoint copies every page a unit touches); when one throws, the transaction rolls back and
   * the batch runs again with a savepoint per unit, so the failing one rolls back alone. A unit is
   * its writes: running it again in the retried transaction is running it once.
   */
  private commitBatch(batch: Job[]): UnitResult[] {
    try {
      return this.runAll(batch);
    } catch {
      this.retriedBatches++;
    }
    return this.runEachInSavepoint(batch);
  }

  private runUnit(work: () => unknown): UnitResult {
    this.savepoint.run();
    try {
      const value = work();
      this.release.run();
      return { ok: true, value };
    } catch (error) {
      this.rollbackTo.run();
      this.release.run();
      return { ok: false, error: isStorageFault(error) ? new LedgerUnavailableError(error) : error };
    }
  }
}

/** SQLite result codes that say the storage failed, whatever the unit was writing. */
const storageFaultCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB|PROTOCOL|INTERRUPT)/;

function isStorageFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && storageFaultCodes.test(code);
}

/** One fsync at a time; every request made before an fsync began is covered by it. */
class SyncQueue {
  private waiting: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private idleListener?: () => void;
  running = false;

  constructor(private readonly sync: Durability) {}

  after(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length) {
      const covered = this.waiting.splice(0);
      try {
        await this.sync();
        for (const waiter of covered) waiter.resolve();
      } catch (error) {
        for (const waiter of covered) waiter.reject(error);
      }
    }
    this.running = false;
    const listener = this.idleListener;
    this.idleListener = undefined;
    listener?.();
  }

  /** Calls `listener` once, when the fsync running now (and any queued behind it) has finished. */
  whenIdle(listener: () => void): void {
    this.idleListener = listener;
  }
}
