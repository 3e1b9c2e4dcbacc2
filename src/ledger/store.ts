import type { Acknowledgement, MesEventFields, OrderStatus, Quarantine, Translation } from '../mapping/index.js';
import type { AckPolicy } from './decide-watchdog.js';
import type { Deadlines } from './decide-status.js';
import type { KeptMesMessage, MessageChannel, OrderQuery, OrderRecord, StatusHistoryEntry } from './model.js';
import type { ReportRows } from './report-rows.js';
import type { NeedsActionRows } from './decide-needs-action.js';

/** A message the store decided must go out; the pipeline publishes it and then calls markPublished/markForwarded. */
export interface OutMessage {
  rowId: number;
  channel: Extract<MessageChannel, 'mes.command' | 'order.event' | 'crm.request'>;
  messageId: string;
  routingKey: string;
  payload: string;
}

export interface CommandInput {
  crmMessageId: string;
  type: 'order.create' | 'order.cancel' | 'order.update';
  orderId: string;
  /** Set for order.create. */
  partner?: string;
  sentAt: string;
  mes: { messageId: string; routingKey: string; payload: string };
  traceId?: string;
  /** The broker's redelivered flag: only a redelivery may finish work an earlier copy left unfinished. */
  redelivered?: boolean;
}

/** An MES command to forward, with the row of the CRM command it came from. */
export interface CommandOut extends OutMessage {
  commandRowId: number;
}

export type CommandResult =
  | { kind: 'forward'; out: CommandOut; redelivery: boolean }
  | { kind: 'already_forwarded' }
  | { kind: 'refused'; reason: string }
  | IdReused;

/** A message whose id an earlier, different message of the channel has: not a repeat, and not recorded. */
export interface IdReused {
  kind: 'id_reused';
  reason: string;
}

export interface MesEventInput {
  fields: MesEventFields;
  translation: Translation | Quarantine;
  type: string;
  /** The MES message as it arrived, kept with its (first) state change for what-if runs of a changed dialect. */
  body?: string;
  traceId?: string;
  redelivered?: boolean;
}

export interface CrmFactInput {
  messageId: string;
  type: string;
  orderId: string;
  status: OrderStatus;
  occurredAt: string;
  reason?: string;
  traceId?: string;
  redelivered?: boolean;
}

export type EventResult =
  | {
      kind: 'recorded';
      state: string;
      publish: OutMessage[];
      acknowledged?: { outcome: Acknowledgement; afterMs: number };
    }
  | { kind: 'duplicate'; publish: OutMessage[] }
  | { kind: 'refused'; reason: string };

export interface PartnerOrderInput {
  partner: string;
  idempotencyKey: string;
  /** SHA-256 of the request body: the same key with another body is a client error. */
  requestHash: string;
  orderId: string;
  /** The message for the CRM. */
  crm: { messageId: string; routingKey: string; payload: string };
}

export type PartnerOrderResult =
  | { kind: 'submitted'; out: OutMessage }
  | { kind: 'replay'; statusCode: number; response: string }
  /** Taken by a request not answered yet, since `since` (epoch ms): still running, or cut off by a crash. */
  | { kind: 'in_flight'; since: number }
  | { kind: 'key_reused' };

export interface InvalidInput {
  channel: MessageChannel;
  messageId: string;
  type?: string;
  orderId?: string;
  reason: string;
  payload?: string;
}

/** Ask the MES whether it knows the order; undefined when the lookup is off or failed. */
export type Evidence = (orderId: string) => Promise<boolean | undefined>;

export interface TimelineEntry {
  at: number;
  kind: string;
  channel?: string;
  messageId?: string;
  state?: string;
  detail?: Record<string, unknown>;
  traceId?: string;
}

export interface LedgerStats {
  ordersByStatus: Record<string, number>;
  attention: { lost: number; stuck: number };
  commandsByState: Record<string, number>;
  eventsByState: Record<string, number>;
  invalid: number;
  unpublished: number;
  openCommands: number;
}

export interface LedgerPolicy {
  ack: AckPolicy;
  deadlines: Deadlines;
  /** Whether the MES names the command it answers (the mapping has a correlationId path). */
  mesCorrelates: boolean;
}

/**
 * The acknowledgement ledger. Every method is one transaction; the SQLite store groups the
 * calls that arrive together into one commit. A PostgreSQL store implements the same interface.
 */
export interface LedgerStore {
  recordCommand(input: CommandInput, now: number): Promise<CommandResult>;
  markForwarded(out: CommandOut, now: number): Promise<void>;
  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult>;
  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult | IdReused>;
  recordInvalid(input: InvalidInput, now: number): Promise<void>;
  /** Idempotency check, the order (received) and the message for the CRM, in one transaction. */
  submitPartnerOrder(input: PartnerOrderInput, now: number): Promise<PartnerOrderResult>;
  /** Stores the response for replays of the key; undefined drops the key so the client may retry. */
  finishIdempotencyKey(
    partner: string,
    key: string,
    response: { statusCode: number; body: string } | undefined,
  ): Promise<void>;
  /** Out messages the broker confirmed; returns the order events held behind them, to publish next (in order). */
  markPublished(rowIds: number[], now: number): Promise<OutMessage[]>;

  overdueCommands(now: number, limit: number): Promise<{ rowId: number; orderId: string; attempts: number }[]>;
  resolveOverdueCommand(rowId: number, now: number, knownToMes: boolean | undefined): Promise<OutMessage[]>;
  /** Flags (at `now`) the orders whose status deadline passed by `dueBy` (the watchdog may judge as of an earlier time than now). */
  flagStuckOrders(now: number, limit: number, dueBy?: number): Promise<OutMessage[]>;
  /**
   * Out messages still pending since before `createdBefore`, for the caller to publish again. With
   * several gateways on one database each is handed to one of them, and not again before it is
   * as old as `now - createdBefore` once more.
   */
  unpublished(createdBefore: number, limit: number, now?: number): Promise<OutMessage[]>;

  getOrder(orderId: string): Promise<OrderRecord | undefined>;
  statusHistory(orderId: string, limit: number): Promise<StatusHistoryEntry[]>;
  /** Orders of one partner by (updatedAt, orderId): a keyset page, never an offset. */
  listOrders(query: OrderQuery): Promise<OrderRecord[]>;
  /** Throws unless the ledger can take a write lock now (readiness). */
  checkWritable(): Promise<void>;
  timeline(orderId: string): Promise<TimelineEntry[]>;
  stats(): Promise<LedgerStats>;
  /**
   * Calls the listener with the id of every order a write changes (its row or its journal), before
   * any later read can see the change; returns the function that removes the listener. With several
   * gateways on one database, other gateways' writes are heard too, a little later; `missed` is
   * called when some of those may have gone unheard (what a cache holds may then be stale).
   */
  onOrderChanged(listener: (orderId: string) => void, missed?: () => void): () => void;
  /**
   * Whether every change reaches the listeners now, other gateways' included. While it does not, a
   * cache must neither serve what it holds as fresh nor keep what it reads.
   */
  changesFollowed(): boolean;
  close(): Promise<void>;
}

/** Rows one pruning step removed, by table. */
export interface Pruned {
  messages: number;
  journal: number;
  orders: number;
  webhookDeliveries: number;
  idempotencyKeys: number;
}

/** Removes what is past the retention, in small steps between the pipeline's writes. */
export interface RetentionPort {
  pruneOlderThan(cutoff: number, batch?: number): Promise<Pruned>;
  /**
   * A ledger partitioned by time (PostgreSQL): makes the partitions of today and the next days;
   * `moved` counts rows that had been written while their day had no partition.
   */
  createPartitionsAhead?(now: number): Promise<{ created: string[]; moved: number }>;
}

/** What the ops tools (report, dead-letter replay) read and note in any ledger, beside the pipeline's ports. */
export interface OpsLedger {
  /** The reconciliation report's rows for a window; `between` runs between its queries (to pace a report beside the pipeline). */
  reportRows(from: number, to: number, unconfirmedBefore: number, between?: () => Promise<void>): Promise<ReportRows>;
  /** What may make an order need a person in [from, to): flags as they are now, the rest by when it happened. */
  needsActionRows(from: number, to: number): Promise<NeedsActionRows>;
  timeline(orderId: string): Promise<TimelineEntry[]>;
  /** The MES messages received in [from, to) as they arrived (ledger.keepMesEventBodies), oldest first, at most `limit`. */
  mesEventBodies(from: number, to: number, limit: number): Promise<KeptMesMessage[]>;
  /** Notes in the order's journal what the MES said when the report asked it. */
  recordReconciliation(orderId: string, detail: Record<string, unknown>, now: number): Promise<void>;
  /** The input channels on which the gateway dead-lettered a message known by one of these ids. */
  deadLetteredChannels(messageIds: string[]): Promise<MessageChannel[]>;
  /** Before a replay: frees a refused message's id (so the copy is handled afresh) and journals the replay. */
  releaseDeadLetter(
    channel: string,
    messageIds: string[],
    detail: { orderId?: string } & Record<string, unknown>,
    now: number,
  ): Promise<void>;
}
