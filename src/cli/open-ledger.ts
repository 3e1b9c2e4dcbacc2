import type { Config } from '../config/index.js';
import { ledgerPolicy } from '../gateway.js';
import { LedgerNotFoundError, openSqliteLedger, openSqliteLedgerReader, type SqliteLedger } from '../ledger/index.js';
import type { CliIo } from './io.js';

/** Exit code of an ops command given a ledger path that holds no ledger: like an invalid config. */
export const ledgerNotFoundExitCode = 2;

/**
 * The gateway's ledger for an ops command (report, timeline, replay): only one that already exists,
 * `read` without any write, `write` when the command notes what it did (e.g. the report's MES answers).
 * Says why and returns undefined when the configured path holds no ledger.
 */
export function openExistingLedger(config: Config, io: CliIo, access: 'read' | 'write'): SqliteLedger | undefined {
  const { path, synchronous } = config.gateway.ledger;
  try {
    return access === 'read'
      ? openSqliteLedgerReader(path, ledgerPolicy(config))
      : openSqliteLedger({ path, synchronous, policy: ledgerPolicy(config), mustExist: true });
  } catch (error) {
    if (!(error instanceof LedgerNotFoundError)) throw error;
    io.err(`orderbridge: ${error.message}`);
    return undefined;
  }
}
