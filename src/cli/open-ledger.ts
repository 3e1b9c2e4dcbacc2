import type { Config } from '../config/index.js';
import {
  LedgerNotFoundError,
  LedgerUrlMissingError,
  ledgerTarget,
  ledgerPolicy,
  openLedger,
  PostgresUnreachableError,
  type Ledger,
} from '../ledger/index.js';
import type { CliIo } from './io.js';

/** Exit code of an ops command whose configured ledger holds none, or cannot be reached: like an invalid config. */
export const ledgerNotFoundExitCode = 2;

/**
 * The gateway's ledger for an ops command (report, timeline, replay): only one that already exists,
 * `read` without any write, `write` when the command notes what it did (e.g. the report's MES answers).
 * Says why and returns undefined when the configured ledger holds none or cannot be reached.
 */
export async function openExistingLedger(
  config: Config,
  io: CliIo,
  access: 'read' | 'write',
): Promise<Ledger | undefined> {
  try {
    return await openLedger(ledgerTarget(config.gateway.ledger), { policy: ledgerPolicy(config), access });
  } catch (error) {
    const known = [LedgerNotFoundError, PostgresUnreachableError, LedgerUrlMissingError];
    if (!known.some((kind) => error instanceof kind)) throw error;
    io.err(`orderbridge: ${(error as Error).message}`);
    return undefined;
  }
}
