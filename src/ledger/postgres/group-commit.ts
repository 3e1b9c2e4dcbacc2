import { performance } from 'node:perf_hooks';
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import { SpanKind, startChildSpan } from '../../telemetry/tracing.js';
import { LedgerUnavailableError } from '../ledger-errors.js';
import { changePayloads, notifyChanges } from './change-feed.js';
import { isConflict, isStorageFault } from './errors.js';
import { queryConfig } from './prepared.js';

/** One open transaction, as a unit of work sees it. */
export interface Tx {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /**
   * A write whose answer the unit does not need: sent at once, behind the others on the pipelined
   * connection, and awaited before the unit's savepoint is released.
   */
  send(text: string, values?: unknown[]): void;
  /** Tells the order-change listeners about `orderId` once the commit is visible. */
  orderChanged(orderId: string): void;
}

export type Unit<T> = (tx: Tx) => Promise<T>;

/** The orders a unit writes, by id or through the message rows it changes: locked before any unit runs. */
export interface UnitLocks {
  orders?: readonly string[];
  messageRows?: readonly number[];
}

interface Job {
  locks: UnitLocks;
  work: Unit<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A conflict (serialization failure or deadlock) that aborted the batch's transaction: the batch runs again. */
class BatchConflict extends Error {
  constructor(override readonly cause: unknown) {
    super('conflict');
  }
}

/** A unit failed in a batch run without savepoints: the batch runs again with a savepoint per unit. */
class UnitFailed extends Error {}

// The two-key form of advisory locks: a key space of its own, apart from the migration lock.
export const orderLockClass = 0x6f726472; // 'ordr'

// Sorted by key and locked in that order by every batch of every gateway: two batches never wait
// for each other in a cycle on these locks. DISTINCT keeps the subquery from being flattened, so
// the locks are taken in the sorted order. Orders that do not exist yet are locked all the same.
const lockOrders = `
  SELECT pg_advisory_xact_lock(${orderLockClass}, k) FROM (
    SELECT DISTINCT hashtext(id) AS k FROM (
      SELECT unnest($1::text[]) UNION ALL SELECT order_id FROM messages WHERE id = ANY($2::bigint[]) AND order_id IS NOT NULL
    ) AS ids (id)
    ORDER BY k
  ) AS keys`;

/**
 * Group commit on PostgreSQL, as on SQLite: every unit submitted while the previous commit was in
 * flight runs in the next transaction, each unit in its own savepoint, so one failing unit rolls back
 * alone. One batch at a time on one connection; `synchronous_commit` is left on, so a unit settles
 * (and its caller acks the broker) only after PostgreSQL has made its commit durable.
 * A batch aborted by a serialization failure or a deadlock runs again from its start, up to
 * `maxAttempts` times: units are re-runnable, what they decided in the aborted run is discarded.
 */
export class PgGroupCommit {
  private pending: Job[] = [];
  private flushing = false;
  batches = 0;
  units = 0;
  /** Batches run again after a conflict. */
  retries = 0;
  /** Batches run again with a savepoint per unit, because a unit failed. */
  retriedBatches = 0;

  constructor(
    private readonly connect: () => Promise<PoolClient>,
    private readonly onCommitted: (changedOrders: ReadonlySet<string>) => void,
    private readonly onCommit?: (seconds: number, ok: boolean) => void,
    private readonly maxAttempts = 5,
  ) {}

  run<T>(locks: UnitLocks, work: Unit<T>): Promise<T> {
    const span = startChildSpan('ledger write', SpanKind.INTERNAL, { 'db.system': 'postgresql' });
    return new Promise<T>((resolve, reject) => {
      const settle =
        <A>(finish: (value: A) => void) =>
        (value: A) => {
          span?.end();
          finish(value);
        };
      this.pending.push({
        locks,
        work: work as Unit<unknown>,
        resolve: settle(resolve as (value: unknown) => void),
        reject: settle(reject),
      });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushAll());
      }
    });
  }

  /** Resolves once no batch is pending or in flight. */
  async idle(): Promise<void> {
    while (this.flushing) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private async flushAll(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await this.flush(batch);
    }
    this.flushing = false;
  }

  /**
   * Units seldom fail, so a batch first runs without a savepoint per unit (two statements more per
   * unit); when one fails, the transaction rolls back and the batch runs again with them, so the
   * failing unit rolls back alone. A unit is its statements: running it again is running it once.
   */
  private async flush(batch: Job[]): Promise<void> {
    const started = performance.now();
    let savepoints = false;
    for (let attempt = 1; ; attempt++) {
      const changed = new Set<string>();
      try {
        const settled = await this.transaction(batch, changed, savepoints);
        this.batches++;
        this.units += batch.length;
        this.onCommitted(changed);
        this.onCommit?.((performance.now() - started) / 1000, true);
        batch.forEach((job, i) => {
          const result = settled[i]!;
          if (result.ok) job.resolve(result.value);
          else job.reject(result.error);
        });
        return;
      } catch (error) {
        if (error instanceof UnitFailed && !savepoints) {
          savepoints = true;
          this.retriedBatches++;
          attempt--;
          continue;
        }
        if (error instanceof BatchConflict && attempt < this.maxAttempts) {
          this.retries++;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        // A commit that may or may not have happened: the callers do not ack, the broker
        // redelivers, and the ledger recognises what it already has.
        if (changed.size) this.onCommitted(changed);
        this.onCommit?.((performance.now() - started) / 1000, false);
        const cause = error instanceof BatchConflict ? error.cause : error;
        for (const job of batch) job.reject(new LedgerUnavailableError(cause));
        return;
      }
    }
  }

  private async transaction(batch: Job[], changed: Set<string>, savepoints: boolean): Promise<Settled[]> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      const begin = client.query('BEGIN');
      const orders = batch.flatMap((job) => job.locks.orders ?? []);
      const rows = batch.flatMap((job) => job.locks.messageRows ?? []);
      await Promise.all([begin, orders.length || rows.length ? client.query(lockOrders, [orders, rows]) : undefined]);
      const settled: Settled[] = [];
      const releases: Promise<unknown>[] = [];
      for (const job of batch)
        settled.push(
          await (savepoints
            ? this.runUnit(client, job.work, changed, releases)
            : this.runUnitStraight(client, job.work, changed)),
        );
      await Promise.all(releases);
      // In the transaction: the other gateways hear of these orders when, and only if, it commits.
      const notified = changed.size ? client.query(notifyChanges, [changePayloads(changed)]) : undefined;
      await Promise.all([notified, client.query('COMMIT')]);
      return settled;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailed: Error) => {
        broken = rollbackFailed;
      });
      if (isConflict(error)) throw new BatchConflict(error);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Runs one unit without a savepoint; its failure fails the batch's transaction (UnitFailed). */
  private async runUnitStraight(client: PoolClient, work: Unit<unknown>, changed: Set<string>): Promise<Settled> {
    const sent: Promise<unknown>[] = [];
    try {
      const value = await work(this.unitTx(client, sent, changed));
      await Promise.all(sent);
      return { ok: true, value };
    } catch (error) {
      const failures = (await Promise.allSettled(sent)).flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
      const fault = [...failures, error].find((e) => isConflict(e) || isStorageFault(e));
      throw fault ?? new UnitFailed();
    }
  }

  /** What a unit writes through: its statements sent on the batch's connection, the sent ones kept in `sent`. */
  private unitTx(client: PoolClient, sent: Promise<unknown>[], changed: Set<string>): Tx {
    return {
      query: (text, values) => client.query(queryConfig(text, values)),
      send: (text, values) => {
        sent.push(observed(client.query(queryConfig(text, values))));
      },
      orderChanged: (orderId) => changed.add(orderId),
    };
  }

  /**
   * Runs one unit in its savepoint. The savepoint's RELEASE goes out behind the unit, ahead of the
   * next unit's statements, and is awaited (in `releases`) before COMMIT: one round trip less per unit.
   */
  private async runUnit(
    client: PoolClient,
    work: Unit<unknown>,
    changed: Set<string>,
    releases: Promise<unknown>[],
  ): Promise<Settled> {
    const sent: Promise<unknown>[] = [observed(client.query('SAVEPOINT unit'))];
    try {
      const value = await work(this.unitTx(client, sent, changed));
      await Promise.all(sent);
      // Awaited before COMMIT.
      releases.push(observed(client.query('RELEASE unit')));
      return { ok: true, value };
    } catch (error) {
      // Every sent statement has settled before the savepoint is rolled back to.
      const failures = (await Promise.allSettled(sent)).flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
      const errors = [...failures, error];
      const fault = errors.find((e) => isConflict(e) || isStorageFault(e));
      if (fault) throw fault;
      await client.query('ROLLBACK TO unit');
      await client.query('RELEASE unit');
      // The first statement that failed says why; the ones after it only that the unit was aborted.
      return { ok: false, error: errors[0] };
    }
  }
}

/**
 * A statement sent ahead whose failure is read later (with the unit's others): until then the unit
 * awaits something else, and a rejection nobody listens to yet (PostgreSQL restarting kills every
 * statement in flight) would end the process. The promise itself still rejects for whoever awaits it.
 */
function observed<T>(statement: Promise<T>): Promise<T> {
  statement.catch(() => undefined);
  return statement;
}
