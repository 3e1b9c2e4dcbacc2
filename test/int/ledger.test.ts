import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { openSqliteLedger, type SqliteLedger } from '../../src/ledger/index.js';
import type { CheckpointerOptions } from '../../src/ledger/sqlite/checkpointer.js';
import { migrateSqlite } from '../../src/ledger/sqlite/migrate.js';
import { prepareStatements } from '../../src/ledger/sqlite/statements.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { createAndForward } from '../fixtures/mes-events.js';
import { testConfig } from '../helpers/gateway-config.js';
import { waitFor } from '../helpers/wait-for.js';
import { create, ledgerConformance, T0 } from '../helpers/ledger-conformance.js';
import { checkReceivedMoved, olderLedgerRows } from '../helpers/received-migration.js';

function setup(t: Test, gateway = {}, checkpoints?: CheckpointerOptions) {
  const env = testConfig({ gateway });
  const ledger = openSqliteLedger({
    path: env.ledgerPath,
    synchronous: 'FULL',
    policy: ledgerPolicy(env.config),
    ...(checkpoints ? { checkpoints } : {}),
  });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  return { ledger, config: env.config };
}

ledgerConformance(t, {
  name: 'sqlite',
  open: async (t, gateway) => setup(t, gateway),
  unitsCommitted: (ledger) => (ledger as SqliteLedger).commits.units,
});

t.test('the schema is migrated once; WAL, with the WAL fsynced off the event loop before a unit settles', async (t) => {
  const { ledger } = setup(t);
  const db = ledger.db;
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(
    db.pragma('synchronous', { simple: true }),
    1,
    'SQLite itself NORMAL: the group commit does the fsync (configured FULL)',
  );
  t.ok(ledger.commits.durable, 'configured FULL: units wait for the fsync of their commit');
  const env = testConfig();
  const normal = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(env.config) });
  t.teardown(async () => {
    await normal.close();
    env.remove();
  });
  t.notOk(normal.commits.durable, 'configured NORMAL: they do not');
  t.same(db.prepare('SELECT version FROM schema_migrations').pluck().all(), [1, 2, 3, 4, 5, 6, 7, 8]);
});

t.test(
  'migration 006 keeps every message of an older ledger, and their ids unique where they were looked up',
  async (t) => {
    const env = testConfig();
    t.teardown(() => env.remove());
    const older = new Database(env.ledgerPath);
    older.pragma('foreign_keys = ON');
    migrateSqlite(older, 5);
    const insert = older.prepare(
      `INSERT INTO messages (direction, channel, type, message_id, cause_id, order_id, state, payload, created_at, updated_at)
     VALUES (?, ?, 'order.create', ?, ?, 'A-1', ?, ?, 1, 1)`,
    );
    const command = Number(insert.run('in', 'crm.command', 'crm-1', null, 'forwarded', null).lastInsertRowid);
    insert.run('out', 'mes.command', 'ob-1', command, 'published', '{"exact":"bytes"}');
    const before = older.prepare('SELECT * FROM messages ORDER BY id').all();
    older.close();

    const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(env.config) });
    t.teardown(() => ledger.close());
    const db = ledger.db;
    t.same(db.prepare('SELECT * FROM messages ORDER BY id').all(), before, 'every column of every row kept');
    t.same(db.pragma('foreign_key_check'), [], 'the MES command still refers to its CRM command');
    t.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys on again after the rebuild');
    t.match(
      db.prepare("SELECT sql FROM sqlite_master WHERE name = 'messages'").pluck().get(),
      /cause_id\s+INTEGER REFERENCES messages \(id\)/,
    );
    const repeat = await ledger.recordCommand(
      {
        crmMessageId: 'crm-1',
        type: 'order.create',
        orderId: 'A-1',
        partner: 'p',
        sentAt: new Date(T0).toISOString(),
        mes: { messageId: 'ob-1', routingKey: 'r', payload: '{}' },
      },
      T0,
    );
    t.equal(repeat.kind, 'already_forwarded', 'a CRM command id seen before is still found, not written twice');
    t.throws(
      () =>
        db
          .prepare(
            "INSERT INTO messages (direction, channel, type, message_id, state, created_at, updated_at) VALUES ('in', 'crm.command', 'x', 'crm-1', 'received', 2, 2)",
          )
          .run(),
      /UNIQUE constraint failed/,
    );
  },
);

t.test("migration 007 moves each order's first status change from the journal to the order row", async (t) => {
  const env = testConfig();
  t.teardown(() => env.remove());
  const older = new Database(env.ledgerPath);
  migrateSqlite(older, 6);
  older.exec(olderLedgerRows);
  older.close();
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(env.config) });
  t.teardown(() => ledger.close());
  await checkReceivedMoved(t, ledger, async (query) => ledger.db.prepare(query).all());
});

/** Commands of new orders with random ids (as a CRM's are: each lands on its own index pages), forwarded. */
async function forwardCommands(ledger: SqliteLedger, count: number, batch: number): Promise<void> {
  for (let done = 0; done < count; done += batch) {
    await Promise.all(Array.from({ length: batch }, () => createAndForward(ledger, `C-${randomUUID()}`, T0)));
  }
}

t.test('the log is checkpointed on a thread of its own, never inside a commit, and stays bounded', async (t) => {
  const pauseAbove = 50;
  const { ledger } = setup(t, {}, { everyMs: 10, writerPauseAboveFrames: pauseAbove, startAboveBytes: 0 });
  const { db, commits } = ledger;
  const walPath = `${db.name}-wal`;
  let holds = 0;
  const holdUntil = commits.holdUntil.bind(commits);
  commits.holdUntil = (released) => {
    holds++;
    holdUntil(released);
  };
  t.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, "the writer's commits never checkpoint");
  const fileBefore = statSync(db.name).size;
  let commands = 0;
  await waitFor(
    async () => {
      await forwardCommands(ledger, 60, 60);
      commands += 60;
      return statSync(db.name).size > fileBefore;
    },
    20_000,
    'the thread to start and copy the log into the database file',
  );
  // The log's file keeps the size it reached while the thread was starting; past that it grows only
  // if the log never starts over.
  const walBytesBefore = statSync(walPath).size;
  await forwardCommands(ledger, 2_100, 60);
  commands += 2_100;
  t.equal(db.prepare('SELECT COUNT(*) FROM messages').pluck().get(), 2 * commands, 'every row written');
  t.ok(statSync(db.name).size > fileBefore + 1_000_000, 'copied into the database file by the thread');
  // Between two pauses the log holds the frames above which a pause comes, plus what was committed
  // before the thread looked again: a few commits, more when a busy machine keeps the thread waiting
  // for a core (CI: 1 MB past the file's size). A log that never starts over grows by all of it:
  // 28–45 MB for these commands when the thread never pauses the writer.
  const walBytes = statSync(walPath).size;
  t.ok(holds > 0, `the writer was held while the thread caught up with the log (${holds} times)`);
  t.ok(
    walBytes < Math.max(walBytesBefore, pauseAbove * 4_120) + 5_000_000,
    `the log started over again and again: ${walBytes} bytes (${walBytesBefore} before these commands)`,
  );
  await ledger.close();
  t.notOk(existsSync(walPath), 'the last connection to close checkpointed the rest and removed the log');
});

t.test(
  'the thread starts only once the log outgrows 4 MB; if it fails, the writer checkpoints in its commits again',
  async (t) => {
    const { ledger } = setup(t);
    const { db } = ledger;
    type Internals = { checkpointer: { worker?: { terminate(): Promise<number> } } };
    const { checkpointer } = ledger as unknown as Internals;
    let commands = 0;
    for (let i = 0; i < 20; i++, commands += 3) await forwardCommands(ledger, 3, 3);
    t.equal(checkpointer.worker, undefined, 'no thread after 40 commits of a small log');
    await waitFor(
      async () => {
        await forwardCommands(ledger, 60, 60);
        commands += 60;
        return checkpointer.worker !== undefined;
      },
      20_000,
      'the thread to start',
    );
    t.ok(statSync(`${db.name}-wal`).size > 4_096_000, 'it started past 4 MB of log');
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    await checkpointer.worker?.terminate();
    t.match((await warned).message, /checkpoint thread failed .*checkpoints in its commits again/);
    t.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, "SQLite's default again");
    await forwardCommands(ledger, 300, 60);
    commands += 300;
    t.equal(db.prepare('SELECT COUNT(*) FROM messages').pluck().get(), 2 * commands, 'and the commits go on');
  },
);

t.test('messages that arrive together share one commit (group commit)', async (t) => {
  const { ledger } = setup(t);
  const sqlite = ledger;
  const before = sqlite.commits.batches;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.recordCommand(create(`G-${i}`), T0)));
  t.equal(results.filter((r) => r.kind === 'forward').length, 200);
  t.ok(sqlite.commits.batches - before <= 2, `200 commands in ${sqlite.commits.batches - before} commit(s)`);
  t.equal(sqlite.commits.retriedBatches, 0, 'none run again: no unit failed');
});

t.test('one failing unit rolls back alone inside a shared commit', async (t) => {
  const { ledger } = setup(t);
  const sqlite = ledger;
  const retried = sqlite.commits.retriedBatches;
  const [ok, failed] = await Promise.allSettled([
    sqlite.commits.run(() => sqlite.db.prepare(`INSERT INTO journal (at, kind) VALUES (1, 'kept')`).run()),
    sqlite.commits.run(() => {
      sqlite.db.prepare(`INSERT INTO journal (at, kind) VALUES (1, 'rolled back')`).run();
      throw new Error('boom');
    }),
  ]);
  t.equal(ok.status, 'fulfilled');
  t.equal(failed.status, 'rejected');
  t.same(sqlite.db.prepare('SELECT kind FROM journal').pluck().all(), ['kept']);
  t.equal(sqlite.commits.retriedBatches - retried, 1, 'the batch ran again, a savepoint per unit');
});

t.test("the watchdog's every-tick queries and an order event's hold search the index meant for them", async (t) => {
  const { ledger } = setup(t);
  const db = ledger.db;
  const statements = prepareStatements(db);
  // The first search of each, by the index that narrows it to the rows it wants (not merely some
  // index: the (channel, message_id) one would walk every order event).
  const checked = {
    unpublished: { index: 'messages_unpublished', parameters: [{ cutoff: T0, limit: 100 }] },
    overdue: { index: 'messages_due', parameters: [T0, 100] },
    stuckOrders: { index: 'orders_stuck_at', parameters: [T0, 100] },
    unconfirmedEventOf: { index: 'messages_pending_events', parameters: ['A-1'] },
    pendingEventsOf: { index: 'messages_pending_events', parameters: ['["A-1","A-2"]'] },
    unpublishedCausedBy: { index: 'messages_cause', parameters: [10] },
    // By message id, through the unique index that leaves MES commands out (migration 006).
    findMessage: { index: 'messages_message_id', parameters: ['crm.command', 'c-1'] },
    releaseRefused: { index: 'messages_message_id', parameters: [{ channel: 'crm.command', messageId: 'c-1' }] },
  };
  for (const [name, { index, parameters }] of Object.entries(checked)) {
    const statement = statements[name as keyof typeof checked];
    const explained = db.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(...parameters);
    const plan = (explained as { detail: string }[]).map((row) => row.detail);
    t.match(plan[0], new RegExp(`^SEARCH \\w+ USING (COVERING )?INDEX ${index} `), `${name}: ${plan.join(' | ')}`);
    t.notOk(
      plan.some((step) => /^SCAN (messages|orders)\b/.test(step)),
      `${name} scans no table`,
    );
  }
});

t.test(
  'no condition checked at every message, order or journal write lists more than two values after IN',
  async (t) => {
    // SQLite evaluates such a list by building a temporary b-tree each time: a partial index's or a
    // CHECK's condition so written cost the pipeline ~4 µs at every insert and state change (migration 005).
    const { ledger } = setup(t);
    const definitions = ledger.db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('messages', 'orders', 'journal') AND sql IS NOT NULL`,
      )
      .all() as { name: string; sql: string }[];
    t.ok(definitions.length >= 10, `${definitions.length} tables and indexes`);
    for (const { name, sql } of definitions) {
      const longLists = [...sql.matchAll(/\bIN\s*\(([^()]*)\)/gi)].filter((list) => list[1]!.split(',').length > 2);
      t.same(
        longLists.map((list) => list[0]),
        [],
        `${name}: compare with = … OR = … instead`,
      );
    }
  },
);
