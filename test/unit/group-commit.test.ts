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

t.test('units submitted while an fsync runs are committed together once it ends', async (t) => {
  const syncs: (() => void)[] = [];
  const { db, commits } = setup(() => new Promise<void>((finish) => syncs.push(finish)));
  const insert = (v: number) => () => db.prepare('INSERT INTO t VALUES (?)').run(v);
  const count = () => db.prepare('SELECT COUNT(*) FROM t').pluck().get() as number;
  const first = commits.run(insert(1));
  await turn();
  t.equal(commits.batches, 1);
  const during = [commits.run(insert(2)), commits.run(insert(3))];
  await turn();
  during.push(commits.run(insert(4)));
  await turn();
  t.equal(count(), 1, 'nothing more committed while the fsync runs');
  syncs[0]!();
  await first;
  await turn();
  t.equal(count(), 4, 'committed once it ended');
  t.equal(commits.batches, 2, 'in one transaction');
  t.equal(syncs.length, 2, 'and one fsync began after that commit');
  let settled = false;
  void Promise.all(during).then(() => (settled = true));
  await turn();
  t.notOk(settled, 'they settle only after it');
  syncs[1]!();
  await Promise.all(during);
});

t.test('idle() waits for units not yet committed', async (t) => {
  const syncs: (() => void)[] = [];
  const { db, commits } = setup(() => new Promise<void>((finish) => syncs.push(finish)));
  void commits.run(() => db.prepare('INSERT INTO t VALUES (1)').run());
  await turn();
  void commits.run(() => db.prepare('INSERT INTO t VALUES (2)').run());
  let idle = false;
  void commits.idle().then(() => (idle = true));
  while (!idle) {
    syncs.shift()?.();
    await turn();
  }
  t.equal(db.prepare('SELECT COUNT(*) FROM t').pluck().get(), 2);
  t.equal(syncs.length, 0, 'every fsync it waited for had finished');
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
