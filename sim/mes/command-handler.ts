import type { MesCommand } from '../generated/mes/reference/command.js';
import type { MesEvent } from '../generated/mes/reference/event.js';
import { draftFor, type EventFactory } from './event-factory.js';
import type { FaultPlan } from './fault-plan.js';
import type { MesOrder, OrderBook } from './order-book.js';
import type { MesCounters } from './stats.js';
import { finalStates, type MesState } from './workflow.js';

export interface CommandContext {
  book: OrderBook;
  events: EventFactory;
  counters: MesCounters;
  seenMessageIds: Set<string>;
  planFor(externalRef: string): FaultPlan;
  /** Puts a new order on the production line. */
  startWalking(order: MesOrder): void;
}

export type CommandOutcome = { kind: 'duplicate' } | { kind: 'dropped' } | { kind: 'answered'; events: MesEvent[] };

/**
 * Applies one command to the order table and says which events answer it. Synchronous, so the
 * order in which commands arrive is the order in which they take effect, even though their
 * answers are confirmed by the broker later.
 */
export function handleMesCommand(ctx: CommandContext, command: MesCommand): CommandOutcome {
  const { messageId, messageType } = command.header;
  if (ctx.seenMessageIds.has(messageId)) {
    ctx.counters.duplicateCommands += 1;
    return { kind: 'duplicate' };
  }
  const ref = command.body.externalRef;
  if (messageType === 'CREATE_ORDER' && ctx.planFor(ref).fault === 'dropped' && !ctx.book.findByRef(ref)) {
    // Lost inside the MES: no record at all, not even of the message id, so a re-forward is lost too.
    ctx.counters.droppedCommands += 1;
    ctx.counters.recordFault('dropped', ref);
    return { kind: 'dropped' };
  }
  ctx.seenMessageIds.add(messageId);
  switch (messageType) {
    case 'CREATE_ORDER':
      return answered(createOrder(ctx, ref, messageId));
    case 'CANCEL_ORDER':
      return answered(cancelOrder(ctx, ref, messageId));
    case 'CHANGE_ORDER':
      return answered(changeOrder(ctx, ref, messageId));
    default: {
      const unknown: never = messageType;
      throw new Error(`unknown message type ${String(unknown)}`);
    }
  }
}

function answered(event: MesEvent): CommandOutcome {
  return { kind: 'answered', events: [event] };
}

function createOrder(ctx: CommandContext, ref: string, correlationId: string): MesEvent {
  const existing = ctx.book.findByRef(ref);
  if (existing) {
    ctx.counters.duplicateOrders += 1;
    return refusal(
      ctx,
      existing,
      correlationId,
      'DUPLICATE_ORDER',
      `order ${ref} already exists as ${existing.mesOrderNo}`,
    );
  }
  const plan = ctx.planFor(ref);
  const at = ctx.events.stamp(ref);
  if (plan.fault === 'rejected') {
    const order = ctx.book.create(ref, plan, 'REJECTED', at);
    ctx.counters.recordFault('rejected', ref);
    return ctx.events.create(
      draftFor(order, 'ORDER_REJECTED', {
        correlationId,
        error: { code: 'NO_CAPACITY', text: 'No free capacity on the required work centers before the due date' },
      }),
      at,
    );
  }
  const order = ctx.book.create(ref, plan, 'ACCEPTED', at);
  if (plan.fault === 'stalled') ctx.counters.recordFault('stalled', ref);
  else ctx.startWalking(order);
  return ctx.events.create(draftFor(order, 'ORDER_ACCEPTED', { correlationId }), at);
}

function cancelOrder(ctx: CommandContext, ref: string, correlationId: string): MesEvent {
  const order = ctx.book.findByRef(ref);
  if (!order) return unknownOrder(ctx, ref, correlationId);
  const previousState = order.progress.state;
  if (finalStates.has(previousState))
    return refusal(ctx, order, correlationId, 'CANCEL_REFUSED', `order is ${previousState}: too late to cancel`);
  const at = ctx.events.stamp(ref);
  ctx.book.record(order, { ...order.progress, state: 'CANCELLED', resumeInto: undefined }, at);
  ctx.book.stopWalking(order);
  return ctx.events.create(draftFor(order, 'ORDER_STATE_CHANGED', { correlationId, previousState }), at);
}

function changeOrder(ctx: CommandContext, ref: string, correlationId: string): MesEvent {
  const order = ctx.book.findByRef(ref);
  if (!order) return unknownOrder(ctx, ref, correlationId);
  const state = order.progress.state;
  if (finalStates.has(state))
    return refusal(ctx, order, correlationId, 'CHANGE_REFUSED', `order is ${state}: it can no longer be changed`);
  // The change itself touches nothing the simulator models; echoing the current state acknowledges it.
  return ctx.events.create(draftFor(order, 'ORDER_STATE_CHANGED', { correlationId }), ctx.events.stamp(ref));
}

/** Refuses a command; the order keeps its own state, only the answer says REJECTED. */
function refusal(ctx: CommandContext, order: MesOrder, correlationId: string, code: string, text: string): MesEvent {
  const state: MesState = 'REJECTED';
  return ctx.events.create(
    draftFor(order, 'ORDER_REJECTED', { state, correlationId, error: { code, text } }),
    ctx.events.stamp(order.externalRef),
  );
}

function unknownOrder(ctx: CommandContext, ref: string, correlationId: string): MesEvent {
  return ctx.events.create(
    {
      eventType: 'ORDER_REJECTED',
      externalRef: ref,
      state: 'REJECTED',
      correlationId,
      error: { code: 'UNKNOWN_ORDER', text: `no order with external reference ${ref}` },
    },
    ctx.events.stamp(ref),
  );
}
