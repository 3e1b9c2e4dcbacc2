// Ledger rows as both drivers read them (snake_case columns, times as epoch ms), and the records made of them.
import type { OrderStatus } from '../mapping/index.js';
import type { OrderRecord } from './model.js';
import type { OutMessage } from './store.js';

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
