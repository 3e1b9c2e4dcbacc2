// What a PostgreSQL error means to the ledger: a conflict to retry, a storage fault, or the unit's own failure.

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** Serialization failure or deadlock: the transaction was aborted and may simply run again. */
export function isConflict(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40001' || code === '40P01';
}

// Connection exceptions (08), insufficient resources (53), operator intervention such as a shutdown
// (57), system errors (58), internal errors (XX), and the socket's own errors.
const storageFault = /^(08|53|57|58|XX)|^E[A-Z]+$/;

/** The database or the way to it failed, whatever the unit was writing; a plain Error with no code is the unit's own. */
export function isStorageFault(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined) return storageFault.test(code);
  return error instanceof Error && /connection|terminat|timeout/i.test(error.message);
}
