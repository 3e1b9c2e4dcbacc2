import type { RetentionPort } from '../ledger/index.js';
import { startPeriodicTask, type PeriodicTask } from '../shared/periodic-task.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * Prunes ledger rows older than `retentionMs` now and then every `intervalMs`, one run at a time.
 * A ledger partitioned by time also gets the partitions of the next days made, first.
 */
export function startRetention(
  pruner: RetentionPort,
  options: { retentionMs: number; intervalMs: number; clock: () => number; logger: Logger },
): PeriodicTask {
  const { retentionMs, intervalMs, clock, logger } = options;
  const prune = async () => {
    const made = await pruner.createPartitionsAhead?.(clock());
    if (made?.moved)
      logger.warn(
        { partitions: made.created, moved: made.moved },
        'ledger rows written while their day had no partition moved into it: were partitions not made ahead?',
      );
    const cutoff = clock() - retentionMs;
    const pruned = await pruner.pruneOlderThan(cutoff);
    if (Object.values(pruned).some((n) => n > 0))
      logger.info({ olderThan: new Date(cutoff).toISOString(), ...pruned }, 'ledger rows past the retention pruned');
  };
  return startPeriodicTask(prune, {
    intervalMs,
    firstRunAfterMs: 0,
    unref: true,
    onError: (error) => logger.error({ err: error }, 'ledger pruning failed; retrying at the next interval'),
  });
}
