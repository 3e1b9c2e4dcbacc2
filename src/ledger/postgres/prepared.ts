import type { QueryConfig } from 'pg';

// The ledger's constant statements go to PostgreSQL as named prepared statements: parsed and
// analysed once per connection, then only bound and run (an unnamed one is parsed every time).
const names = new Map<string, string>();

/** Registers each statement of `statements` for preparing; returns them unchanged. */
export function prepared<T extends Record<string, string>>(statements: T): T {
  for (const text of Object.values(statements)) if (!names.has(text)) names.set(text, `ledger_${names.size}`);
  return statements;
}

/** The query to send: named when its text is one of the registered statements. */
export function queryConfig(text: string, values?: unknown[]): QueryConfig {
  const name = names.get(text);
  return { text, ...(values ? { values } : {}), ...(name ? { name } : {}) };
}
