import type { Database } from 'better-sqlite3';
import { migrationFiles } from '../migrations.js';

/**
 * Applies the migrations not yet recorded, each in its own transaction, in number order. Foreign keys
 * are off meanwhile, as SQLite asks for a table rebuilt (a table referring to itself cannot be dropped
 * otherwise), and checked before each migration commits. `through`: none after this version (a
 * ledger as an older release left it, for a test of the next migration).
 */
export function migrateSqlite(db: Database, through = Number.POSITIVE_INFINITY): number[] {
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    return applyMigrations(db, through);
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

function applyMigrations(db: Database, through: number): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const ran: number[] = [];
  for (const migration of migrationFiles('sqlite')) {
    if (applied.has(migration.version) || migration.version > through) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length) throw new Error(`migration ${migration.name} broke ${broken.length} foreign key(s)`);
    })();
    ran.push(migration.version);
  }
  return ran;
}
