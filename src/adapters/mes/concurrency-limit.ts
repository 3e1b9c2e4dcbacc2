/** Why a call was turned away before it reached the MES. */
export class Overloaded extends Error {
  constructor(readonly reason: 'queue-full' | 'queue-timeout') {
    super(
      reason === 'queue-full'
        ? 'every MES call slot is busy and the wait queue is full'
        : 'no MES call slot came free in time',
    );
    this.name = 'Overloaded';
  }
}

export interface ConcurrencyLimit {
  /** Runs task in a free slot, waiting in line if need be; rejects with Overloaded when the line is full or too slow. */
  run<T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

interface Waiter {
  start: () => void;
  timer: NodeJS.Timeout;
}

/**
 * At most `slots` tasks at once; up to `maxQueued` more wait first in, first out, each at most
 * `maxWaitMs`. The wait is bounded both in length and in time, so a slow MES can never pile up
 * requests in the gateway's memory or make a caller wait longer than one extra timeout.
 */
export function createConcurrencyLimit({
  slots,
  maxQueued,
  maxWaitMs,
}: {
  slots: number;
  maxQueued: number;
  maxWaitMs: number;
}): ConcurrencyLimit {
  let active = 0;
  const line: Waiter[] = [];

  const release = () => {
    active -= 1;
    const next = line.shift();
    if (next) {
      clearTimeout(next.timer);
      next.start();
    }
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return line.length;
    },
    run<T>(task: () => Promise<T>): Promise<T> {
      const go = () => {
        active += 1;
        return task().finally(release);
      };
      if (active < slots) return go();
      if (line.length >= maxQueued) return Promise.reject(new Overloaded('queue-full'));
      return new Promise<T>((resolve, reject) => {
        const waiter: Waiter = {
          start: () => go().then(resolve, reject),
          timer: setTimeout(() => {
            line.splice(line.indexOf(waiter), 1);
            reject(new Overloaded('queue-timeout'));
          }, maxWaitMs),
        };
        line.push(waiter);
      });
    },
  };
}
