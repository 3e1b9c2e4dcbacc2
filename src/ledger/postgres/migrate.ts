import type { ClientBase } from 'pg';
import { migrationFiles } from '../migrations.js';

/** The advisory lock key every gateway takes to migrate: 'orderbridge' as a 64-bit number. */
export const migrationLockKey = 0x6f72646572627264n;

/**
 * Applies the migrations not yet recorded, each in its own transaction, in number order. Replicas
 * starting together queue on one session advisory lock, and each reads what is applied only once
 * it holds it: the first migrates, the others find nothing left to do. `through` stops at that
 * version (a test building an older ledger).
 */
export async function migratePostgres(client: ClientBase, through = Number.POSITIVE_INFINITY): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey.toString()]);
  try {
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => row.version));
    const ran: number[] = [];
    for (const migration of migrationFiles('postgres')) {
      if (migration.version > through) break;
      if (applied.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
          migration.version,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      ran.push(migration.version);
    }
    return ran;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey.toString()]);
  }
}
