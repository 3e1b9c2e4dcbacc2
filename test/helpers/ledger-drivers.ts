// Every ledger driver, opened fresh for one test: tests of behaviour every store must have run once
// per driver (SQLite: testConfig's temporary file; PostgreSQL: a fresh database, dropped in the teardown).
import type { Test } from 'tap';
import { type Config, withGatewayOverrides } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { type Ledger, openPostgresLedger, openSqliteLedger } from '../../src/ledger/index.js';
import { freshDatabase } from './postgres.js';

export interface TestLedger {
  ledger: Ledger;
  /** The config given, its ledger section naming this ledger. */
  config: Config;
  /** What an ops command run in a test needs to open this same ledger. */
  env: Record<string, string>;
  /** The number the SQL answers (one row, one column; SQL both drivers speak). */
  count(sql: string): Promise<number>;
  /** The rows the SQL answers. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

export interface TestLedgerDriver {
  name: 'sqlite' | 'postgres';
  /**
   * SQLite: the file at the config's ledger.path (testConfig's temporary one); PostgreSQL: a fresh
   * database. `synchronous` applies to SQLite (NORMAL: no fsync per commit, for tests that write a lot).
   */
  open(t: Test, config: Config, options?: { synchronous?: 'FULL' | 'NORMAL' }): Promise<TestLedger>;
}

const sqlite: TestLedgerDriver = {
  name: 'sqlite',
  async open(t, config, { synchronous = 'FULL' } = {}) {
    const { path } = config.gateway.ledger;
    const ledger = openSqliteLedger({ path, synchronous, policy: ledgerPolicy(config) });
    t.teardown(() => ledger.close());
    return {
      ledger,
      config,
      env: { ORDERBRIDGE_LEDGER_PATH: path },
      count: async (sql) => Number(ledger.db.prepare(sql).pluck().get()),
      rows: async <T>(sql: string) => ledger.db.prepare(sql).all() as T[],
    };
  },
};

const postgres: TestLedgerDriver = {
  name: 'postgres',
  async open(t, config) {
    const url = await freshDatabase(t);
    const ledger = await openPostgresLedger({ url, policy: ledgerPolicy(config) });
    t.teardown(() => ledger.close());
    const rows = async <T>(sql: string) => (await ledger.pool.query(sql)).rows as T[];
    return {
      ledger,
      config: withGatewayOverrides(config, { ledger: { driver: 'postgres', url } }),
      env: { DATABASE_URL: url },
      count: async (sql) => Number(Object.values((await rows<Record<string, unknown>>(sql))[0] ?? {})[0]),
      rows,
    };
  },
};

export const testLedgerDrivers: readonly TestLedgerDriver[] = [sqlite, postgres];

/** `t.test(name, body)` once per driver, the driver's name in the title. */
export function testEachDriver(
  t: Test,
  name: string,
  body: (t: Test, driver: TestLedgerDriver) => Promise<void>,
): void {
  for (const driver of testLedgerDrivers) t.test(`${name} (${driver.name})`, (t) => body(t, driver));
}
