const buckets = 10;

export interface RetryBudget {
  /** Counts one first attempt: each one earns a share of a retry. */
  recordCall(): void;
  /** Takes one retry from the budget if there is one left in the window. */
  tryRetry(): boolean;
}

/**
 * Retries may add at most `percent` % to the MES calls of the last `windowMs` (plus `minPerWindow`),
 * as in Finagle's RetryBudget: when the MES fails broadly, retries stay a small fixed share of the
 * load instead of multiplying it, while a single dropped connection on a quiet gateway is still retried.
 */
export function createRetryBudget({
  percent,
  minPerWindow,
  windowMs,
  clock,
}: {
  percent: number;
  minPerWindow: number;
  windowMs: number;
  clock: () => number;
}): RetryBudget {
  const bucketMs = Math.max(1, Math.ceil(windowMs / buckets));
  const calls = new Array<number>(buckets).fill(0);
  const retries = new Array<number>(buckets).fill(0);
  let current = Math.floor(clock() / bucketMs);

  /** Moves the window to now, emptying the buckets that fell out of it. */
  const slot = () => {
    const now = Math.floor(clock() / bucketMs);
    for (let b = current + 1; b <= now && b <= current + buckets; b++) {
      calls[b % buckets] = 0;
      retries[b % buckets] = 0;
    }
    current = Math.max(current, now);
    return current % buckets;
  };
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

  return {
    recordCall() {
      calls[slot()]! += 1;
    },
    tryRetry() {
      const at = slot();
      const allowed = Math.max(minPerWindow, Math.floor((sum(calls) * percent) / 100));
      if (sum(retries) >= allowed) return false;
      retries[at]! += 1;
      return true;
    },
  };
}
