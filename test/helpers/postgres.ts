// A fresh PostgreSQL database per test file (or per test), dropped in its teardown: the machine's
// PostgreSQL 15 (scripts/ensure-env.sh starts it), trust auth for user postgres on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';

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
