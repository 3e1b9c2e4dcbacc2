import type { MesEvent } from '../generated/mes/reference/event.js';
import { draftFor, type EventFactory } from './event-factory.js';
import type { MesOrder, OrderBook } from './order-book.js';
import type { MesCounters } from './stats.js';
import { advance, finalStates, nextStep, workCenters } from './workflow.js';

export interface WalkContext {
  book: OrderBook;
  events: EventFactory;
  counters: MesCounters;
  /** One step's duration, jittered. */
  stepMs(): number;
}

/** Moves a due order one state on; returns the event that tells the world, if it moved. */
export function walkOneStep(ctx: WalkContext, order: MesOrder, now: number): MesEvent | undefined {
  const step = nextStep(order.progress, order.plan);
  if (!step) {
    ctx.book.stopWalking(order);
    return undefined;
  }
  const previousState = order.progress.state;
  const at = ctx.events.stamp(order.externalRef);
  ctx.book.record(order, advance(order.progress, step), at);
  if (finalStates.has(step.state)) ctx.book.stopWalking(order);
  else ctx.book.scheduleStep(order, now + step.dwellSteps * ctx.stepMs());
  if (step.state !== 'ERROR') return ctx.events.create(draftFor(order, 'ORDER_STATE_CHANGED', { previousState }), at);
  ctx.counters.recordFault('errored', order.externalRef);
  const where = workCenters[previousState] ?? previousState;
  return ctx.events.create(
    draftFor(order, 'PROCESSING_ERROR', {
      previousState,
      error: {
        code: 'MACHINE_FAULT',
        text: `Machine fault at ${where} during ${previousState}; operator intervention required`,
      },
    }),
    at,
  );
}
