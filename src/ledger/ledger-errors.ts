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

/** The path given for the ledger holds none: nothing there, or a file that is not an Orderbridge ledger. */
export class LedgerNotFoundError extends Error {
  constructor(
    readonly path: string,
    readonly found: 'nothing' | 'not_a_ledger',
  ) {
    super(
      `${found === 'nothing' ? `no ledger at ${path}` : `${path} is not an Orderbridge ledger`}: check the path (ORDERBRIDGE_LEDGER_PATH, or ledger.path in gateway.yaml of --config); the gateway creates its ledger when it first starts (orderbridge serve)`,
    );
    this.name = 'LedgerNotFoundError';
  }
}
