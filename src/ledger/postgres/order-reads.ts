import type { OrderStatus } from '../../mapping/index.js';
import type { OrderQuery, OrderRecord, StatusHistoryEntry } from '../model.js';
import { type MessageRow, type OrderRow, toOrderRecord } from '../rows.js';
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
    return rows.map((row) => {
      const detail = JSON.parse(row.detail) as {
        to: OrderStatus;
        source: StatusHistoryEntry['source'];
        occurredAt?: string;
        mesState?: string;
      };
      return {
        status: detail.to,
        at: detail.occurredAt ?? new Date(row.at).toISOString(),
        source: detail.source,
        ...(detail.mesState ? { mesState: detail.mesState } : {}),
      };
    });
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
      this.ctx.rows<{ at: number; kind: string; detail: string | null }>(sql.timelineJournal, [orderId]),
    ]);
    const messages = messageRows.map(
      (m): TimelineEntry => ({
        at: m.created_at,
        kind: `${m.direction === 'in' ? 'received' : 'sent'} ${m.type}`,
        channel: m.channel,
        messageId: m.message_id,
        state: m.state,
        detail: { attempts: m.attempts, deliveries: m.deliveries, ...(m.reason ? { reason: m.reason } : {}) },
        ...(m.trace_id ? { traceId: m.trace_id } : {}),
      }),
    );
    const journal = journalRows.map(
      (j): TimelineEntry => ({
        at: j.at,
        kind: j.kind,
        ...(j.detail ? { detail: JSON.parse(j.detail) as Record<string, unknown> } : {}),
      }),
    );
    return [...messages, ...journal].sort((a, b) => a.at - b.at);
  }

  async stats(): Promise<LedgerStats> {
    const [messages, attentionRows, statusRows] = await Promise.all([
      this.ctx.rows<{ channel: string; state: string; n: number }>(sql.messagesByState),
      this.ctx.rows<{ attention: string; n: number }>(sql.attentionCounts),
      this.ctx.rows<{ status: string; n: number }>(sql.ordersByStatus),
    ]);
    const attention = Object.fromEntries(attentionRows.map((r) => [r.attention, r.n]));
    const pick = (channel: string) =>
      Object.fromEntries(messages.filter((m) => m.channel === channel).map((m) => [m.state, m.n]));
    const commands = pick('crm.command');
    return {
      ordersByStatus: Object.fromEntries(statusRows.map((r) => [r.status, r.n])),
      attention: { lost: attention.lost ?? 0, stuck: attention.stuck ?? 0 },
      commandsByState: commands,
      eventsByState: pick('mes.event'),
      invalid: messages.filter((m) => m.state === 'invalid').reduce((n, m) => n + m.n, 0),
      unpublished: messages.filter((m) => m.state === 'pending').reduce((n, m) => n + m.n, 0),
      openCommands: (commands.received ?? 0) + (commands.forwarded ?? 0) + (commands.redelivered ?? 0),
    };
  }
}
