import type { Clock } from '../shared/clock.js';

export interface CommandPacer {
  /** Runs `action` at (or just after) `dueAt`, on the pacer's timer. */
  later(dueAt: number, action: () => void): void;
  /** Every order.create started and no follow-up waiting. */
  idle(): boolean;
  stop(): void;
}

export interface CommandPacerOptions {
  clock: Clock;
  tickMs: number;
  total: number;
  /** order.create commands per second. */
  rate: number;
  create(index: number): void;
}

/**
 * One timer paces everything the CRM sends: order n (from 1) is due (n - 1) / rate seconds after
 * the start, and each tick sends all that are due, in bursts when the rate outruns the tick.
 */
export function startCommandPacer({ clock, tickMs, total, rate, create }: CommandPacerOptions): CommandPacer {
  const startedAt = clock.now();
  let next = 1;
  let waiting: { dueAt: number; action: () => void }[] = [];

  const tick = () => {
    const now = clock.now();
    while (next <= total && startedAt + ((next - 1) * 1000) / rate <= now) create(next++);
    if (!waiting.length) return;
    const due = waiting.filter((entry) => entry.dueAt <= now);
    if (!due.length) return;
    waiting = waiting.filter((entry) => entry.dueAt > now);
    for (const entry of due) entry.action();
  };
  const timer = setInterval(tick, tickMs);
  tick();

  return {
    later(dueAt, action) {
      waiting.push({ dueAt, action });
    },
    idle: () => next > total && waiting.length === 0,
    stop: () => clearInterval(timer),
  };
}
