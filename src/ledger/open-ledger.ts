import type { GatewayConfig } from '../contracts/generated/config/gateway.js';
import { maskedUrl, openPostgresLedger } from './postgres/open.js';
import type { PostgresLedger } from './postgres/ledger.js';
import type { OrderEventDeliveries } from './webhook-store.js';
import type { SqliteLedger } from './sqlite/ledger.js';
import { openSqliteLedger, openSqliteLedgerReader } from './sqlite/open.js';
import type { LedgerPolicy } from './store.js';

/** A ledger of either driver: every port, its webhook store and its pruner. */
export type Ledger = SqliteLedger | PostgresLedger;

/** Where the ledger is: an SQLite file, or a PostgreSQL database. */
export type LedgerTarget =
  | { driver: 'sqlite'; path: string; synchronous: 'FULL' | 'NORMAL' }
  | { driver: 'postgres'; url: string };

/** `ledger.driver: postgres` with no URL to reach it. */
export class LedgerUrlMissingError extends Error {
  constructor() {
    super(
      'ledger.driver is postgres but no database is named: set ledger.url in gateway.yaml or DATABASE_URL (postgres://USER:PASSWORD@HOST:5432/DATABASE)',
    );
    this.name = 'LedgerUrlMissingError';
  }
}

/**
 * The ledger the config names. A URL (ledger.url, or DATABASE_URL, which sets it) selects PostgreSQL
 * whatever `driver` says: a platform that hands the gateway a database must never get a quiet SQLite
 * file beside it. `driver: postgres` without a URL is an error.
 */
export function ledgerTarget(ledger: GatewayConfig['ledger']): LedgerTarget {
  if (ledger.url) return { driver: 'postgres', url: ledger.url };
  if (ledger.driver === 'postgres') throw new LedgerUrlMissingError();
  return { driver: 'sqlite', path: ledger.path, synchronous: ledger.synchronous };
}

/** The target for logs and messages: the file, or the URL without its password. */
export function describeLedger(target: LedgerTarget): string {
  return target.driver === 'sqlite' ? target.path : maskedUrl(target.url);
}

export interface OpenLedgerOptions {
  policy: LedgerPolicy;
  /**
   * serve: create and migrate what is missing; write: only a ledger that exists (the ops commands
   * that note what they did); read: only one that exists, and nothing can be written through it.
   */
  access?: 'serve' | 'write' | 'read';
  onCommit?: (seconds: number, ok: boolean) => void;
  orderEventDeliveries?: OrderEventDeliveries;
}

/** Opens the ledger at `target`; throws LedgerNotFoundError (or PostgresUnreachableError) with the fix. */
export async function openLedger(
  target: LedgerTarget,
  { policy, access = 'serve', onCommit, orderEventDeliveries }: OpenLedgerOptions,
): Promise<Ledger> {
  const hooks = { ...(onCommit ? { onCommit } : {}), ...(orderEventDeliveries ? { orderEventDeliveries } : {}) };
  if (target.driver === 'postgres')
    return openPostgresLedger({
      url: target.url,
      policy,
      mustExist: access !== 'serve',
      readOnly: access === 'read',
      ...hooks,
    });
  if (access === 'read') return openSqliteLedgerReader(target.path, policy);
  return openSqliteLedger({
    path: target.path,
    synchronous: target.synchronous,
    policy,
    mustExist: access === 'write',
    reportThread: access === 'serve',
    ...hooks,
  });
}
