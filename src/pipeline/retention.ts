import type { RetentionPruner } from '../ledger/sqlite-retention.js';
import type { Logger } from '../telemetry/logger.js';

export interface RetentionLoop {
  /** Stops the timer and waits for a pruning run in progress. */
  stop(): Promise<void>;
}

/** Prunes ledger rows older than `retentionMs` now and then every `intervalMs`, one run at a time. */
export function startRetention(pruner: RetentionPruner, options: { retentionMs: number; intervalMs: number; clock: () => number; logger: Logger }): RetentionLoop {
  const { retentionMs, intervalMs, clock, logger } = options;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async () => {
    const cutoff = clock() - retentionMs;
    const pruned = await pruner.pruneOlderThan(cutoff);
    if (Object.values(pruned).some((n) => n > 0)) logger.info({ olderThan: new Date(cutoff).toISOString(), ...pruned }, 'ledger rows past the retention pruned');
  };
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run()
        .catch((error: unknown) => logger.error({ err: error instanceof Error ? error.message : String(error) }, 'ledger pruning failed; retrying at the next interval'))
        .finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  };
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
