import type { MesEvent } from '../generated/mes/reference/event.js';
import type { ConfirmedPublisher } from '../shared/confirmed-publisher.js';
import { shuffleInPlace } from '../shared/seeded.js';
import type { MesCounters } from './stats.js';

export interface EventOutletOptions {
  publisher: ConfirmedPublisher;
  exchange: string;
  /** Share of events published twice with the same eventId (--duplicate-share). */
  duplicateShare: number;
  /** Events are published shuffled within windows of this size (--reorder-window); 0 or 1 keeps the order. */
  reorderWindow: number;
  /** A partial window is released once no event has joined it for this long. */
  flushAfterMs: number;
  /** …and at the latest this long after its first event, so a trickle of events cannot hold it forever. */
  maxHoldMs: number;
  random: () => number;
  counters: MesCounters;
  /** Per order, the trace its events continue (set when its command arrived). */
  orderTraces: Map<string, Record<string, string>>;
}

export interface EventOutlet {
  /** Resolves when the broker has confirmed the event (and its duplicate, if it gets one). */
  send(event: MesEvent): Promise<void>;
  /** Releases a partial reorder window at once. */
  flush(): void;
}

interface Buffered {
  event: MesEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Where the MES's events leave it, through the fault switches that make duplicates and reordering
 * testable: the gateway must reach the same final state whatever these two do.
 */
export function createEventOutlet(options: EventOutletOptions): EventOutlet {
  const { publisher, exchange, duplicateShare, reorderWindow, flushAfterMs, maxHoldMs, random, counters, orderTraces } =
    options;
  let window: Buffered[] = [];
  let idleTimer: NodeJS.Timeout | undefined;
  let holdTimer: NodeJS.Timeout | undefined;

  const publish = (event: MesEvent) =>
    publisher.publish(
      exchange,
      event.header.eventType,
      event,
      event.header.eventId,
      orderTraces.get(event.order.externalRef) ?? {},
    );

  function release(): void {
    clearTimeout(idleTimer);
    clearTimeout(holdTimer);
    holdTimer = undefined;
    const batch = shuffleInPlace(random, window);
    window = [];
    for (const item of batch) publish(item.event).then(item.resolve, item.reject);
  }

  function enqueue(event: MesEvent): Promise<void> {
    if (reorderWindow <= 1) return publish(event);
    return new Promise<void>((resolve, reject) => {
      window.push({ event, resolve, reject });
      if (window.length >= reorderWindow) return release();
      // Released when traffic pauses rather than a fixed time after the first event: under load a
      // window then spans long enough to hold several steps of one order, which is what reorders them.
      clearTimeout(idleTimer);
      idleTimer = setTimeout(release, flushAfterMs);
      holdTimer ??= setTimeout(release, maxHoldMs);
    });
  }

  return {
    async send(event) {
      const twice = duplicateShare > 0 && random() < duplicateShare;
      await Promise.all(twice ? [enqueue(event), enqueue(event)] : [enqueue(event)]);
      counters.eventsPublished += 1;
      if (twice) counters.eventsDuplicated += 1;
    },
    flush() {
      if (window.length) release();
    },
  };
}
