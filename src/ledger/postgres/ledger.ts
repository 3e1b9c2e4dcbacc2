import type pg from 'pg';
import type { Pool } from 'pg';
import type { NeedsActionRows } from '../decide-needs-action.js';
import type { ReportRows } from '../report-rows.js';
import type { OrderEventDeliveries } from '../webhook-store.js';
import type { LedgerPolicy, LedgerStore, OpsLedger } from '../store.js';
import { PgChangeFeed, type ChangeFeedTiming } from './change-feed.js';
import { PgContext } from './context.js';
import { PgGroupCommit } from './group-commit.js';
import { PgIntake } from './intake.js';
import { PgOpsRecords } from './ops-records.js';
import { PgOrderReads } from './order-reads.js';
import { PgPartitions } from './partitions.js';
import { PgPartnerOrders } from './partner-orders.js';
import { readNeedsActionRows, readReportRows } from './report.js';
import { PgRetentionPruner } from './retention.js';
import { PgWatchdogQueries } from './watchdog-queries.js';
import { PgWebhookStore } from './webhooks.js';

export interface PostgresLedgerParts {
  onCommit?: (seconds: number, ok: boolean) => void;
  orderEventDeliveries?: OrderEventDeliveries;
  /** A new connection to LISTEN for the other gateways' changes on; without it only this ledger's own are heard. */
  listenClient?: () => pg.Client;
  changeFeedTiming?: ChangeFeedTiming;
}

// As SqliteLedger: one object made of one part per port, each in its own module over a shared
// context (the pool and the group commit); the class merges their methods rather than forwarding each.
export interface PostgresLedger
  extends PublicOf<PgIntake>,
    PublicOf<PgPartnerOrders>,
    PublicOf<PgWatchdogQueries>,
    PublicOf<PgOrderReads>,
    PublicOf<PgOpsRecords> {}

/** A part's public methods (keyof leaves private members out). */
type PublicOf<T> = { [K in keyof T]: T[K] };

/** The acknowledgement ledger on PostgreSQL: every LedgerStore port, the webhook store and the pruner over one pool. */
export class PostgresLedger implements LedgerStore, OpsLedger {
  readonly commits: PgGroupCommit;
  /** Partner webhook deliveries, written in the ledger's own transactions. */
  readonly webhooks: PgWebhookStore;
  /** Drops days past the retention, keeping what is still needed; makes the days ahead. */
  readonly retention: PgRetentionPruner;
  /** The other gateways' changes, heard through LISTEN/NOTIFY (when given a listenClient). */
  readonly changeFeed: PgChangeFeed | undefined;
  private readonly orderChangeListeners = new Set<(orderId: string) => void>();
  private readonly missedListeners = new Set<() => void>();
  private readonly size = { bytes: 0, measuredAt: 0 };

  constructor(
    readonly pool: Pool,
    policy: LedgerPolicy,
    parts: PostgresLedgerParts = {},
  ) {
    // Told after each commit returns: a read that began before it and ends after it sees the listener's
    // mark and does not keep what it read (order-resources.ts); a read that begins after it sees the commit.
    this.commits = new PgGroupCommit(
      () => pool.connect(),
      (changed) => {
        for (const orderId of changed) this.tellChanged(orderId);
      },
      parts.onCommit,
    );
    this.changeFeed =
      parts.listenClient &&
      new PgChangeFeed(
        parts.listenClient,
        {
          changed: (orderId) => this.tellChanged(orderId),
          missed: () => {
            for (const listener of this.missedListeners) listener();
          },
        },
        parts.changeFeedTiming,
      );
    const context = new PgContext(pool, this.commits, policy, parts.orderEventDeliveries);
    this.webhooks = new PgWebhookStore(this.commits, (text, values) => context.rows(text, values));
    this.retention = new PgRetentionPruner(pool, this.commits, new PgPartitions(pool));
    for (const part of [
      new PgIntake(context),
      new PgPartnerOrders(context),
      new PgWatchdogQueries(context),
      new PgOrderReads(context),
      new PgOpsRecords(context),
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

  onOrderChanged(listener: (orderId: string) => void, missed?: () => void): () => void {
    this.orderChangeListeners.add(listener);
    if (missed) this.missedListeners.add(missed);
    return () => {
      this.orderChangeListeners.delete(listener);
      if (missed) this.missedListeners.delete(missed);
    };
  }

  /** Whether the other gateways' changes are heard now (the feed listens); without a feed, only this ledger's own exist. */
  changesFollowed(): boolean {
    return this.changeFeed ? this.changeFeed.live : true;
  }

  private tellChanged(orderId: string): void {
    for (const listener of this.orderChangeListeners) listener(orderId);
  }

  /** Throws unless PostgreSQL answers now and takes writes (not a read-only standby, not shutting down). */
  async checkWritable(): Promise<void> {
    const { rows } = await this.pool.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro");
    if (rows[0]?.ro !== 'off') throw new Error('PostgreSQL takes no writes (transaction_read_only is on)');
  }

  /**
   * The ledger's tables and their indexes, in bytes, as last measured: a scrape reads it at once and
   * starts a new measurement when the last is more than a minute old.
   */
  sizeBytes(): number {
    if (Date.now() - this.size.measuredAt > 60_000) {
      this.size.measuredAt = Date.now();
      this.measureSize().then(
        (bytes) => {
          this.size.bytes = bytes;
        },
        () => undefined,
      );
    }
    return this.size.bytes;
  }

  private async measureSize(): Promise<number> {
    const { rows } = await this.pool.query<{ bytes: number }>(
      `SELECT COALESCE(SUM(pg_total_relation_size(p.relid)), 0)::bigint AS bytes
       FROM unnest(ARRAY['orders', 'messages', 'message_keys', 'journal', 'idempotency_keys', 'webhook_deliveries',
         'webhook_endpoints_disabled']) AS t (name), pg_partition_tree(t.name::regclass) p
       WHERE p.isleaf`,
    );
    return rows[0]?.bytes ?? 0;
  }

  /** The reconciliation report's rows for a window; `between` runs between its queries (to pace a report beside the pipeline). */
  reportRows(from: number, to: number, unconfirmedBefore: number, between?: () => Promise<void>): Promise<ReportRows> {
    return readReportRows(this.pool, from, to, unconfirmedBefore, between);
  }

  /** What may make an order need a person in the window (src/ledger/decide-needs-action.ts decides). */
  needsActionRows(from: number, to: number): Promise<NeedsActionRows> {
    return readNeedsActionRows(this.pool, from, to);
  }

  async close(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await this.commits.idle();
    await this.changeFeed?.close();
    await this.pool.end();
  }
}
