import type Database from 'better-sqlite3';
import type { GroupCommit } from './group-commit.js';
import type { JournalEntry, OrderRecord, OrderUpdate } from '../model.js';
import type { Statements } from './statements.js';
import { type NewMessage, newMessageValues, newOrderValues, type OrderRow, toOrderRecord, toOut } from '../rows.js';
import type { OrderEventDeliveries } from '../webhook-store.js';
import type { SqliteWebhookStore } from './webhooks.js';
import type { LedgerPolicy } from '../store.js';
import type { LedgerRows } from '../rows-port.js';
import { sqliteRows } from './rows-port.js';

/**
 * What every SQLite port shares: one connection with its statements and group commit, the policy,
 * and the row-level steps every write is made of (messages, orders, journal, queued order events).
 */
export class SqliteContext {
  private readonly orderChangeListeners = new Set<(orderId: string) => void>();

  constructor(
    readonly db: Database.Database,
    readonly sql: Statements,
    readonly commits: GroupCommit,
    readonly policy: LedgerPolicy,
    readonly webhooks: SqliteWebhookStore,
    readonly orderEventDeliveries?: OrderEventDeliveries,
  ) {
    this.rows = sqliteRows(this);
  }

  /** The rows port every plan of this connection runs against. */
  readonly rows: LedgerRows;

  onOrderChanged(listener: (orderId: string) => void): () => void {
    this.orderChangeListeners.add(listener);
    return () => this.orderChangeListeners.delete(listener);
  }

  /**
   * The new row's id, or undefined when (channel, message id) is already there. An MES command is not
   * looked for (migration 006): its id derives from its CRM command's, which is.
   */
  insertMessage(m: NewMessage, now: number): number | undefined {
    // updated_at: the same time again (better-sqlite3 binds no parameter twice).
    const { changes, lastInsertRowid } = this.sql.insertMessage.run(...newMessageValues(m, now), now);
    return changes === 1 ? Number(lastInsertRowid) : undefined;
  }

  loadOrder(orderId: string): OrderRecord | undefined {
    const row = this.sql.selectOrder.get(orderId) as OrderRow | undefined;
    return row && toOrderRecord(row);
  }

  insertOrder(input: { orderId: string; partner?: string; sentAt: string }, now: number): void {
    const values = newOrderValues(input, this.policy.deadlines.stuckAfterMs('received'), now);
    // created_at and updated_at: the same time again (better-sqlite3 binds no parameter twice).
    this.sql.insertOrder.run(...values, now, now);
    this.orderChanged(input.orderId);
  }

  updateOrder(order: OrderRecord, update: OrderUpdate, now: number): void {
    const result = this.sql.updateOrder.run({
      orderId: order.orderId,
      version: order.version,
      status: update.state.status,
      statusSince: update.state.statusSince,
      statusEnteredAt: update.statusEnteredAt,
      lastFactAt: JSON.stringify(update.state.lastFactAt),
      attention: update.attention?.kind ?? null,
      attentionSince: update.attention?.since ?? null,
      attentionReason: update.attention?.reason ?? null,
      stuckAt: update.stuckAt,
      now,
    });
    if (result.changes !== 1) throw new Error(`order ${order.orderId} changed concurrently (version ${order.version})`);
    this.orderChanged(order.orderId);
  }

  journal(now: number, orderId: string | null, messageRow: number | null, entry: JournalEntry): void {
    this.sql.journal.run(now, orderId, messageRow, entry.kind, entry.detail ? JSON.stringify(entry.detail) : null);
    if (orderId !== null) this.orderChanged(orderId);
  }

  /**
   * Group commits run synchronously inside one tick, so no read can slip between this call and the
   * commit; a unit rolled back afterwards only costs a listener a needless reload.
   */
  private orderChanged(orderId: string): void {
    for (const listener of this.orderChangeListeners) listener(orderId);
  }
}

export { toOrderRecord, toOut };
