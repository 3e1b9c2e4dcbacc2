import type { MesEvent } from '../generated/mes/reference/event.js';
import type { Clock } from '../shared/clock.js';
import { walkOneStep, type WalkContext } from './walk-order.js';

export interface ProductionLoop {
  stop(): void;
}

/**
 * One timer for the whole shop floor: every tick it moves the orders whose next step is due.
 * A timer per order would not survive thousands of orders; a scan of the walking set does.
 */
export function startProductionLoop(
  ctx: WalkContext,
  clock: Clock,
  tickMs: number,
  emit: (event: MesEvent) => void,
): ProductionLoop {
  const timer = setInterval(() => {
    const now = clock.now();
    // Collect first: walking an order reschedules it, and a set must not change under its iterator.
    for (const order of [...ctx.book.dueOrders(now)]) {
      const event = walkOneStep(ctx, order, now);
      if (event) emit(event);
    }
  }, tickMs);
  return { stop: () => clearInterval(timer) };
}
