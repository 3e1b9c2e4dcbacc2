import type { OrderQuery, OrderRecord, StatusHistoryEntry } from '../model.js';
import {
  type JournalRow,
  type MessageRow,
  type OrderCreation,
  type OrderRow,
  toLedgerStats,
  toStatusHistoryEntry,
  toTimeline,
  withReceived,
} from '../rows.js';
import type { LedgerStats, TimelineEntry } from '../store.js';
import { toOrderRecord, type SqliteContext } from './context.js';

/** Reads of orders and their history: the partner API's resources, timelines and counts. */
export class SqliteOrderReads {
  constructor(private readonly ctx: SqliteContext) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return this.ctx.loadOrder(orderId);
  }

  async statusHistory(orderId: string, limit: number): Promise<StatusHistoryEntry[]> {
    const changes = this.ctx.sql.statusHistory.all(orderId, limit) as { at: number; detail: string }[];
    return withReceived(this.orderCreation(orderId), changes).slice(0, limit).map(toStatusHistoryEntry);
  }

  async listOrders({ partner, status, updatedSince, after, limit }: OrderQuery): Promise<OrderRecord[]> {
    const rows = this.ctx.sql.listOrders.all({
      partner,
      status: status ?? null,
      updatedSince: updatedSince ?? 0,
      afterUpdatedAt: after?.updatedAt ?? -1,
      afterOrderId: after?.orderId ?? '',
      limit,
    }) as OrderRow[];
    return rows.map(toOrderRecord);
  }

  async timeline(orderId: string): Promise<TimelineEntry[]> {
    return toTimeline(
      this.ctx.sql.timelineMessages.all(orderId) as MessageRow[],
      withReceived(this.orderCreation(orderId), this.ctx.sql.timelineJournal.all(orderId) as JournalRow[]),
    );
  }

  private orderCreation(orderId: string): OrderCreation | undefined {
    return this.ctx.sql.orderCreation.get(orderId) as OrderCreation | undefined;
  }

  async stats(): Promise<LedgerStats> {
    return toLedgerStats(
      this.ctx.sql.messagesByState.all() as { channel: string; state: string; n: number }[],
      this.ctx.sql.attentionCounts.all() as { attention: string; n: number }[],
      this.ctx.sql.ordersByStatus.all() as { status: string; n: number }[],
    );
  }
}
