// Several gateways' ledgers on one PostgreSQL database: each hears the others' order changes
// (LISTEN/NOTIFY), and while it cannot, its order resources are read from the ledger, not memory.
import t, { type Test } from 'tap';
import { orderResources } from '../../src/adapters/http/order-resources.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger, type PostgresLedger } from '../../src/ledger/index.js';
import type { ChangeFeedTiming } from '../../src/ledger/postgres/change-feed.js';
import { testConfig } from '../helpers/gateway-config.js';
import { create, T0 } from '../helpers/ledger-conformance.js';
import { freshDatabase } from '../helpers/postgres.js';
import { mesEventInput } from '../fixtures/mes-events.js';
import { waitFor } from '../helpers/wait-for.js';

async function replicas(t: Test, options: { changeFeedTiming?: ChangeFeedTiming; secondListens?: boolean } = {}) {
  const url = await freshDatabase(t);
  const env = testConfig();
  t.teardown(env.remove);
  const policy = ledgerPolicy(env.config);
  const timing = options.changeFeedTiming ? { changeFeedTiming: options.changeFeedTiming } : {};
  const open = (mustExist: boolean) => openPostgresLedger({ url, policy, mustExist, ...timing });
  const a = await open(false);
  t.teardown(() => a.close());
  // Without a feed of its own, B leaves A's the only listening connection on the database.
  const b = await open(options.secondListens === false);
  t.teardown(() => b.close());
  return { a, b };
}

/** Resolves when `ledger`'s listeners hear of `orderId`. */
const heard = (ledger: PostgresLedger, orderId: string) =>
  new Promise<void>((resolve) => {
    const stop = ledger.onOrderChanged((id) => {
      if (id !== orderId) return;
      stop();
      resolve();
    });
  });

const delivered = (orderId: string, messageId: string, at: number) => ({
  messageId,
  type: 'order.delivered',
  orderId,
  status: 'delivered' as const,
  occurredAt: new Date(at).toISOString(),
});

const statusIn = (resource: { body: Buffer } | undefined) =>
  resource && (JSON.parse(resource.body.toString()) as { status: string }).status;

t.test("an order changed through one replica is dropped from the other's memory, and read fresh", async (t) => {
  const { a, b } = await replicas(t);
  const resources = orderResources(a);
  t.teardown(resources.close);
  await Promise.all([heard(a, 'R-1'), b.recordCommand(create('R-1'), T0)]);
  t.equal(statusIn(await resources.load('R-1')), 'received');
  t.equal(statusIn(resources.cached('R-1')), 'received', 'kept in memory');
  const told = heard(a, 'R-1');
  await b.recordCrmFact(delivered('R-1', 'f-R-1', T0), T0 + 1000);
  await told;
  t.equal(resources.cached('R-1'), undefined, 'dropped when replica A heard of the commit');
  t.equal(statusIn(await resources.load('R-1')), 'delivered', 'read again: the change B made');
});

t.test('from one replica’s commit to the other replica’s listener: p50 and p99 over 300 changes', async (t) => {
  const { a, b } = await replicas(t);
  const percentiles = (ms: number[]) => {
    const sorted = [...ms].sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
    return { p50: at(0.5), p99: at(0.99), max: at(1) };
  };
  // From when B's COMMIT returned (its own listener, called at once) and, an upper bound, from when
  // B's write began; B's echo of its own notification is not its commit.
  const sinceCommit: number[] = [];
  const sinceWrite: number[] = [];
  for (let i = 0; i < 300; i++) {
    const id = `L-${i}`;
    let committedAt: number | undefined;
    const stop = b.onOrderChanged((changed) => {
      if (changed === id) committedAt ??= performance.now();
    });
    const told = heard(a, id);
    const began = performance.now();
    await b.recordCommand(create(id), T0);
    await told;
    const heardAt = performance.now();
    stop();
    sinceCommit.push(heardAt - committedAt!);
    sinceWrite.push(heardAt - began);
  }
  const commit = percentiles(sinceCommit);
  const write = percentiles(sinceWrite);
  t.comment(
    `freshness from B's commit returning to A's listener: p50 ${commit.p50} ms, p99 ${commit.p99} ms, max ${commit.max} ms`,
  );
  t.comment(`from B's write starting to A's listener: p50 ${write.p50} ms, p99 ${write.p99} ms, max ${write.max} ms`);
  t.ok(Number(write.p99) <= 100, `p99 ${write.p99} ms ≤ 100 ms, counted from the start of B's write`);
});

t.test('while its listening connection is down, a replica reads orders from the ledger, and keeps none', async (t) => {
  const { a, b } = await replicas(t, {
    changeFeedTiming: { initialDelayMs: 1500, maxDelayMs: 1500, heartbeatMs: 5000 },
    secondListens: false,
  });
  const resources = orderResources(a);
  t.teardown(resources.close);
  await Promise.all([heard(a, 'D-1'), b.recordCommand(create('D-1'), T0)]);
  await resources.load('D-1');
  t.ok(resources.cached('D-1'), 'kept while the feed is up');
  const { rows } = await a.pool.query(
    `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = 'orderbridge changes'`,
  );
  t.same(rows, [{ done: true }], "A's listening connection, the only one, is ended");
  await waitFor(() => !a.changesFollowed(), 5000, 'the replica notices');
  await b.recordCrmFact(delivered('D-1', 'f-D-1', T0), T0 + 1000);
  t.equal(resources.cached('D-1'), undefined, 'nothing served from memory meanwhile');
  t.equal(statusIn(await resources.load('D-1')), 'delivered', "read from the ledger: B's unheard change");
  t.equal(resources.cached('D-1'), undefined, 'and not kept');
  t.notOk(a.changesFollowed(), 'still down while all that happened (the reconnect waits ~1.5 s)');
  await waitFor(() => a.changesFollowed(), 5000, 'the feed reconnects');
  await Promise.all([heard(a, 'D-2'), b.recordCommand(create('D-2'), T0)]);
  await resources.load('D-2');
  t.equal(statusIn(resources.cached('D-2')), 'received', 'kept again once the feed is back');
  const told = heard(a, 'D-2');
  await b.recordCrmFact(delivered('D-2', 'f-D-2', T0), T0 + 1000);
  await told;
  t.equal(resources.cached('D-2'), undefined, "and B's changes are heard again");
});

t.test('one Idempotency-Key submitted through both replicas at once makes one order', async (t) => {
  const { a, b } = await replicas(t);
  const submit = (i: number) =>
    (i % 2 ? a : b).submitPartnerOrder(
      {
        partner: 'shop',
        idempotencyKey: 'K-1',
        requestHash: 'h',
        orderId: `I-${i}`,
        crm: { messageId: `crm-I-${i}`, routingKey: 'partner.order.requested', payload: '{}' },
      },
      T0,
    );
  const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => submit(i)));
  const kinds = results.map((r) => (r.status === 'fulfilled' ? r.value.kind : `failed: ${r.reason}`));
  t.equal(kinds.filter((k) => k === 'submitted').length, 1, 'one submitted');
  t.same(
    kinds.filter((k) => k !== 'submitted'),
    Array(39).fill('in_flight'),
    'the others find its key in flight',
  );
  t.equal((await a.pool.query('SELECT COUNT(*)::int AS n FROM orders')).rows[0].n, 1);
});

t.test(
  "a change one replica writes while another's earlier change of the order is unconfirmed goes out after it",
  async (t) => {
    const { a, b } = await replicas(t);
    const { dialect } = testConfig().config;
    const forwarded = await a.recordCommand(create('H-1'), T0);
    if (forwarded.kind === 'forward') await a.markForwarded(forwarded.out, T0);
    const accepted = await a.recordMesEvent(mesEventInput(dialect, 'ACCEPTED', 'H-1', T0 + 1000), T0 + 1000);
    const cutting = await b.recordMesEvent(mesEventInput(dialect, 'CUTTING', 'H-1', T0 + 2000), T0 + 2000);
    t.match(cutting, { kind: 'recorded', state: 'applied' });
    t.same(cutting.kind === 'recorded' && cutting.publish, [], "B holds its event behind A's");
    if (accepted.kind !== 'recorded') throw new Error('expected recorded');
    const released = await a.markPublished(
      accepted.publish.map((m) => m.rowId),
      T0 + 3000,
    );
    t.same(
      released.map((m) => m.routingKey),
      ['order.status.in_production'],
      "A, confirming its own, publishes B's next",
    );
    t.same(await b.unpublished(T0 + 2999, 10), [], 'no sweep sends it a second time while it is in flight');
  },
);

t.test(
  "an order's events go out in the order they were written, across midnight, whichever day each writer's clock gave their ids",
  async (t) => {
    const { a, b } = await replicas(t);
    const { dialect } = testConfig().config;
    const midnight = Date.parse('2026-11-26T00:00:00Z');
    const forwarded = await a.recordCommand(create('M-1'), midnight - 60_000);
    if (forwarded.kind === 'forward') await a.markForwarded(forwarded.out, midnight - 60_000);
    // A's clock has passed midnight; B's, a little behind, has not: B's later event gets an id of the day before.
    const accepted = await a.recordMesEvent(mesEventInput(dialect, 'ACCEPTED', 'M-1', midnight - 1000), midnight + 5);
    const cutting = await b.recordMesEvent(mesEventInput(dialect, 'CUTTING', 'M-1', midnight - 500), midnight - 5);
    if (accepted.kind !== 'recorded' || cutting.kind !== 'recorded') throw new Error('expected recorded');
    t.same(cutting.publish, [], "B holds its event behind A's");
    const routingKeys = (out: { routingKey: string }[]) => out.map((m) => m.routingKey);
    t.same(
      routingKeys(await b.unpublished(midnight + 60_000, 10)),
      ['order.ack.accepted', 'order.status.accepted'],
      'the sweep offers the events written first, not the one with the lower id',
    );
    t.same(
      routingKeys(
        await a.markPublished(
          accepted.publish.map((m) => m.rowId),
          midnight + 61_000,
        ),
      ),
      ['order.status.in_production'],
      "confirming A's releases B's",
    );
  },
);
