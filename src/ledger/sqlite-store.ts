import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { initialOrderState, type OrderStatus } from '../mapping/index.js';
import { decideCommandIntake, decideFactIntake, decideMesEventIntake } from './decide-intake.js';
import { decideMesEvent } from './decide-mes-event.js';
import { decideStatusFact } from './decide-status.js';
import { ackDueAt, decideOverdueCommand, decideStuck } from './decide-watchdog.js';
import { GroupCommit, type Durability } from './group-commit.js';
import { migrateSqlite } from './migrate-sqlite.js';
import type { JournalEntry, MessageChannel, OpenCommand, OrderQuery, OrderRecord, OrderUpdate, StatusChange, StatusHistoryEntry } from './model.js';
import { routingKeyFor, toOrderEvent } from './order-event.js';
import type { OrderEvent } from '../contracts/generated/external/order-event.js';
import { prepareStatements, type MessageRow, type OrderRow, type Statements } from './sqlite-statements.js';
import { RetentionPruner } from './sqlite-retention.js';
import { SqliteWebhookStore, type NewDelivery } from './sqlite-webhooks.js';
import type {
  CommandInput, CommandResult, CrmFactInput, EventResult, InvalidInput, LedgerPolicy, LedgerStats, LedgerStore,
  MesEventInput, OutMessage, PartnerOrderInput, PartnerOrderResult, TimelineEntry,
} from './store.js';

export interface SqliteLedgerOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  policy: LedgerPolicy;
  /**
   * Open only a ledger that is already there, never create one: for the ops commands, where a
   * mistyped path must be an error naming it, not a new empty ledger whose report looks like a quiet day.
   */
  mustExist?: boolean;
  /** Told how long each group commit took, and whether it failed (metrics). */
  onCommit?: (seconds: number, ok: boolean) => void;
  /** What each order event must also be delivered as (partner webhooks): queued in the same transaction. */
  orderEventDeliveries?: OrderEventDeliveries;
}

/** The deliveries an order event makes (partner webhooks); none when no partner subscribed. */
export type OrderEventDeliveries = (partner: string, event: OrderEvent) => NewDelivery[];

/** The path given for the ledger holds none: nothing there, or a file that is not an Orderbridge ledger. */
export class LedgerNotFoundError extends Error {
  constructor(readonly path: string, readonly found: 'nothing' | 'not_a_ledger') {
    super(`${found === 'nothing' ? `no ledger at ${path}` : `${path} is not an Orderbridge ledger`}: check the path (ORDERBRIDGE_LEDGER_PATH, or ledger.path in gateway.yaml of --config); the gateway creates its ledger when it first starts (orderbridge serve)`);
    this.name = 'LedgerNotFoundError';
  }
}

export function openSqliteLedger({ path, synchronous, policy, mustExist = false, onCommit, orderEventDeliveries }: SqliteLedgerOptions): SqliteLedger {
  if (path !== ':memory:' && !mustExist) mkdirSync(dirname(path), { recursive: true });
  const db = mustExist ? openExistingLedger(path, false) : new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a commit the gateway relied on (before acking the broker) survives power loss. SQLite's own
  // FULL fsyncs the WAL inside COMMIT, on the event loop; instead SQLite runs NORMAL (it still syncs
  // around checkpoints) and the group commit fsyncs the WAL from the thread pool before any unit
  // settles (walFsync below), so the guarantee holds and the loop keeps working meanwhile.
  db.pragma('synchronous = NORMAL');
  // Each group-commit unit runs in a savepoint whose journal outgrows SQLite's in-memory default and
  // spilled to a temp file on every unit (bench/RESULTS.md); crash recovery uses the WAL, not this.
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -65536');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateSqlite(db);
  const wal = synchronous === 'FULL' && path !== ':memory:' ? walFsync(`${path}-wal`) : undefined;
  return new SqliteLedger(db, policy, { ...(wal ? { wal } : {}), ...(onCommit ? { onCommit } : {}), ...(orderEventDeliveries ? { orderEventDeliveries } : {}) });
}

/** fsync of the WAL file through its own read-only handle: fsync covers the file, whoever wrote it. */
function walFsync(walPath: string): { sync: Durability; close: () => Promise<void> } {
  let handle: Promise<FileHandle> | undefined;
  return {
    sync: async () => {
      handle ??= open(walPath, 'r');
      await (await handle).sync();
    },
    close: async () => {
      if (handle) await (await handle).close().catch(() => undefined);
    },
  };
}

/**
 * The ledger of a running (or stopped) gateway, opened read-only for the ops commands (timeline,
 * report): WAL lets it read while the gateway writes, and nothing here can change it.
 */
export function openSqliteLedgerReader(path: string, policy: LedgerPolicy): SqliteLedger {
  const db = openExistingLedger(path, true);
  db.pragma('busy_timeout = 5000');
  return new SqliteLedger(db, policy);
}

/** Opens the ledger at `path` if there is one; throws LedgerNotFoundError naming the path otherwise. */
function openExistingLedger(path: string, readonly: boolean): Database.Database {
  // better-sqlite3 says only "directory does not exist" or "unable to open database file".
  if (path !== ':memory:' && !statSync(path, { throwIfNoEntry: false })?.isFile()) throw new LedgerNotFoundError(path, 'nothing');
  const db = new Database(path, { readonly, fileMustExist: true });
  try {
    const migrations = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
    if (migrations === undefined) throw new LedgerNotFoundError(path, 'not_a_ledger');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') throw new LedgerNotFoundError(path, 'not_a_ledger');
    throw error;
  }
  return db;
}

export class SqliteLedger implements LedgerStore {
  private readonly sql: Statements;
  readonly commits: GroupCommit;
  /** Partner webhook deliveries, written in the ledger's own transactions. */
  readonly webhooks: SqliteWebhookStore;
  /** Removes rows past the retention, between the pipeline's units. */
  readonly retention: RetentionPruner;
  private readonly wal?: { sync: Durability; close: () => Promise<void> };
  private readonly orderEventDeliveries?: OrderEventDeliveries;
  private readonly orderChangeListeners = new Set<(orderId: string) => void>();

  constructor(readonly db: Database.Database, private readonly policy: LedgerPolicy, options: Pick<SqliteLedgerOptions, 'onCommit' | 'orderEventDeliveries'> & { wal?: { sync: Durability; close: () => Promise<void> } } = {}) {
    this.sql = prepareStatements(db);
    this.wal = options.wal;
    this.orderEventDeliveries = options.orderEventDeliveries;
    this.commits = new GroupCommit(db, options.wal?.sync, options.onCommit);
    this.webhooks = new SqliteWebhookStore(db, this.commits);
    this.retention = new RetentionPruner(db, this.commits);
  }

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.commits.run(() => this.recordCommandNow(input, now));
  }

  private recordCommandNow(input: CommandInput, now: number): CommandResult {
    const inserted = this.insertMessage({ direction: 'in', channel: 'crm.command', type: input.type, messageId: input.crmMessageId, orderId: input.orderId, state: 'received', traceId: input.traceId }, now);
    if (inserted === undefined) return this.repeatedCommand(input, now);

    const order = this.loadOrder(input.orderId);
    const creates = order && input.type === 'order.create' ? (this.sql.createsOfOrder.pluck().get(input.orderId) as number) : 0;
    const intake = decideCommandIntake(input, order, creates);
    if (intake.kind === 'refused') {
      this.sql.setMessageState.run({ id: inserted, state: 'dead_lettered', reason: intake.reason, orderId: null, now });
      return intake;
    }
    if (intake.kind === 'create_order') this.insertOrder(input, now);
    const outId = this.insertMessage({ direction: 'out', channel: 'mes.command', type: input.type, messageId: input.mes.messageId, causeId: inserted, orderId: input.orderId, state: 'pending', routingKey: input.mes.routingKey, payload: input.mes.payload, traceId: input.traceId }, now);
    if (outId === undefined) throw new Error(`MES message id ${input.mes.messageId} already used by another command`);
    return { kind: 'forward', redelivery: false, out: { rowId: outId, channel: 'mes.command', messageId: input.mes.messageId, routingKey: input.mes.routingKey, payload: input.mes.payload } };
  }

  /**
   * The same CRM command again. A broker redelivery finishes what the earlier delivery left
   * unfinished (a crash before the confirm); a second copy sent by the CRM changes nothing, since
   * its first copy is either done or will itself be redelivered.
   */
  private repeatedCommand({ crmMessageId, redelivered }: CommandInput, now: number): CommandResult {
    const row = this.sql.findMessage.get('crm.command', crmMessageId) as MessageRow;
    this.sql.countDelivery.run(now, row.id);
    this.journal(now, row.order_id, row.id, { kind: 'duplicate_delivery', detail: { messageId: crmMessageId, state: row.state, redelivered: redelivered ?? false } });
    if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
    if (row.state !== 'received' || !redelivered) return { kind: 'already_forwarded' };
    const out = this.sql.outOfCommand.get(row.id) as MessageRow;
    return { kind: 'forward', redelivery: true, out: toOut(out) };
  }

  markForwarded(out: OutMessage, now: number): Promise<void> {
    return this.commits.run(() => {
      const row = this.sql.messageById.get(out.rowId) as MessageRow;
      this.sql.markCommandForwarded.run({ id: row.cause_id, now });
      this.sql.markOutForwarded.run({ id: row.id, causeId: row.cause_id, now, dueAt: ackDueAt(now, 1, this.policy.ack) });
    });
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.commits.run(() => this.recordMesEventNow(input, now));
  }

  private recordMesEventNow({ fields, translation, type, traceId, redelivered }: MesEventInput, now: number): EventResult {
    const rowId = this.insertMessage({ direction: 'in', channel: 'mes.event', type, messageId: fields.eventId, orderId: fields.orderId, state: 'received', traceId }, now);
    if (rowId === undefined) return this.repeatedEvent('mes.event', fields.eventId, redelivered, now);
    const intake = decideMesEventIntake(translation, this.loadOrder(fields.orderId));
    if (intake.kind === 'quarantined') {
      this.sql.setMessageState.run({ id: rowId, state: 'quarantined', reason: intake.reason, orderId: null, now });
      this.journal(now, fields.orderId, rowId, intake.journal);
      return { kind: 'recorded', state: 'quarantined', publish: [] };
    }
    const { order } = intake;
    const open = this.sql.openCommands.all(order.orderId) as OpenCommand[];
    const decision = decideMesEvent(order, open, intake.translation, now, this.policy);
    this.sql.setMessageState.run({ id: rowId, state: decision.eventState, reason: decision.reason ?? null, orderId: null, now });
    if (decision.acknowledged) {
      const { command, outcome } = decision.acknowledged;
      this.sql.closeCommand.run({ id: command.sourceRowId, state: outcome === 'accepted' ? 'acknowledged' : outcome, reason: decision.acknowledged.reason, now });
      this.sql.clearDue.run(now, command.rowId);
    }
    if (decision.order) this.updateOrder(order, decision.order, now);
    for (const entry of decision.journal) this.journal(now, order.orderId, rowId, entry);
    const publish = this.queueChanges(decision.changes, rowId, `mes:${fields.eventId}`, now);
    const acknowledged = decision.acknowledged && { outcome: decision.acknowledged.outcome, afterMs: now - decision.acknowledged.command.queuedAt };
    return { kind: 'recorded', state: decision.eventState, publish, ...(acknowledged ? { acknowledged } : {}) };
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult> {
    return this.commits.run(() => {
      const rowId = this.insertMessage({ direction: 'in', channel: 'crm.fact', type: input.type, messageId: input.messageId, orderId: input.orderId, state: 'received', traceId: input.traceId }, now);
      if (rowId === undefined) return this.repeatedEvent('crm.fact', input.messageId, input.redelivered, now);
      const intake = decideFactIntake(input.orderId, this.loadOrder(input.orderId));
      if (intake.kind === 'refused') {
        this.sql.setMessageState.run({ id: rowId, state: 'dead_lettered', reason: intake.reason, orderId: null, now });
        return intake;
      }
      const { order } = intake;
      const decision = decideStatusFact(order, order.attention, { status: input.status, source: 'crm', occurredAt: input.occurredAt }, now, this.policy.deadlines);
      this.sql.setMessageState.run({ id: rowId, state: decision.eventState, reason: decision.reason ?? null, orderId: null, now });
      this.updateOrder(order, decision.order, now);
      for (const entry of decision.journal) this.journal(now, order.orderId, rowId, entry);
      return { kind: 'recorded', state: decision.eventState, publish: this.queueChanges(decision.changes, rowId, `crm:${input.messageId}`, now) };
    });
  }

  /**
   * A repeated event changes nothing. A broker redelivery also sends again what the earlier
   * delivery caused and never saw confirmed; a duplicate copy leaves that to its first copy.
   */
  private repeatedEvent(channel: 'mes.event' | 'crm.fact', messageId: string, redelivered: boolean | undefined, now: number): EventResult {
    const row = this.sql.findMessage.get(channel, messageId) as MessageRow;
    this.sql.countDelivery.run(now, row.id);
    this.journal(now, row.order_id, row.id, { kind: 'duplicate_delivery', detail: { messageId, redelivered: redelivered ?? false } });
    if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
    return { kind: 'duplicate', publish: redelivered ? (this.sql.unpublishedCausedBy.all(row.id) as MessageRow[]).map(toOut) : [] };
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.commits.run(() => {
      const rowId = this.insertMessage({ direction: 'in', channel: input.channel, type: input.type ?? 'unknown', messageId: input.messageId, orderId: input.orderId, state: 'invalid', reason: input.reason, payload: input.payload }, now);
      if (rowId === undefined) {
        const row = this.sql.findMessage.get(input.channel, input.messageId) as MessageRow;
        this.sql.countDelivery.run(now, row.id);
      }
    });
  }

  submitPartnerOrder(input: PartnerOrderInput, now: number): Promise<PartnerOrderResult> {
    return this.commits.run(() => {
      const existing = this.sql.findIdempotencyKey.get(input.partner, input.idempotencyKey) as { request_hash: string; state: string; status_code: number; response: string; created_at: number } | undefined;
      if (existing) {
        if (existing.request_hash !== input.requestHash) return { kind: 'key_reused' };
        return existing.state === 'done' ? { kind: 'replay', statusCode: existing.status_code, response: existing.response } : { kind: 'in_flight', since: existing.created_at };
      }
      this.sql.insertIdempotencyKey.run(input.partner, input.idempotencyKey, input.requestHash, now);
      this.insertOrder({ orderId: input.orderId, partner: input.partner, sentAt: new Date(now).toISOString() }, now);
      const rowId = this.insertMessage({ direction: 'out', channel: 'crm.request', type: 'partner.order.requested', messageId: input.crm.messageId, orderId: input.orderId, state: 'pending', routingKey: input.crm.routingKey, payload: input.crm.payload }, now);
      if (rowId === undefined) throw new Error(`message ${input.crm.messageId} already recorded`);
      return { kind: 'submitted', out: { rowId, channel: 'crm.request', messageId: input.crm.messageId, routingKey: input.crm.routingKey, payload: input.crm.payload } };
    });
  }

  finishIdempotencyKey(partner: string, key: string, response: { statusCode: number; body: string } | undefined): Promise<void> {
    return this.commits.run(() => {
      if (response) this.sql.finishIdempotencyKey.run(response.statusCode, response.body, partner, key);
      else this.sql.dropIdempotencyKey.run(partner, key);
    });
  }

  markPublished(rowIds: number[], now: number): Promise<void> {
    return this.commits.run(() => {
      for (const id of rowIds) this.sql.markPublished.run(now, id);
    });
  }

  async overdueCommands(now: number, limit: number) {
    return this.sql.overdue.all(now, limit) as { rowId: number; orderId: string; attempts: number }[];
  }

  resolveOverdueCommand(rowId: number, now: number, knownToMes: boolean | undefined): Promise<OutMessage[]> {
    return this.commits.run(() => {
      const command = this.sql.openCommandByRow.get(rowId) as (OpenCommand & { dueAt: number | null; orderId: string; routingKey: string; payload: string }) | undefined;
      // Answered (or resolved by another replica) since it was listed: nothing to do.
      if (!command || command.dueAt === null || command.dueAt > now) return [];
      const order = this.loadOrder(command.orderId)!;
      const decision = decideOverdueCommand(command, order, now, this.policy.ack, knownToMes);
      if (decision.kind === 'accepted_by_evidence') {
        this.sql.closeCommand.run({ id: command.sourceRowId, state: 'acknowledged', reason: decision.reason, now });
        this.sql.clearDue.run(now, command.rowId);
        for (const entry of decision.journal) this.journal(now, order.orderId, command.rowId, entry);
        return this.queueChanges(decision.changes, command.rowId, `evidence:${command.mesMessageId}`, now);
      }
      if (decision.kind === 'reforward') {
        this.sql.reforward.run({ id: command.rowId, dueAt: decision.dueAt, now });
        this.sql.closeCommand.run({ id: command.sourceRowId, state: 'redelivered', reason: null, now });
        this.journal(now, order.orderId, command.rowId, decision.journal);
        return [{ rowId: command.rowId, channel: 'mes.command', messageId: command.mesMessageId, routingKey: command.routingKey, payload: command.payload }];
      }
      this.sql.closeCommand.run({ id: command.sourceRowId, state: 'lost', reason: decision.attention.reason, now });
      this.sql.clearDue.run(now, command.rowId);
      this.updateOrder(order, { state: order.state, statusEnteredAt: order.statusEnteredAt, stuckAt: order.stuckAt, attention: decision.attention }, now);
      for (const entry of decision.journal) this.journal(now, order.orderId, command.rowId, entry);
      return this.queueChanges(decision.changes, command.rowId, `lost:${command.mesMessageId}`, now);
    });
  }

  async flagStuckOrders(now: number, limit: number): Promise<OutMessage[]> {
    // Every watchdog tick asks; a write unit (and, with synchronous FULL, its fsync) only when one is due.
    if (this.sql.stuckOrders.get(now, 1) === undefined) return [];
    return this.commits.run(() =>
      (this.sql.stuckOrders.all(now, limit) as OrderRow[]).flatMap((row) => {
        const order = toOrderRecord(row);
        const decision = decideStuck(order, now);
        this.updateOrder(order, { state: order.state, statusEnteredAt: order.statusEnteredAt, stuckAt: order.stuckAt, attention: decision.attention }, now);
        this.journal(now, order.orderId, null, decision.journal);
        return this.queueChanges([decision.change], null, `stuck:${order.orderId}:${order.statusEnteredAt}`, now);
      }),
    );
  }

  async unpublished(createdBefore: number, limit: number): Promise<OutMessage[]> {
    return (this.sql.unpublished.all(createdBefore, limit) as MessageRow[]).map(toOut);
  }

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    return this.loadOrder(orderId);
  }

  async statusHistory(orderId: string, limit: number): Promise<StatusHistoryEntry[]> {
    return (this.sql.statusHistory.all(orderId, limit) as { at: number; detail: string }[]).map((row) => {
      const detail = JSON.parse(row.detail) as { to: OrderStatus; source: StatusHistoryEntry['source']; occurredAt?: string; mesState?: string };
      return { status: detail.to, at: detail.occurredAt ?? new Date(row.at).toISOString(), source: detail.source, ...(detail.mesState ? { mesState: detail.mesState } : {}) };
    });
  }

  async listOrders({ partner, status, updatedSince, after, limit }: OrderQuery): Promise<OrderRecord[]> {
    const rows = this.sql.listOrders.all({
      partner, status: status ?? null, updatedSince: updatedSince ?? 0,
      afterUpdatedAt: after?.updatedAt ?? -1, afterOrderId: after?.orderId ?? '', limit,
    }) as OrderRow[];
    return rows.map(toOrderRecord);
  }

  async checkWritable(): Promise<void> {
    // Between group commits no transaction is open, so this only waits for other processes.
    this.db.exec('BEGIN IMMEDIATE');
    this.db.exec('ROLLBACK');
  }

  async timeline(orderId: string): Promise<TimelineEntry[]> {
    const messages = (this.sql.timelineMessages.all(orderId) as MessageRow[]).map((m): TimelineEntry => ({
      at: m.created_at, kind: `${m.direction === 'in' ? 'received' : 'sent'} ${m.type}`, channel: m.channel, messageId: m.message_id, state: m.state,
      detail: { attempts: m.attempts, deliveries: m.deliveries, ...(m.reason ? { reason: m.reason } : {}) }, ...(m.trace_id ? { traceId: m.trace_id } : {}),
    }));
    const journal = (this.sql.timelineJournal.all(orderId) as { at: number; kind: string; detail: string | null }[]).map((j): TimelineEntry => ({
      at: j.at, kind: j.kind, ...(j.detail ? { detail: JSON.parse(j.detail) as Record<string, unknown> } : {}),
    }));
    return [...messages, ...journal].sort((a, b) => a.at - b.at);
  }

  async stats(): Promise<LedgerStats> {
    const count = (rows: unknown[], key: string) => Object.fromEntries((rows as Record<string, string | number>[]).map((r) => [r[key], Number(r.n)]));
    const messages = this.sql.messagesByState.all() as { channel: string; state: string; n: number }[];
    const attention = count(this.sql.attentionCounts.all(), 'attention');
    const pick = (channel: string) => Object.fromEntries(messages.filter((m) => m.channel === channel).map((m) => [m.state, m.n]));
    const commands = pick('crm.command');
    return {
      ordersByStatus: count(this.sql.ordersByStatus.all(), 'status'),
      attention: { lost: attention.lost ?? 0, stuck: attention.stuck ?? 0 },
      commandsByState: commands,
      eventsByState: pick('mes.event'),
      invalid: messages.filter((m) => m.state === 'invalid').reduce((n, m) => n + m.n, 0),
      unpublished: messages.filter((m) => m.state === 'pending').reduce((n, m) => n + m.n, 0),
      openCommands: (commands.received ?? 0) + (commands.forwarded ?? 0) + (commands.redelivered ?? 0),
    };
  }

  /**
   * Before a dead letter is replayed: a message refused earlier gives up its id (renamed, kept for the
   * record), so the replayed copy is handled afresh instead of as a duplicate; the replay is journalled.
   */
  /** The input channels on which the gateway dead-lettered a message known by one of these ids. */
  async deadLetteredChannels(messageIds: string[]): Promise<MessageChannel[]> {
    return this.sql.deadLetteredChannels.pluck().all({ ids: JSON.stringify(messageIds) }) as MessageChannel[];
  }

  releaseDeadLetter(channel: string, messageIds: string[], detail: { orderId?: string } & Record<string, unknown>, now: number): Promise<void> {
    return this.commits.run(() => {
      for (const messageId of messageIds) this.sql.releaseRefused.run({ channel, messageId });
      this.journal(now, detail.orderId ?? null, null, { kind: 'replayed', detail });
    });
  }

  /** Notes in the order's journal what the MES said when the reconciliation report asked it. */
  recordReconciliation(orderId: string, detail: Record<string, unknown>, now: number): Promise<void> {
    return this.commits.run(() => this.journal(now, orderId, null, { kind: 'reconciled', detail }));
  }

  /** The database file and its write-ahead log, in bytes. */
  sizeBytes(): number {
    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
    return this.db.memory ? 0 : size(this.db.name) + size(`${this.db.name}-wal`);
  }

  onOrderChanged(listener: (orderId: string) => void): () => void {
    this.orderChangeListeners.add(listener);
    return () => this.orderChangeListeners.delete(listener);
  }

  async close(): Promise<void> {
    // Let a scheduled group commit run, and its fsync finish, before the handles go.
    await new Promise((resolve) => setImmediate(resolve));
    await this.commits.idle().catch(() => undefined);
    await this.wal?.close();
    this.db.close();
  }

  private insertMessage(m: { direction: 'in' | 'out'; channel: string; type: string; messageId: string; causeId?: number; orderId?: string; state: string; reason?: string; traceId?: string; routingKey?: string; payload?: string; attempts?: number }, now: number): number | undefined {
    const row = this.sql.insertMessage.get({
      direction: m.direction, channel: m.channel, type: m.type, messageId: m.messageId, causeId: m.causeId ?? null, orderId: m.orderId ?? null,
      state: m.state, attempts: m.attempts ?? 0, reason: m.reason ?? null, traceId: m.traceId ?? null, routingKey: m.routingKey ?? null,
      payload: m.payload ?? null, now, dueAt: null,
    }) as { id: number } | undefined;
    return row?.id;
  }

  private loadOrder(orderId: string): OrderRecord | undefined {
    const row = this.sql.selectOrder.get(orderId) as OrderRow | undefined;
    return row && toOrderRecord(row);
  }

  private insertOrder(input: { orderId: string; partner?: string; sentAt: string }, now: number): void {
    const state = initialOrderState({ status: 'received', source: 'crm', occurredAt: input.sentAt });
    const stuckAfter = this.policy.deadlines.stuckAfterMs('received');
    this.sql.insertOrder.run({
      orderId: input.orderId, partner: input.partner ?? 'unknown', status: state.status, statusSince: state.statusSince,
      lastFactAt: JSON.stringify(state.lastFactAt), stuckAt: stuckAfter === undefined ? null : now + stuckAfter, now,
    });
    this.orderChanged(input.orderId);
    this.journal(now, input.orderId, null, { kind: 'status_changed', detail: { to: 'received', source: 'crm', occurredAt: input.sentAt } });
  }

  private updateOrder(order: OrderRecord, update: OrderUpdate, now: number): void {
    const result = this.sql.updateOrder.run({
      orderId: order.orderId, version: order.version, status: update.state.status, statusSince: update.state.statusSince,
      statusEnteredAt: update.statusEnteredAt, lastFactAt: JSON.stringify(update.state.lastFactAt),
      attention: update.attention?.kind ?? null, attentionSince: update.attention?.since ?? null, attentionReason: update.attention?.reason ?? null,
      stuckAt: update.stuckAt, now,
    });
    if (result.changes !== 1) throw new Error(`order ${order.orderId} changed concurrently (version ${order.version})`);
    this.orderChanged(order.orderId);
  }

  /** Records each change as a pending order event; the caller publishes them and marks them published. */
  private queueChanges(changes: StatusChange[], causeId: number | null, idPrefix: string, now: number): OutMessage[] {
    return changes.map((change, i) => {
      const messageId = `${idPrefix}:${i}`;
      const routingKey = routingKeyFor(change);
      const event = toOrderEvent(change, messageId, now);
      const payload = JSON.stringify(event);
      const rowId = this.insertMessage({ direction: 'out', channel: 'order.event', type: change.kind, messageId, causeId: causeId ?? undefined, orderId: change.orderId, state: 'pending', routingKey, payload }, now);
      if (rowId === undefined) return toOut(this.sql.findMessage.get('order.event', messageId) as MessageRow);
      const deliveries = this.orderEventDeliveries?.(this.loadOrder(change.orderId)!.partner, event);
      if (deliveries?.length) this.webhooks.enqueueNow(deliveries, now);
      return { rowId, channel: 'order.event', messageId, routingKey, payload };
    });
  }

  private journal(now: number, orderId: string | null, messageRow: number | null, entry: JournalEntry): void {
    this.sql.journal.run(now, orderId, messageRow, entry.kind, entry.detail ? JSON.stringify(entry.detail) : null);
    if (orderId !== null) this.orderChanged(orderId);
  }

  /**
   * Group commits run synchronously inside one tick, so no read can slip between this call and the
   * commit; a unit rolled back afterwards only costs a listener a needless reload.
   */
  private orderChanged(orderId: string): void {
    for (const listener of this.orderChangeListeners) listener(orderId);
  }
}

function toOut(row: MessageRow): OutMessage {
  return { rowId: row.id, channel: row.channel as OutMessage['channel'], messageId: row.message_id, routingKey: row.routing_key ?? '', payload: row.payload ?? '' };
}

function toOrderRecord(row: OrderRow): OrderRecord {
  return {
    orderId: row.order_id,
    partner: row.partner,
    state: { status: row.status as OrderStatus, statusSince: row.status_since, lastFactAt: JSON.parse(row.last_fact_at) as OrderRecord['state']['lastFactAt'] },
    statusEnteredAt: row.status_entered_at,
    stuckAt: row.stuck_at,
    attention: row.attention ? { kind: row.attention, since: row.attention_since ?? row.updated_at, reason: row.attention_reason ?? '' } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}
