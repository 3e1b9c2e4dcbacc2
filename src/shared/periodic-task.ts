export interface PeriodicTask {
  /** Stops the timer and waits for the run in progress, if any; no run starts after this. */
  stop(): Promise<void>;
}

export interface PeriodicTaskOptions {
  /** The pause between the end of one run and the start of the next. */
  intervalMs: number;
  /** The pause before the first run; `intervalMs` when not given. */
  firstRunAfterMs?: number;
  /** Whether a pending timer lets the process exit (as housekeeping should); false by default. */
  unref?: boolean;
  /** Told every failed run; the next run is scheduled all the same. */
  onError: (error: unknown) => void;
}

/**
 * Runs `run` now and then on one timer: the next run is scheduled only when the previous one has
 * settled, so runs never overlap however long one takes, and a slow run delays the next instead
 * of piling up behind it.
 */
export function startPeriodicTask(run: () => Promise<unknown>, options: PeriodicTaskOptions): PeriodicTask {
  const { intervalMs, onError } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const runOnce = async () => {
    try {
      await run();
    } catch (error) {
      onError(error);
    }
  };
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => schedule(intervalMs));
    }, delayMs);
    if (options.unref) timer.unref();
  };
  schedule(options.firstRunAfterMs ?? intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
