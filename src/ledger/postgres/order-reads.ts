import type { OrderQuery, OrderRecord, StatusHistoryEntry } from '../model.js';
import {
  type JournalRow,
  type MessageRow,
  type OrderRow,
  toLedgerStats,
  toOrderRecord,
  toStatusHistoryEntry,
  toTimeline,
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
    const order = (await this.ctx.rows<{ created_at: number }>(sql.orderCreatedAt, [orderId]))[0];
    if (!order) return [];
    const rows = await this.ctx.rows<{ at: number; detail: string }>(sql.statusHistory, [
      orderId,
      limit,
      order.created_at,
    ]);
    return rows.map(toStatusHistoryEntry);
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
    const [messageRows, journalRows] = await Promise.all([
      this.ctx.rows<MessageRow>(sql.timelineMessages, [orderId]),
      this.ctx.rows<JournalRow>(sql.timelineJournal, [orderId]),
    ]);
    return toTimeline(messageRows, journalRows);
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
