import { decideCommandIntake, decideFactIntake, decideMesEventIntake, decideRepeat } from './decide-intake.js';
import { decideMesEvent } from './decide-mes-event.js';
import { decideStatusFact } from './decide-status.js';
import { ackDueAt } from './decide-watchdog.js';
import type { JournalEntry, OpenCommand, OrderRecord, OrderUpdate } from './model.js';
import { answer, type Answer, type Plan } from './plan.js';
import { type OrderEventRows, queueOrderEvents } from './queue-order-events.js';
import { type MessageRow, type NewMessage, toOut } from './rows.js';
import type {
  CommandInput,
  CommandOut,
  OutMessage,
  CommandResult,
  CrmFactInput,
  EventResult,
  IdReused,
  InvalidInput,
  LedgerPolicy,
  MesEventInput,
} from './store.js';

/** The row-level reads and writes the pipeline's ledger writes are made of, in one unit's transaction. */
export interface IntakeRows extends OrderEventRows {
  loadOrder(orderId: string): Answer<OrderRecord | undefined>;
  /** How many order.create commands the order has had. */
  createsOfOrder(orderId: string): Answer<number>;
  /** The order's commands still waiting for the MES's answer. */
  openCommands(order: OrderRecord): Answer<OpenCommand[]>;
  /** The MES command a CRM command caused. */
  outOfCommand(commandRowId: number): Answer<MessageRow>;
  /** The order events a message caused that were never confirmed published. */
  unpublishedCausedBy(rowId: number): Answer<MessageRow[]>;
  updateOrder(order: OrderRecord, update: OrderUpdate, now: number): Answer<void>;
  insertOrder(input: { orderId: string; partner?: string; sentAt: string }, now: number): void;
  setMessageState(rowId: number, state: string, reason: string | undefined, now: number): void;
  journal(now: number, orderId: string | null, rowId: number | null, entry: JournalEntry): void;
  countDelivery(rowId: number, now: number): void;
  countDeliveryOf(channel: string, messageId: string, now: number): void;
  /** Closes a CRM command the MES answered. */
  closeCommand(commandRowId: number, state: string, reason: string | undefined, now: number): void;
  clearDue(rowId: number, now: number): void;
  /**
   * The MES command and its CRM command forwarded; the MES command's acknowledgement due at dueAt,
   * unless an answer overtook the mark (the CRM command is no longer received or forwarded).
   */
  markForwarded(commandRowId: number, outRowId: number, now: number, dueAt: number): void;
  /** Out messages confirmed published; returns the orders whose pending order events these were. */
  markPublished(rowIds: number[], now: number): Answer<string[]>;
  /** The pending order events of these orders, in the order they were written. */
  pendingEventsOf(orderIds: string[]): Answer<MessageRow[]>;
  /** Out messages claimed for publishing at `now`: the sweep passes over them until they are as old as an unconfirmed one. */
  claim(rowIds: number[], now: number): void;
}

/** An incoming message recorded as received: its row, or undefined when it is already there (a repeat). */
function receive(
  rows: IntakeRows,
  now: number,
  message: Omit<NewMessage, 'direction' | 'state'>,
): Generator<Answer<number | undefined>, number | undefined, number | undefined> {
  return answer(rows.insertMessage({ direction: 'in', state: 'received', ...message }, now));
}

/** A CRM command: recorded with the MES command it becomes, or refused, or found repeated. */
export function* recordCommand(rows: IntakeRows, input: CommandInput, now: number): Plan<CommandResult> {
  const inserted = yield* receive(rows, now, {
    channel: 'crm.command',
    type: input.type,
    messageId: input.crmMessageId,
    orderId: input.orderId,
    traceId: input.traceId,
  });
  if (inserted === undefined) return yield* repeatedCommand(rows, input, now);

  const order = yield* answer(rows.loadOrder(input.orderId));
  const creates = order && input.type === 'order.create' ? yield* answer(rows.createsOfOrder(input.orderId)) : 0;
  const intake = decideCommandIntake(input, order, creates);
  if (intake.kind === 'refused') {
    rows.setMessageState(inserted, 'dead_lettered', intake.reason, now);
    return intake;
  }
  if (intake.kind === 'create_order') rows.insertOrder(input, now);
  const outId = yield* answer(
    rows.insertMessage(
      {
        direction: 'out',
        channel: 'mes.command',
        type: input.type,
        messageId: input.mes.messageId,
        causeId: inserted,
        orderId: input.orderId,
        state: 'pending',
        routingKey: input.mes.routingKey,
        payload: input.mes.payload,
        traceId: input.traceId,
      },
      now,
    ),
  );
  if (outId === undefined) throw new Error(`MES message id ${input.mes.messageId} already used by another command`);
  return {
    kind: 'forward',
    redelivery: false,
    out: {
      rowId: outId,
      commandRowId: inserted,
      channel: 'mes.command',
      messageId: input.mes.messageId,
      routingKey: input.mes.routingKey,
      payload: input.mes.payload,
    },
  };
}

/**
 * The same CRM command again. A broker redelivery finishes what the earlier delivery left
 * unfinished (a crash before the confirm); a second copy sent by the CRM changes nothing, since
 * its first copy is either done or will itself be redelivered.
 */
function* repeatedCommand(
  rows: IntakeRows,
  { crmMessageId, redelivered, type, orderId }: CommandInput,
  now: number,
): Plan<CommandResult> {
  const row = yield* answer(rows.findMessage('crm.command', crmMessageId));
  const reused = decideRepeat(row, { type, orderId });
  if (reused) return reused;
  rows.countDelivery(row.id, now);
  rows.journal(now, row.order_id, row.id, {
    kind: 'duplicate_delivery',
    detail: { messageId: crmMessageId, state: row.state, redelivered: redelivered ?? false },
  });
  if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
  if (row.state !== 'received' || !redelivered) return { kind: 'already_forwarded' };
  const out = yield* answer(rows.outOfCommand(row.id));
  return { kind: 'forward', redelivery: true, out: { ...toOut(out), commandRowId: row.id } };
}

/** The broker confirmed the MES command: it and its CRM command are forwarded, its acknowledgement due. */
export function markForwarded(rows: IntakeRows, out: CommandOut, now: number, policy: LedgerPolicy): void {
  rows.markForwarded(out.commandRowId, out.rowId, now, ackDueAt(now, 1, policy.ack));
}

/**
 * The broker confirmed these out messages: published. Of each order's events held behind them
 * (written while they were unconfirmed: queueOrderEvents), the next cause's are claimed and
 * returned, in order, for the caller to publish; confirming those releases the next, and so on. One
 * cause at a time: an event the broker refuses holds the later ones, which never overtake it.
 */
export function* markPublished(rows: IntakeRows, rowIds: number[], now: number): Plan<OutMessage[]> {
  const orders = yield* answer(rows.markPublished(rowIds, now));
  if (!orders.length) return [];
  const next = nextCauseOfEachOrder(yield* answer(rows.pendingEventsOf(orders)));
  if (next.length)
    rows.claim(
      next.map((row) => row.id),
      now,
    );
  return next.map(toOut);
}

/** Of pending order events in write order, those of each order's earliest cause. */
function nextCauseOfEachOrder(pending: MessageRow[]): MessageRow[] {
  const causeOf = new Map<string | null, number | null>();
  return pending.filter((row) => {
    if (!causeOf.has(row.order_id)) causeOf.set(row.order_id, row.cause_id);
    return causeOf.get(row.order_id) === row.cause_id;
  });
}

/** An MES event: applied to its order (answering a command, changing its status), quarantined, or repeated. */
export function* recordMesEvent(
  rows: IntakeRows,
  { fields, translation, type, traceId, redelivered, body }: MesEventInput,
  now: number,
  policy: LedgerPolicy,
): Plan<EventResult> {
  const rowId = yield* receive(rows, now, {
    channel: 'mes.event',
    type,
    messageId: fields.eventId,
    orderId: fields.orderId,
    traceId,
    ...(body !== undefined ? { payload: body } : {}),
  });
  if (rowId === undefined)
    return yield* repeatedEvent(rows, yield* answer(rows.findMessage('mes.event', fields.eventId)), redelivered, now);
  const intake = decideMesEventIntake(translation, yield* answer(rows.loadOrder(fields.orderId)), now);
  if (intake.kind === 'quarantined') {
    rows.setMessageState(rowId, 'quarantined', intake.reason, now);
    rows.journal(now, fields.orderId, rowId, intake.journal);
    return { kind: 'recorded', state: 'quarantined', publish: [] };
  }
  const { order } = intake;
  const open = yield* answer(rows.openCommands(order));
  const decision = decideMesEvent(order, open, intake.translation, now, policy);
  rows.setMessageState(rowId, decision.eventState, decision.reason, now);
  if (decision.acknowledged) {
    const { command, outcome, reason } = decision.acknowledged;
    rows.closeCommand(command.sourceRowId, outcome === 'accepted' ? 'acknowledged' : outcome, reason, now);
    rows.clearDue(command.rowId, now);
  }
  if (decision.order) yield* answer(rows.updateOrder(order, decision.order, now));
  for (const entry of decision.journal) rows.journal(now, order.orderId, rowId, entry);
  const publish = yield* queueOrderEvents(rows, order, decision.changes, rowId, `mes:${fields.eventId}`, now);
  const acknowledged = decision.acknowledged && {
    outcome: decision.acknowledged.outcome,
    afterMs: now - decision.acknowledged.command.queuedAt,
  };
  return { kind: 'recorded', state: decision.eventState, publish, ...(acknowledged ? { acknowledged } : {}) };
}

/** A status fact the CRM states: applied to its order, refused for an unknown one, or repeated. */
export function* recordCrmFact(
  rows: IntakeRows,
  input: CrmFactInput,
  now: number,
  policy: LedgerPolicy,
): Plan<EventResult | IdReused> {
  const rowId = yield* receive(rows, now, {
    channel: 'crm.fact',
    type: input.type,
    messageId: input.messageId,
    orderId: input.orderId,
    traceId: input.traceId,
  });
  if (rowId === undefined) {
    const row = yield* answer(rows.findMessage('crm.fact', input.messageId));
    return decideRepeat(row, input) ?? (yield* repeatedEvent(rows, row, input.redelivered, now));
  }
  const intake = decideFactIntake(input, yield* answer(rows.loadOrder(input.orderId)), now);
  if (intake.kind === 'refused') {
    rows.setMessageState(rowId, 'dead_lettered', intake.reason, now);
    return intake;
  }
  const { order } = intake;
  const decision = decideStatusFact(
    order,
    order.attention,
    { status: input.status, source: 'crm', occurredAt: input.occurredAt },
    now,
    policy.deadlines,
  );
  rows.setMessageState(rowId, decision.eventState, decision.reason, now);
  yield* answer(rows.updateOrder(order, decision.order, now));
  for (const entry of decision.journal) rows.journal(now, order.orderId, rowId, entry);
  const publish = yield* queueOrderEvents(rows, order, decision.changes, rowId, `crm:${input.messageId}`, now);
  return { kind: 'recorded', state: decision.eventState, publish };
}

/**
 * A repeated event changes nothing. A broker redelivery also sends again what the earlier
 * delivery caused and never saw confirmed; a duplicate copy leaves that to its first copy.
 */
function* repeatedEvent(
  rows: IntakeRows,
  row: MessageRow,
  redelivered: boolean | undefined,
  now: number,
): Plan<EventResult> {
  rows.countDelivery(row.id, now);
  rows.journal(now, row.order_id, row.id, {
    kind: 'duplicate_delivery',
    detail: { messageId: row.message_id, redelivered: redelivered ?? false },
  });
  if (row.state === 'dead_lettered') return { kind: 'refused', reason: row.reason ?? 'refused before' };
  return {
    kind: 'duplicate',
    publish: redelivered ? (yield* answer(rows.unpublishedCausedBy(row.id))).map(toOut) : [],
  };
}

/** A message that could not be read: kept with its reason, or its delivery counted when seen before. */
export function* recordInvalid(rows: IntakeRows, input: InvalidInput, now: number): Plan<void> {
  const rowId = yield* answer(
    rows.insertMessage(
      {
        direction: 'in',
        channel: input.channel,
        type: input.type ?? 'unknown',
        messageId: input.messageId,
        orderId: input.orderId,
        state: 'invalid',
        reason: input.reason,
        payload: input.payload,
      },
      now,
    ),
  );
  if (rowId === undefined) rows.countDeliveryOf(input.channel, input.messageId, now);
}
