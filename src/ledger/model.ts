import type { Acknowledgement, OrderState, OrderStatus } from '../mapping/index.js';
import type { StatusChange } from '../contracts/generated/external/status-change.js';

export type { StatusChange };

/** Where a ledger message row came from or goes to. */
export type MessageChannel = 'crm.command' | 'crm.fact' | 'mes.event' | 'mes.command' | 'order.event' | 'crm.request';

/** The lifecycle of a CRM command (and of the MES command forwarded for it). */
export type CommandState = 'received' | 'forwarded' | 'redelivered' | 'acknowledged' | 'rejected' | 'failed' | 'lost';
/** What became of an incoming event. */
export type EventState = 'applied' | 'acknowledged' | 'duplicate' | 'out_of_order' | 'forbidden' | 'quarantined';
/** Outgoing messages wait as pending until the broker confirms them. */
export type OutState = 'pending' | 'published';
export type MessageState = CommandState | EventState | OutState | 'invalid' | 'dead_lettered';

export type AttentionKind = 'lost' | 'stuck';

export interface Attention {
  kind: AttentionKind;
  since: number;
  reason: string;
}

/** The ledger's view of one order. */
export interface OrderRecord {
  orderId: string;
  partner: string;
  state: OrderState;
  /** Gateway clock (ms) when the order entered its status; deadlines count from here. */
  statusEnteredAt: number;
  stuckAt: number | null;
  attention: Attention | null;
  createdAt: number;
  updatedAt: number;
  version: number;
}

/** One entry of an order's status history, as the order resource shows it. */
export interface StatusHistoryEntry {
  status: OrderStatus;
  at: string;
  source: 'crm' | 'mes' | 'gateway';
  mesState?: string;
}

export interface OrderQuery {
  partner: string;
  status?: string;
  /** Gateway clock (ms): only orders changed at or after this. */
  updatedSince?: number;
  /** Keyset cursor: orders after this (updatedAt, orderId) in that order. */
  after?: { updatedAt: number; orderId: string };
  limit: number;
}

/** A forwarded command still waiting for the MES's business answer (or flagged lost). */
export interface OpenCommand {
  /** Row of the MES command (out). */
  rowId: number;
  /** Row of the CRM command (in) it was made from. */
  sourceRowId: number;
  /** The id the CRM gave its command: what acknowledgements name. */
  crmMessageId: string;
  /** The id on the forwarded MES command: what the MES echoes as correlation id. */
  mesMessageId: string;
  type: string;
  state: CommandState;
  attempts: number;
  /** When the MES command was first queued for forwarding (epoch ms). */
  queuedAt: number;
}

export interface JournalEntry {
  kind: string;
  detail?: Record<string, unknown>;
}

/** Changes to write for one order, decided by pure functions and carried out by a store. */
export interface OrderUpdate {
  state: OrderState;
  statusEnteredAt: number;
  stuckAt: number | null;
  attention: Attention | null;
}

export type { Acknowledgement, OrderStatus };

/** An inbound MES message as the ledger kept it. */
export interface KeptMesMessage {
  body: string;
  receivedAt: number;
}
