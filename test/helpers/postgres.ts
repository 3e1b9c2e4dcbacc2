// A fresh PostgreSQL database per test file (or per test), dropped in its teardown: the machine's
// PostgreSQL 15 (scripts/ensure-env.sh starts it), trust auth for user postgres on 127.0.0.1.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';
import { migrateSqlite } from '../../src/ledger/sqlite/migrate.js';

/** The server the tests use; ORDERBRIDGE_TEST_POSTGRES points them elsewhere. */
export const testPostgresServer = process.env.ORDERBRIDGE_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432';

/** Runs `sql` in the server's maintenance database (CREATE/DROP DATABASE, ALTER DATABASE). */
export async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${testPostgresServer}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a random name; returns its URL. Dropped (connections and all) in t's teardown. */
export async function freshDatabase(t: Test): Promise<string> {
  const name = `orderbridge_test_${randomBytes(6).toString('hex')}`;
  await onServer(`CREATE DATABASE ${name}`);
  t.teardown(() => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  return `${testPostgresServer}/${name}`;
}

const copiedTables = ['orders', 'messages', 'journal'] as const;

/**
 * The ledger tables of the PostgreSQL database at `url`, copied into an in-memory SQLite ledger
 * (same migrations as the embedded one), so that the e2e checker and its SQL read them unchanged.
 */
export async function sqliteCopyOf(url: string): Promise<Database.Database> {
  const db = new Database(':memory:');
  migrateSqlite(db);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const table of copiedTables) {
      const { rows, fields } = await client.query(`SELECT * FROM ${table} ORDER BY 1`);
      const columns = fields.map((field) => field.name);
      const insert = db.prepare(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
      );
      // int8 columns arrive as strings from a plain client: numbers again, as SQLite keeps them.
      const numeric = new Set(fields.filter((field) => field.dataTypeID === 20).map((field) => field.name));
      db.transaction(() => {
        for (const row of rows)
          insert.run(
            Object.fromEntries(Object.entries(row).map(([k, v]) => [k, numeric.has(k) && v !== null ? Number(v) : v])),
          );
      })();
    }
  } finally {
    await client.end();
  }
  return db;
}
