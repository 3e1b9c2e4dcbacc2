import type { Pool, QueryResultRow } from 'pg';
import type { JournalEntry, OrderRecord, OrderUpdate } from '../model.js';
import {
  type MessageRow,
  type NewMessage,
  newMessageValues,
  newOrderValues,
  type OrderRow,
  toOrderRecord,
} from '../rows.js';
import type { OrderEventDeliveries } from '../webhook-store.js';
import type { LedgerPolicy } from '../store.js';
import type { PgGroupCommit, Tx } from './group-commit.js';
import { sql } from './statements.js';

/**
 * What every PostgreSQL port shares: the pool (reads) and the group commit (writes), the policy,
 * and the row-level steps every write is made of, each in the unit's transaction `tx`.
 */
export class PgContext {
  constructor(
    readonly pool: Pool,
    readonly commits: PgGroupCommit,
    readonly policy: LedgerPolicy,
    readonly orderEventDeliveries?: OrderEventDeliveries,
  ) {}

  /** Rows of a read outside any unit (it sees what is committed). */
  async rows<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  async insertMessage(tx: Tx, m: NewMessage, now: number): Promise<number | undefined> {
    const { rows } = await tx.query<{ id: number }>(sql.insertMessage, newMessageValues(m, now));
    return rows[0]?.id;
  }

  async findMessage(tx: Tx, channel: string, messageId: string): Promise<MessageRow> {
    const key = (await tx.query<{ id: number }>(sql.findMessageRow, [channel, messageId])).rows[0]!;
    return (await tx.query<MessageRow>(sql.messageById, [key.id])).rows[0]!;
  }

  setMessageState(tx: Tx, id: number, state: string, reason: string | null | undefined, now: number): void {
    tx.send(sql.setMessageState, [id, state, reason ?? null, now]);
  }

  async loadOrder(tx: Pick<Tx, 'query'>, orderId: string): Promise<OrderRecord | undefined> {
    const row = (await tx.query<OrderRow>(sql.selectOrder, [orderId])).rows[0];
    return row && toOrderRecord(row);
  }

  insertOrder(tx: Tx, input: { orderId: string; partner?: string; sentAt: string }, now: number): void {
    tx.send(sql.insertOrder, newOrderValues(input, this.policy.deadlines.stuckAfterMs('received'), now));
    tx.orderChanged(input.orderId);
  }

  async updateOrder(tx: Tx, order: OrderRecord, update: OrderUpdate, now: number): Promise<void> {
    const result = await tx.query(sql.updateOrder, [
      order.orderId,
      order.version,
      update.state.status,
      update.state.statusSince,
      update.statusEnteredAt,
      JSON.stringify(update.state.lastFactAt),
      update.attention?.kind ?? null,
      update.attention?.since ?? null,
      update.attention?.reason ?? null,
      update.stuckAt,
      now,
    ]);
    if (result.rowCount !== 1)
      throw new Error(`order ${order.orderId} changed concurrently (version ${order.version})`);
    tx.orderChanged(order.orderId);
  }

  journal(tx: Tx, now: number, orderId: string | null, messageRow: number | null, entry: JournalEntry): void {
    tx.send(sql.journal, [now, orderId, messageRow, entry.kind, entry.detail ? JSON.stringify(entry.detail) : null]);
    if (orderId !== null) tx.orderChanged(orderId);
  }
}
