import { durationMs, type Config } from '../config/index.js';
import { acknowledgedBy } from '../mapping/index.js';
import type { LedgerPolicy } from './store.js';

/** What the ledger needs of the config: acknowledgement deadlines, stuck deadlines, how the MES correlates. */
export function ledgerPolicy({ gateway, dialect }: Config): LedgerPolicy {
  const { acknowledgement, stuck } = gateway;
  const stuckAfter = new Map(
    Object.entries(stuck.deadlines).map(([status, duration]) => [status, durationMs(duration)]),
  );
  return {
    ack: {
      deadlineMs: durationMs(acknowledgement.deadline),
      maxAttempts: acknowledgement.maxAttempts,
      backoff: acknowledgement.backoff,
    },
    deadlines: { stuckAfterMs: (status) => stuckAfter.get(status) },
    mesCorrelates: acknowledgedBy(dialect) === 'correlationId',
  };
}
