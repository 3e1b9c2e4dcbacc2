/**
 * The ledger cannot take the work now (disk full, locked, I/O error, closed): an infrastructure
 * fault, not something the message did. The pipeline requeues such a message (after a pause) and
 * dead-letters one whose own handling failed.
 */
export class LedgerUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`ledger unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LedgerUnavailableError';
  }
}
