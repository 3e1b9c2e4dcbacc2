import type { OrderStatus } from '../../mapping/index.js';
import type { OrderQuery, OrderRecord, StatusHistoryEntry } from '../model.js';
import type { MessageRow, OrderRow } from './statements.js';
import type { LedgerStats, TimelineEntry } from '../store.js';
import { toOrderRecord, type SqliteContext } from './context.js';

/** Reads of orders and their history: the partner API's resources, timelines and counts. */
export class SqliteOrderReads {
  constructor(private readonly ctx: SqliteContext) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return this.ctx.loadOrder(orderId);
  }

  async statusHistory(orderId: string, limit: number): Promise<StatusHistoryEntry[]> {
    return (this.ctx.sql.statusHistory.all(orderId, limit) as { at: number; detail: string }[]).map((row) => {
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
    const messages = (this.ctx.sql.timelineMessages.all(orderId) as MessageRow[]).map(
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
    const journal = (
      this.ctx.sql.timelineJournal.all(orderId) as { at: number; kind: string; detail: string | null }[]
    ).map(
      (j): TimelineEntry => ({
        at: j.at,
        kind: j.kind,
        ...(j.detail ? { detail: JSON.parse(j.detail) as Record<string, unknown> } : {}),
      }),
    );
    return [...messages, ...journal].sort((a, b) => a.at - b.at);
  }

  async stats(): Promise<LedgerStats> {
    const count = (rows: unknown[], key: string) =>
      Object.fromEntries((rows as Record<string, string | number>[]).map((r) => [r[key], Number(r.n)]));
    const messages = this.ctx.sql.messagesByState.all() as { channel: string; state: string; n: number }[];
    const attention = count(this.ctx.sql.attentionCounts.all(), 'attention');
    const pick = (channel: string) =>
      Object.fromEntries(messages.filter((m) => m.channel === channel).map((m) => [m.state, m.n]));
    const commands = pick('crm.command');
    return {
      ordersByStatus: count(this.ctx.sql.ordersByStatus.all(), 'status'),
      attention: { lost: attention.lost ?? 0, stuck: attention.stuck ?? 0 },
      commandsByState: commands,
      eventsByState: pick('mes.event'),
      invalid: messages.filter((m) => m.state === 'invalid').reduce((n, m) => n + m.n, 0),
      unpublished: messages.filter((m) => m.state === 'pending').reduce((n, m) => n + m.n, 0),
      openCommands: (commands.received ?? 0) + (commands.forwarded ?? 0) + (commands.redelivered ?? 0),
    };
  }
}
