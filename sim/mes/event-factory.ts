import type { MesEvent } from '../generated/mes/reference/event.js';
import type { Clock } from '../shared/clock.js';
import type { MesOrder } from './order-book.js';
import { workCenters, type MesState } from './workflow.js';

type EventType = MesEvent['header']['eventType'];

export interface EventDraft {
  eventType: EventType;
  externalRef: string;
  state: MesState;
  mesOrderNo?: string;
  previousState?: MesState;
  correlationId?: string;
  error?: { code: string; text: string };
}

export interface EventFactory {
  /** The next createdAt for an order's event: later than every earlier one of the same order. */
  stamp(externalRef: string): string;
  /** A new event with a unique id. */
  create(draft: EventDraft, createdAt: string): MesEvent;
}

/**
 * Stamps events. createdAt is strictly increasing per order (max(now, last + 1 ms)) because the
 * gateway orders one order's MES events by it; two steps inside one millisecond must not tie.
 * Event ids carry the instance id so that a restarted MES never reuses an id the gateway has seen.
 */
export function createEventFactory(clock: Clock, instanceId: string): EventFactory {
  const lastStampByRef = new Map<string, number>();
  let sequence = 0;
  return {
    stamp(externalRef) {
      const stamp = Math.max(clock.now(), (lastStampByRef.get(externalRef) ?? 0) + 1);
      lastStampByRef.set(externalRef, stamp);
      return new Date(stamp).toISOString();
    },
    create(draft, createdAt) {
      sequence += 1;
      const workCenter = workCenters[draft.state];
      return {
        header: {
          eventId: `MES-${instanceId}-${sequence}`,
          eventType: draft.eventType,
          createdAt,
          ...(draft.correlationId ? { correlationId: draft.correlationId } : {}),
        },
        order: {
          externalRef: draft.externalRef,
          ...(draft.mesOrderNo ? { mesOrderNo: draft.mesOrderNo } : {}),
          state: draft.state,
          ...(draft.previousState ? { previousState: draft.previousState } : {}),
          ...(workCenter ? { workCenter } : {}),
        },
        ...(draft.error ? { error: draft.error } : {}),
      };
    },
  };
}

export function draftFor(order: MesOrder, eventType: EventType, extra: Partial<EventDraft> = {}): EventDraft {
  return {
    eventType,
    externalRef: order.externalRef,
    mesOrderNo: order.mesOrderNo,
    state: order.progress.state,
    ...extra,
  };
}
