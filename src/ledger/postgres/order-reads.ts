import type { OrderQuery, OrderRecord, StatusHistoryEntry } from '../model.js';
import {
  type JournalRow,
  type MessageRow,
  type OrderCreation,
  type OrderRow,
  toLedgerStats,
  toOrderRecord,
  toStatusHistoryEntry,
  toTimeline,
  withReceived,
} from '../rows.js';
import type { LedgerStats, TimelineEntry } from '../store.js';
import type { PgContext } from './context.js';
import { sql } from './statements.js';

/** Reads of orders and their history: the partner API's resources, timelines and counts. */
export class PgOrderReads {
  constructor(private readonly ctx: PgContext) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return this.ctx.loadOrder(this.ctx.pool, orderId);
  }

  async statusHistory(orderId: string, limit: number): Promise<StatusHistoryEntry[]> {
    const order = await this.orderCreation(orderId);
    if (!order) return [];
    const changes = await this.ctx.rows<{ at: number; detail: string }>(sql.statusHistory, [
      orderId,
      limit,
      order.created_at,
    ]);
    return withReceived(order, changes).slice(0, limit).map(toStatusHistoryEntry);
  }

  async listOrders({ partner, status, updatedSince, after, limit }: OrderQuery): Promise<OrderRecord[]> {
    const rows = await this.ctx.rows<OrderRow>(sql.listOrders, [
      partner,
      status ?? null,
      updatedSince ?? 0,
      after?.updatedAt ?? -1,
      after?.orderId ?? '',
      limit,
    ]);
    return rows.map(toOrderRecord);
  }

  async timeline(orderId: string): Promise<TimelineEntry[]> {
    const [messageRows, journalRows, order] = await Promise.all([
      this.ctx.rows<MessageRow>(sql.timelineMessages, [orderId]),
      this.ctx.rows<JournalRow>(sql.timelineJournal, [orderId]),
      this.orderCreation(orderId),
    ]);
    return toTimeline(messageRows, withReceived(order, journalRows));
  }

  private async orderCreation(orderId: string): Promise<OrderCreation | undefined> {
    return (await this.ctx.rows<OrderCreation>(sql.orderCreation, [orderId]))[0];
  }

  async stats(): Promise<LedgerStats> {
    const [messages, attentionRows, statusRows] = await Promise.all([
      this.ctx.rows<{ channel: string; state: string; n: number }>(sql.messagesByState),
      this.ctx.rows<{ attention: string; n: number }>(sql.attentionCounts),
      this.ctx.rows<{ status: string; n: number }>(sql.ordersByStatus),
    ]);
    return toLedgerStats(messages, attentionRows, statusRows);
  }
}
