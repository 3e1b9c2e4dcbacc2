import pg from 'pg';
import t, { type Test } from 'tap';
import type { DeepPartial } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/contracts/generated/config/gateway.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger, type PostgresLedger } from '../../src/ledger/index.js';
import { testConfig } from '../helpers/gateway-config.js';
import { orderLockClass } from '../../src/ledger/postgres/group-commit.js';
import { migrationFiles } from '../../src/ledger/migrations.js';
import { dayPartitions } from '../../src/ledger/postgres/partitions.js';
import { create, ledgerConformance, T0 } from '../helpers/ledger-conformance.js';
import { freshDatabase, onServer } from '../helpers/postgres.js';
import { checkReceivedMoved, olderLedgerRows } from '../helpers/received-migration.js';
import { migratePostgres } from '../../src/ledger/postgres/migrate.js';

async function setup(t: Test, gateway: DeepPartial<GatewayConfig> = {}, url?: string) {
  const env = testConfig({ gateway });
  t.teardown(env.remove);
  const ledger = await openPostgresLedger({ url: url ?? (await freshDatabase(t)), policy: ledgerPolicy(env.config) });
  t.teardown(() => ledger.close());
  return { ledger, config: env.config };
}

ledgerConformance(t, {
  name: 'postgres',
  open: (t, gateway) => setup(t, gateway),
  unitsCommitted: (ledger) => (ledger as PostgresLedger).commits.units,
});

t.test('replicas opening a fresh database together migrate it once', async (t) => {
  const url = await freshDatabase(t);
  const env = testConfig();
  t.teardown(env.remove);
  const ledgers = await Promise.all(
    Array.from({ length: 5 }, () => openPostgresLedger({ url, policy: ledgerPolicy(env.config) })),
  );
  t.teardown(() => Promise.all(ledgers.map((ledger) => ledger.close())));
  const { rows } = await ledgers[0]!.pool.query('SELECT version FROM schema_migrations ORDER BY version');
  t.same(
    rows.map((row) => row.version),
    migrationFiles('postgres').map((m) => m.version),
  );
  const today = Math.floor(Date.now() / 86_400_000);
  const days = await dayPartitions(ledgers[0]!.pool);
  t.ok(
    [days.messages, days.journal].every(
      (made) => made.length === 3 && made[0]! >= today - 1 && made[2] === made[0]! + 2,
    ),
    'and make the day partitions of today and the next two days once, side by side',
  );
  t.match(await ledgers[4]!.recordCommand(create('M-1'), T0), { kind: 'forward' }, 'every one of them works');
});

t.test("migration 008 moves each order's first status change from the journal to the order row", async (t) => {
  const url = await freshDatabase(t);
  const older = new pg.Client({ connectionString: url });
  await older.connect();
  try {
    await migratePostgres(older, 7);
    await older.query(olderLedgerRows);
  } finally {
    await older.end();
  }
  const { ledger } = await setup(t, {}, url);
  await checkReceivedMoved(t, ledger, async (query) => (await ledger.pool.query(query)).rows);
});

t.test(
  'commits are durable when they return, whatever the database default says (synchronous_commit on)',
  async (t) => {
    const url = await freshDatabase(t);
    await onServer(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET synchronous_commit = off`);
    const { ledger } = await setup(t, {}, url);
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    t.teardown(() => other.end());
    t.equal((await other.query('SHOW synchronous_commit')).rows[0].synchronous_commit, 'off', 'the default here');
    const setting = await ledger.commits.run({}, (tx) =>
      tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit'),
    );
    t.equal(setting.rows[0]?.synchronous_commit, 'on', "the ledger's own transactions");
  },
);

t.test('messages that arrive together share one commit (group commit)', async (t) => {
  const { ledger } = await setup(t);
  const before = ledger.commits.batches;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => ledger.recordCommand(create(`G-${i}`), T0)));
  t.equal(results.filter((r) => r.kind === 'forward').length, 200);
  t.ok(ledger.commits.batches - before <= 2, `200 commands in ${ledger.commits.batches - before} commit(s)`);
  t.equal(ledger.commits.retriedBatches, 0, 'none run again: no unit failed');
});

t.test('one failing unit rolls back alone inside a shared commit', async (t) => {
  const { ledger } = await setup(t);
  const [ok, failed, invalid] = await Promise.allSettled([
    ledger.commits.run({}, (tx) => tx.query(`INSERT INTO journal (at, kind) VALUES (1, 'kept')`)),
    ledger.commits.run({}, async (tx) => {
      await tx.query(`INSERT INTO journal (at, kind) VALUES (1, 'rolled back')`);
      throw new Error('boom');
    }),
    ledger.commits.run({}, async (tx) => {
      tx.send(`INSERT INTO journal (at, kind) VALUES (1, 'rolled back too')`);
      await tx.query('SELECT 1 / 0');
    }),
  ]);
  t.equal(ok.status, 'fulfilled');
  t.match(failed, { status: 'rejected', reason: { message: 'boom' } });
  t.match(invalid, { status: 'rejected', reason: { code: '22012' } }, "the database's own error, unchanged");
  const { rows } = await ledger.pool.query('SELECT kind FROM journal');
  t.same(
    rows.map((row) => row.kind),
    ['kept'],
  );
  t.equal(ledger.commits.batches, 1);
  t.equal(ledger.commits.retriedBatches, 1, 'the batch ran again, a savepoint per unit');
});

t.test('a batch caught in a deadlock is run again, with its batch-mates, and commits', async (t) => {
  const { ledger } = await setup(t);
  const fwd = await ledger.recordCommand(create('D-1'), T0);
  if (fwd.kind !== 'forward') throw new Error('expected forward');
  // Another session holds the order's row, then waits for the lock the batch took on the same order:
  // a cycle PostgreSQL breaks by aborting one side. The other session looks for deadlocks only after
  // 10 s, the batch's after the default 1 s, so the batch is the side aborted and must run again.
  const other = new pg.Client({ connectionString: ledger.pool.options.connectionString });
  await other.connect();
  t.teardown(() => other.end());
  await other.query(`SET deadlock_timeout = '10s'`);
  await other.query('BEGIN');
  await other.query(`UPDATE orders SET updated_at = updated_at WHERE order_id = 'D-1'`);
  const retriesBefore = ledger.commits.retries;
  const fact = ledger.recordCrmFact(
    {
      messageId: 'f-D-1',
      type: 'order.delivered',
      orderId: 'D-1',
      status: 'delivered',
      occurredAt: new Date(T0).toISOString(),
    },
    T0 + 20,
  );
  const mate = ledger.recordCommand(create('D-2'), T0 + 20);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const otherDone = other
    .query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [orderLockClass, 'D-1'])
    .then(() => other.query('COMMIT'));
  const [applied, forwarded] = await Promise.all([fact, mate, otherDone]);
  t.ok(ledger.commits.retries > retriesBefore, `retried ${ledger.commits.retries - retriesBefore} time(s)`);
  t.match(applied, { kind: 'recorded', state: 'applied' }, 'the unit that met the deadlock commits on the retry');
  t.match(forwarded, { kind: 'forward' }, 'so does its batch-mate');
  t.equal((await ledger.getOrder('D-1'))?.state.status, 'delivered');
  t.equal((await ledger.getOrder('D-2'))?.state.status, 'received');
});

t.test('a webhook claim passes over deliveries another gateway is claiming, instead of waiting for them', async (t) => {
  const { ledger } = await setup(t);
  const now = Date.now();
  const deliveries = Array.from({ length: 6 }, (_, i) => ({
    partner: 'shop',
    endpoint: 'https://partner.example/hooks',
    eventId: `ev-${i}`,
    orderId: `W-${i}`,
    payload: '{}',
  }));
  t.equal(await ledger.webhooks.enqueue(deliveries, now), 6);
  const other = new pg.Client({ connectionString: ledger.pool.options.connectionString });
  await other.connect();
  t.teardown(() => other.end());
  await other.query('BEGIN');
  const held = (await other.query('SELECT id FROM webhook_deliveries ORDER BY id LIMIT 3 FOR UPDATE')).rows.map((row) =>
    Number(row.id),
  );
  const options = { limit: 10, perEndpoint: 10, busy: new Map<string, number>(), leaseUntil: now + 60_000 };
  const waited = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 2000).unref());
  const claimed = await Promise.race([ledger.webhooks.claimDue(now + 1, options), waited]);
  if (claimed === 'waited') throw new Error('the claim waited for the rows another gateway holds');
  const all = (await ledger.pool.query<{ id: number }>('SELECT id FROM webhook_deliveries')).rows.map((r) => r.id);
  const byId = (ids: number[]) => [...ids].sort((a, b) => a - b);
  t.same(
    byId(claimed.map((d) => d.id)),
    byId(all.filter((id) => !held.includes(id))),
    'the three deliveries nobody else holds, at once',
  );
  await other.query('ROLLBACK');
  t.same(
    byId((await ledger.webhooks.claimDue(now + 1, options)).map((d) => d.id)),
    byId(held),
    'released, they are claimed next; the ones already leased are not taken again',
  );
});

t.test('the watchdog passes over orders another gateway is working on, instead of waiting for them', async (t) => {
  const { ledger } = await setup(t, {
    acknowledgement: { deadline: '1s', maxAttempts: 3, backoff: 2, evidenceLookup: false },
    stuck: { deadlines: { received: '10s' } },
  });
  for (const id of ['S-BUSY', 'S-FREE', 'O-BUSY', 'O-FREE']) {
    const forward = await ledger.recordCommand(create(id), T0);
    if (forward.kind === 'forward' && id.startsWith('O-')) await ledger.markForwarded(forward.out, T0);
  }
  const other = new pg.Client({ connectionString: ledger.pool.options.connectionString });
  await other.connect();
  t.teardown(() => other.end());
  await other.query('BEGIN');
  for (const id of ['S-BUSY', 'O-BUSY'])
    await other.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [orderLockClass, id]);
  const atOnce = async <T>(work: Promise<T>): Promise<T> => {
    const waited = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 2000).unref());
    const result = await Promise.race([work, waited]);
    if (result === 'waited') throw new Error('the watchdog waited for an order another gateway holds');
    return result;
  };
  const overdue = await ledger.overdueCommands(T0 + 1000, 10);
  t.same(overdue.map((c) => c.orderId).sort(), ['O-BUSY', 'O-FREE']);
  const resolved = await atOnce(
    Promise.all(
      overdue.map(async (c) => ({
        orderId: c.orderId,
        out: await ledger.resolveOverdueCommand(c.rowId, T0 + 1000, undefined),
      })),
    ),
  );
  t.same(
    resolved.map((r) => [r.orderId, r.out.length]).sort(),
    [
      ['O-BUSY', 0],
      ['O-FREE', 1],
    ],
    'the free command is forwarded again, the busy one left for the next tick',
  );
  const flagged = await atOnce(ledger.flagStuckOrders(T0 + 10_000, 10));
  t.same(
    flagged.map((m) => JSON.parse(m.payload).subject).sort(),
    ['O-FREE', 'S-FREE'],
    'flagged stuck: the free orders only',
  );
  await other.query('COMMIT');
  t.same(
    (await ledger.flagStuckOrders(T0 + 10_000, 10)).map((m) => JSON.parse(m.payload).subject).sort(),
    ['O-BUSY', 'S-BUSY'],
    'released, the next tick takes them',
  );
  const [again] = (await ledger.overdueCommands(T0 + 1000, 10)).filter((c) => c.orderId === 'O-BUSY');
  t.match(await ledger.resolveOverdueCommand(again!.rowId, T0 + 1000, undefined), [{ channel: 'mes.command' }]);
});

t.test('the outbox sweep hands each unconfirmed event to one gateway, passing over rows another holds', async (t) => {
  const url = await freshDatabase(t);
  const { ledger } = await setup(t, {}, url);
  const { ledger: replica } = await setup(t, {}, url);
  for (let i = 0; i < 6; i++) {
    await ledger.recordCommand(create(`P-${i}`), T0);
    const fact = { messageId: `f-P-${i}`, type: 'order.delivered', orderId: `P-${i}`, status: 'delivered' as const };
    await ledger.recordCrmFact({ ...fact, occurredAt: new Date(T0).toISOString() }, T0);
  }
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  t.teardown(() => other.end());
  await other.query('BEGIN');
  const held = (
    await other.query(`SELECT id FROM messages WHERE channel = 'order.event' ORDER BY id LIMIT 2 FOR UPDATE`)
  ).rows.map((row) => Number(row.id));
  const now = T0 + 10_000;
  const sweep = (store: PostgresLedger, at: number) => {
    const waited = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 2000).unref());
    return Promise.race([store.unpublished(at - 5000, 10, at), waited]).then((out) => {
      if (out === 'waited') throw new Error('the sweep waited for rows another gateway holds');
      return out.map((m) => m.rowId);
    });
  };
  const [mine, theirs] = await Promise.all([sweep(ledger, now), sweep(replica, now)]);
  t.same(
    [...mine, ...theirs].sort((x, y) => x - y),
    (await ledger.pool.query<{ id: number }>(`SELECT id FROM messages WHERE channel = 'order.event' ORDER BY id`)).rows
      .map((row) => row.id)
      .filter((id) => !held.includes(id)),
    'the four rows nobody held, each to one of the two gateways, at once',
  );
  t.same([await sweep(ledger, now + 1000), await sweep(replica, now + 1000)], [[], []], 'taken: not swept again soon');
  await other.query('ROLLBACK');
  t.same(await sweep(replica, now + 1000), held, 'released, the held rows are swept next');
  t.equal((await sweep(ledger, now + 6000)).length, 6, 'still unconfirmed 5 s after it was taken: swept again');
});

// PostgreSQL ending a connection (a restart, an operator) fails the oldest statement in flight first,
// often one a unit sent ahead, and the one the unit awaits only when the socket closes, a turn later.
t.test('a statement sent ahead that fails while its unit awaits another is no unhandled rejection', async (t) => {
  const url = await freshDatabase(t);
  const { ledger } = await setup(t, {}, url);
  const unhandled: unknown[] = [];
  const note = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', note);
  t.teardown(() => void process.off('unhandledRejection', note));
  const operator = new pg.Client({ connectionString: url });
  await operator.connect();
  t.teardown(() => operator.end());
  const unit = ledger.commits.run({}, async (tx) => {
    const pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    tx.send('SELECT pg_sleep(5)');
    setTimeout(() => void operator.query('SELECT pg_terminate_backend($1)', [pid]), 200);
    await tx.query('SELECT 1');
  });
  await t.rejects(unit, 'the unit fails with its connection');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(unhandled, [], 'the sent statement failed, heard by its unit');
});
