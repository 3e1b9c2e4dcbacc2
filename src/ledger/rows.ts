// Ledger rows as both drivers read them (snake_case columns, times as epoch ms), and the records made of them.
import { initialOrderState, type OrderStatus } from '../mapping/index.js';
import type { OrderRecord, StatusHistoryEntry } from './model.js';
import type { LedgerStats, OutMessage, TimelineEntry } from './store.js';

/** A message row to insert (the ledger stamps its times). */
export interface NewMessage {
  direction: 'in' | 'out';
  channel: string;
  type: string;
  messageId: string;
  causeId?: number;
  orderId?: string;
  state: string;
  reason?: string;
  traceId?: string;
  routingKey?: string;
  payload?: string;
  attempts?: number;
}

/**
 * A new message's values in the order both drivers' insertMessage statements take them: direction,
 * channel, type, message_id, cause_id, order_id, state, attempts, reason, trace_id, routing_key,
 * payload, then the time it was written (created_at; updated_at starts the same).
 */
export function newMessageValues(m: NewMessage, now: number): unknown[] {
  return [
    m.direction,
    m.channel,
    m.type,
    m.messageId,
    m.causeId ?? null,
    m.orderId ?? null,
    m.state,
    m.attempts ?? 0,
    m.reason ?? null,
    m.traceId ?? null,
    m.routingKey ?? null,
    m.payload ?? null,
    now,
  ];
}

/**
 * A new order's values in the order both drivers' insertOrder statements take them: order_id,
 * partner, status, status_since, last_fact_at, stuck_at, received_at, then the time it was written
 * (status_entered_at, created_at and updated_at). Its status is "received", since the command's sentAt.
 */
export function newOrderValues(
  input: { orderId: string; partner?: string; sentAt: string },
  stuckAfterMs: number | undefined,
  now: number,
): unknown[] {
  const state = initialOrderState({ status: 'received', source: 'crm', occurredAt: input.sentAt });
  return [
    input.orderId,
    input.partner ?? 'unknown',
    state.status,
    state.statusSince,
    JSON.stringify(state.lastFactAt),
    stuckAfterMs === undefined ? null : now + stuckAfterMs,
    input.sentAt,
    now,
  ];
}

export interface MessageRow {
  id: number;
  direction: 'in' | 'out';
  channel: string;
  type: string;
  message_id: string;
  cause_id: number | null;
  order_id: string | null;
  state: string;
  attempts: number;
  deliveries: number;
  reason: string | null;
  trace_id: string | null;
  routing_key: string | null;
  payload: string | null;
  created_at: number;
  updated_at: number;
  due_at: number | null;
}

export interface OrderRow {
  order_id: string;
  partner: string;
  status: string;
  status_since: string;
  status_entered_at: number;
  last_fact_at: string;
  attention: 'lost' | 'stuck' | null;
  attention_since: number | null;
  attention_reason: string | null;
  stuck_at: number | null;
  created_at: number;
  updated_at: number;
  version: number;
  /** The sentAt of the command that created the order: its first status change (receivedJournalRow). */
  received_at: string | null;
}

export function toOut(row: MessageRow): OutMessage {
  return {
    rowId: row.id,
    channel: row.channel as OutMessage['channel'],
    messageId: row.message_id,
    routingKey: row.routing_key ?? '',
    payload: row.payload ?? '',
  };
}

export function toOrderRecord(row: OrderRow): OrderRecord {
  return {
    orderId: row.order_id,
    partner: row.partner,
    state: {
      status: row.status as OrderStatus,
      statusSince: row.status_since,
      lastFactAt: JSON.parse(row.last_fact_at) as OrderRecord['state']['lastFactAt'],
    },
    statusEnteredAt: row.status_entered_at,
    stuckAt: row.stuck_at,
    attention: row.attention
      ? { kind: row.attention, since: row.attention_since ?? row.updated_at, reason: row.attention_reason ?? '' }
      : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export interface JournalRow {
  at: number;
  kind: string;
  detail: string | null;
}

/** What an order row says of the order's creation. */
export type OrderCreation = Pick<OrderRow, 'created_at' | 'received_at'>;

/**
 * The order's first status change, "received" from the command or request that created it, as the
 * journal entry it was written as until the order row kept it instead (received_at: migrations
 * sqlite/007 and postgres/008). None for an order whose entry was pruned before that.
 */
function receivedJournalRow(order: OrderCreation): (JournalRow & { detail: string }) | undefined {
  if (order.received_at === null) return undefined;
  return {
    at: order.created_at,
    kind: 'status_changed',
    detail: JSON.stringify({ to: 'received', source: 'crm', occurredAt: order.received_at }),
  };
}

/** An order's journal entries with its first status change in front (receivedJournalRow). */
export function withReceived<R extends { detail: string | null }>(
  order: OrderCreation | undefined,
  journal: R[],
): (R | (JournalRow & { detail: string }))[] {
  const received = order && receivedJournalRow(order);
  return received ? [received, ...journal] : journal;
}

/** A status_changed journal entry as the order's status history tells it. */
export function toStatusHistoryEntry(row: { at: number; detail: string }): StatusHistoryEntry {
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
}

/** An order's messages and journal entries, one timeline in time order. */
export function toTimeline(messages: MessageRow[], journal: JournalRow[]): TimelineEntry[] {
  return [
    ...messages.map(
      (m): TimelineEntry => ({
        at: m.created_at,
        kind: `${m.direction === 'in' ? 'received' : 'sent'} ${m.type}`,
        channel: m.channel,
        messageId: m.message_id,
        state: m.state,
        detail: { attempts: m.attempts, deliveries: m.deliveries, ...(m.reason ? { reason: m.reason } : {}) },
        ...(m.trace_id ? { traceId: m.trace_id } : {}),
      }),
    ),
    ...journal.map(
      (j): TimelineEntry => ({
        at: j.at,
        kind: j.kind,
        ...(j.detail ? { detail: JSON.parse(j.detail) as Record<string, unknown> } : {}),
      }),
    ),
  ].sort((a, b) => a.at - b.at);
}

/** The ledger's counts, from messages by channel and state, orders by attention flag and by status. */
export function toLedgerStats(
  messages: { channel: string; state: string; n: number }[],
  attentionRows: { attention: string; n: number }[],
  statusRows: { status: string; n: number }[],
): LedgerStats {
  const attention = Object.fromEntries(attentionRows.map((r) => [r.attention, Number(r.n)]));
  const pick = (channel: string) =>
    Object.fromEntries(messages.filter((m) => m.channel === channel).map((m) => [m.state, Number(m.n)]));
  const total = (state: string) => messages.filter((m) => m.state === state).reduce((n, m) => n + Number(m.n), 0);
  const commands = pick('crm.command');
  return {
    ordersByStatus: Object.fromEntries(statusRows.map((r) => [r.status, Number(r.n)])),
    attention: { lost: attention.lost ?? 0, stuck: attention.stuck ?? 0 },
    commandsByState: commands,
    eventsByState: pick('mes.event'),
    invalid: total('invalid'),
    unpublished: total('pending'),
    openCommands: (commands.received ?? 0) + (commands.forwarded ?? 0) + (commands.redelivered ?? 0),
  };
}
