import t from 'tap';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../src/ledger/sqlite/group-commit.js';

// GroupCommit schedules its flushes with setImmediate and nothing else: one turn of the event loop
// lets every step it can take without the durability promise run.
const turn = () => new Promise((resolve) => setImmediate(resolve));

function setup(durability?: () => Promise<void>) {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER)');
  return { db, commits: new GroupCommit(db, durability) };
}

t.test('with durability, a unit settles only after an fsync that began after its commit', async (t) => {
  const syncs: { started: number; finish: () => void }[] = [];
  let committed = 0;
  const { db, commits } = setup(() => new Promise<void>((finish) => syncs.push({ started: committed, finish })));
  let settled = false;
  const unit = commits.run(() => db.prepare('INSERT INTO t VALUES (1)').run()).then(() => (settled = true));
  await turn();
  committed = db.prepare('SELECT COUNT(*) FROM t').pluck().get() as number;
  t.equal(committed, 1, 'committed at once: readers see it');
  t.equal(syncs.length, 1, 'one fsync started after the commit');
  await turn();
  t.notOk(settled, 'not settled while the fsync runs');

  // Two more batches while the first fsync runs: one fsync covers both, after the first ends.
  const later = [commits.run(() => 2), commits.run(() => 3)];
  await turn();
  const third = commits.run(() => 4);
  await turn();
  t.equal(syncs.length, 1, 'no second fsync while one runs');
  syncs[0]!.finish();
  await unit;
  t.ok(settled, 'settled once its fsync finished');
  await turn();
  t.equal(syncs.length, 2, 'then one fsync for everything committed meanwhile');
  syncs[1]!.finish();
  t.same(await Promise.all([...later, third]), [2, 3, 4]);
});

t.test('a failed fsync fails the units it covers (their messages are redelivered); later ones go on', async (t) => {
  let fail = true;
  const { commits } = setup(async () => {
    if (fail) throw new Error('EIO');
  });
  await t.rejects(
    commits.run(() => 1),
    /EIO/,
  );
  fail = false;
  t.equal(await commits.run(() => 2), 2);
});

t.test('without durability units settle right after the commit', async (t) => {
  const { commits } = setup();
  t.equal(await commits.run(() => 'done'), 'done');
});
