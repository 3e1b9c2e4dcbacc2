import t, { type Test } from 'tap';
import { openSqliteLedger, type SqliteLedger } from '../../src/ledger/index.js';
import { prepareStatements } from '../../src/ledger/sqlite/statements.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { testConfig } from '../helpers/gateway-config.js';
import { create, ledgerConformance, T0 } from '../helpers/ledger-conformance.js';

function setup(t: Test, gateway = {}) {
  const env = testConfig({ gateway });
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(env.config) });
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
  t.same(db.prepare('SELECT version FROM schema_migrations').pluck().all(), [1, 2, 3]);
});

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

t.test("the watchdog's every-tick queries search an index; none walks a table", async (t) => {
  const { ledger } = setup(t);
  const db = ledger.db;
  const statements = prepareStatements(db);
  for (const name of ['unpublished', 'overdue', 'stuckOrders'] as const) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${statements[name].source}`).all(T0, 100) as { detail: string }[]).map(
      (row) => row.detail,
    );
    t.match(plan[0], /^SEARCH \w+ USING (COVERING )?INDEX /, `${name}: ${plan.join(' | ')}`);
    t.notOk(
      plan.some((step) => /^SCAN (messages|orders)\b/.test(step)),
      `${name} scans no table`,
    );
  }
});
