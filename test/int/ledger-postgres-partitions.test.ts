// The PostgreSQL ledger's day partitions: made ahead by several gateways at once, duplicates found
// across days, retention dropping whole days while keeping what is still needed, the migration of
// an unpartitioned ledger. Times are explicit: each scene is laid out over days, nothing sleeps.
import pg from 'pg';
import t, { type Test } from 'tap';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openPostgresLedger, type PostgresLedger } from '../../src/ledger/index.js';
import { migratePostgres } from '../../src/ledger/postgres/migrate.js';
import { dayMs, dayPartitions, partitionName, rowIdsWithin } from '../../src/ledger/postgres/partitions.js';
import { applyMesEvent, createAndForward, createCommandInput, mesEventInput } from '../fixtures/mes-events.js';
import { testConfig } from '../helpers/gateway-config.js';
import { freshDatabase } from '../helpers/postgres.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-25T10:00:00Z');
const dayOf = (ms: number) => Math.floor(ms / dayMs);
const danglingCauses =
  'SELECT COUNT(*)::int AS n FROM messages m WHERE m.cause_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.id = m.cause_id)';

async function open(t: Test, url?: string) {
  const env = testConfig();
  t.teardown(env.remove);
  const at = url ?? (await freshDatabase(t));
  const ledger = await openPostgresLedger({ url: at, policy: ledgerPolicy(env.config) });
  t.teardown(() => ledger.close());
  const count = async (sql: string) => Number((await ledger.pool.query(sql)).rows[0]?.n);
  return { ledger, url: at, config: env.config, count };
}

/** Which partition holds the message (channel, messageId). */
async function partitionOf(ledger: PostgresLedger, channel: string, messageId: string): Promise<string> {
  const { rows } = await ledger.pool.query(
    'SELECT tableoid::regclass::text AS part FROM messages WHERE channel = $1 AND message_id = $2',
    [channel, messageId],
  );
  return rows.map((row) => row.part).join(',');
}

t.test('a duplicate of a message from an earlier day is recognised in a later one', async (t) => {
  const { ledger, config, count } = await open(t);
  await ledger.retention.partitions.ensureDays(NOW - 2 * dayMs, NOW);
  const yesterday = NOW - dayMs;
  await createAndForward(ledger, 'DUP-1', yesterday);
  await applyMesEvent(ledger, config.dialect, 'ACCEPTED', 'DUP-1', yesterday + HOUR);
  t.equal(
    await partitionOf(ledger, 'crm.command', 'crm-DUP-1'),
    partitionName('messages', dayOf(yesterday)),
    "yesterday's command is in yesterday's partition",
  );
  t.same(
    await ledger.recordCommand(createCommandInput('DUP-1', yesterday), NOW),
    { kind: 'already_forwarded' },
    'the same command today is a duplicate',
  );
  t.match(
    await ledger.recordMesEvent(mesEventInput(config.dialect, 'ACCEPTED', 'DUP-1', yesterday + HOUR), NOW),
    { kind: 'duplicate' },
    'the same MES event today is a duplicate',
  );
  t.equal(
    await count(`SELECT COUNT(*)::int AS n FROM messages WHERE order_id = 'DUP-1' AND created_at >= ${NOW}`),
    0,
    'nothing new recorded',
  );
  t.equal(
    await count("SELECT deliveries AS n FROM messages WHERE channel = 'crm.command' AND message_id = 'crm-DUP-1'"),
    2,
    'the repeat is counted on the first copy',
  );
});

t.test('gateways make partitions ahead together; rows written while their day had none move into it', async (t) => {
  const { ledger, url, count } = await open(t);
  const others = await Promise.all([open(t, url), open(t, url)]);
  // The start of a day far from the real today, whose partitions opening the ledger did not make:
  // its first hours, whatever the hour now (an hour past 23:00 would be the next day's).
  const ahead = (dayOf(Date.now()) + 30) * dayMs;
  // Nobody made the partitions of that day yet: the write lands in the DEFAULT partition.
  await createAndForward(ledger, 'EARLY-1', ahead + HOUR);
  // A second copy of the command: journalled as a duplicate delivery.
  await ledger.recordCommand(createCommandInput('EARLY-1', ahead), ahead + HOUR);
  t.equal(await partitionOf(ledger, 'crm.command', 'crm-EARLY-1'), 'messages_default');
  const made = await Promise.all(
    [ledger, ...others.map((o) => o.ledger)].map((l) => l.retention.createPartitionsAhead(ahead)),
  );
  t.same(
    made.flatMap((m) => m.created).sort(),
    [0, 1, 2]
      .flatMap((i) => [partitionName('messages', dayOf(ahead) + i), partitionName('journal', dayOf(ahead) + i)])
      .sort(),
    'each partition made once, by one of the three',
  );
  t.equal(
    made.reduce((n, m) => n + m.moved, 0),
    3,
    'the two messages and the journal entry (the duplicate) written early moved into it',
  );
  t.equal(await partitionOf(ledger, 'crm.command', 'crm-EARLY-1'), partitionName('messages', dayOf(ahead)));
  t.equal(await count('SELECT COUNT(*)::int AS n FROM messages_default'), 0, 'the DEFAULT partition is empty again');
  t.same(
    await ledger.recordCommand(createCommandInput('EARLY-1', ahead), ahead + 2 * HOUR),
    { kind: 'already_forwarded' },
    'and the moved command is still known',
  );
});

t.test('a report window reads only the partitions of its days', async (t) => {
  const { ledger } = await open(t);
  await ledger.retention.partitions.ensureDays(NOW - 5 * dayMs, NOW);
  const from = NOW - 2 * dayMs;
  const plan = (
    await ledger.pool.query(
      `EXPLAIN SELECT channel, state, COUNT(*) FROM messages m
       WHERE m.created_at >= $1 AND m.created_at < $2 AND ${rowIdsWithin('m.id', '$1', '$2')}
       GROUP BY channel, state`,
      [from, from + dayMs],
    )
  ).rows
    .map((row) => row['QUERY PLAN'])
    .join('\n');
  const read = [...plan.matchAll(/on (messages_\w+)/g)].map((m) => m[1]);
  t.same(
    [...new Set(read)].sort(),
    [partitionName('messages', dayOf(from)), partitionName('messages', dayOf(from) + 1)],
    `the window's two days, of ${(await dayPartitions(ledger.pool)).messages.length} days`,
  );
});

t.test(
  'retention drops whole days and keeps what open work and flagged orders need, until the flag clears',
  async (t) => {
    const { ledger, url, config, count } = await open(t);
    const day = (n: number) => (dayOf(NOW) + n) * dayMs;
    await ledger.retention.partitions.ensureDays(day(-36), NOW);
    const mes = (state: string, orderId: string, at: number) =>
      applyMesEvent(ledger, config.dialect, state, orderId, at);

    // Day -35: 50 orders the MES rejected (final: nothing needs them); one whose command the MES
    // never answered; one whose order events the broker never confirmed.
    for (let i = 0; i < 50; i++) {
      await createAndForward(ledger, `FINAL-${i}`, day(-35) + HOUR);
      await mes('REJECTED', `FINAL-${i}`, day(-35) + 2 * HOUR);
    }
    await createAndForward(ledger, 'OPEN', day(-35) + HOUR);
    await createAndForward(ledger, 'UNCONF', day(-35) + HOUR);
    await ledger.recordMesEvent(
      mesEventInput(config.dialect, 'ACCEPTED', 'UNCONF', day(-35) + 2 * HOUR),
      day(-35) + 2 * HOUR,
    );
    // Flagged lost over days -35 and -34 (the MES never answered), then cancelled: final, still flagged.
    await createAndForward(ledger, 'LOST', day(-35) + 20 * HOUR);
    const resolve = async (orderId: string, at: number) => {
      const due = (await ledger.overdueCommands(at, 100)).find((d) => d.orderId === orderId);
      if (!due) throw new Error(`${orderId} not overdue at ${new Date(at).toISOString()}`);
      const out = await ledger.resolveOverdueCommand(due.rowId, at, undefined);
      await ledger.markPublished(
        out.filter((o) => o.channel === 'order.event').map((o) => o.rowId),
        at,
      );
    };
    for (let hour = 21; hour <= 23; hour++) await resolve('LOST', day(-35) + hour * HOUR);
    const cancelled = await ledger.recordCrmFact(
      {
        messageId: 'crm-fact-LOST',
        type: 'order.cancelled',
        orderId: 'LOST',
        status: 'cancelled',
        occurredAt: new Date(day(-34) + HOUR).toISOString(),
      },
      day(-34) + HOUR,
    );
    if (cancelled.kind === 'recorded' || cancelled.kind === 'duplicate')
      await ledger.markPublished(
        cancelled.publish.map((p) => p.rowId),
        day(-34) + HOUR,
      );
    t.match(await ledger.getOrder('LOST'), { attention: { kind: 'lost' } }, 'an order flagged lost');
    // Day -36: accepted, then flagged stuck past its status deadline.
    await createAndForward(ledger, 'STUCK', day(-36) + HOUR);
    await mes('ACCEPTED', 'STUCK', day(-36) + 2 * HOUR);
    const flagged = await ledger.flagStuckOrders(day(-36) + 23 * HOUR, 10);
    await ledger.markPublished(
      flagged.map((o) => o.rowId),
      day(-36) + 23 * HOUR,
    );
    t.match(await ledger.getOrder('STUCK'), { attention: { kind: 'stuck' } }, 'an order flagged stuck');
    // A command sent late on day -35 whose order was flagged lost on day -34, and the flag cleared
    // the same day by the MES's late acceptance: the command's day goes, a later message it caused stays.
    await createAndForward(ledger, 'CROSS', day(-35) + 23 * HOUR);
    for (const hour of [0, 1, 2]) await resolve('CROSS', day(-34) + hour * HOUR + 30 * 60_000);
    t.match(await ledger.getOrder('CROSS'), { attention: { kind: 'lost' } });
    await mes('ACCEPTED', 'CROSS', day(-34) + 3 * HOUR);
    t.equal((await ledger.getOrder('CROSS'))?.attention, null, "CROSS's flag cleared by the late acceptance");
    // Yesterday: recent.
    await createAndForward(ledger, 'RECENT', day(-1) + HOUR);
    await mes('ACCEPTED', 'RECENT', day(-1) + 2 * HOUR);

    const timelines = { LOST: await ledger.timeline('LOST'), STUCK: await ledger.timeline('STUCK') };
    const openRows = await count(
      "SELECT COUNT(*)::int AS n FROM messages WHERE order_id IN ('OPEN', 'UNCONF') AND (state IN ('received', 'forwarded', 'pending') OR due_at IS NOT NULL)",
    );
    t.ok(openRows >= 3, `open work before pruning: ${openRows} rows`);

    // Everything before day -34 is past the retention: days -36 and -35 go whole.
    const first = await ledger.retention.pruneOlderThan(day(-34), 500);
    const days = await dayPartitions(ledger.pool);
    t.same(
      [days.messages[0], days.journal[0]],
      [dayOf(day(-34)), dayOf(day(-34))],
      'the partitions of days -36 and -35 are dropped, day -34 is the oldest',
    );
    t.ok(first.messages >= 150 && first.journal >= 100, `rows dropped with them: ${JSON.stringify(first)}`);
    t.equal(
      await count("SELECT COUNT(*)::int AS n FROM messages WHERE order_id LIKE 'FINAL-%'"),
      0,
      "the rejected orders' messages are gone",
    );
    t.equal(
      await count("SELECT COUNT(*)::int AS n FROM message_keys WHERE message_id LIKE '%FINAL-%'"),
      0,
      'and their keys',
    );
    t.equal(
      await count(
        "SELECT COUNT(*)::int AS n FROM messages WHERE order_id IN ('OPEN', 'UNCONF') AND (state IN ('received', 'forwarded', 'pending') OR due_at IS NOT NULL)",
      ),
      openRows,
      'a command waiting for the MES and events the broker never confirmed stay',
    );
    t.same(
      await ledger.recordCommand(createCommandInput('OPEN', day(-35) + HOUR), NOW),
      { kind: 'already_forwarded' },
      'a kept command is still recognised when it comes again',
    );
    t.same(await ledger.timeline('LOST'), timelines.LOST, "the lost order's whole timeline stays");
    t.same(await ledger.timeline('STUCK'), timelines.STUCK, "the stuck order's whole timeline stays");
    t.ok(
      (await count(
        "SELECT COUNT(*)::int AS n FROM messages WHERE order_id = 'CROSS' AND channel IN ('crm.command', 'mes.command') AND tableoid = 'messages_default'::regclass",
      )) === 2,
      "CROSS's command and MES command stay: an order event of day -34 was caused by the MES command",
    );
    t.equal(await count(danglingCauses), 0, 'no message points at a dropped cause');
    t.equal(
      await count(
        'SELECT COUNT(*)::int AS n FROM messages_default d WHERE NOT EXISTS (SELECT 1 FROM message_keys k WHERE k.row_id = d.id)',
      ),
      0,
      'every kept message still has its key (those taken before the drop are given back)',
    );
    t.same(
      await ledger.recordCommand(createCommandInput('CROSS', day(-35) + 23 * HOUR), NOW),
      { kind: 'already_forwarded' },
      "so CROSS's kept command, final before the drop, is still a duplicate when it comes again",
    );

    // Two gateways prune at once, later: one does it, the other skips that tick.
    const other = (await open(t, url)).ledger;
    // The stuck order moves on: its flag clears, its old rows may go.
    await mes('CUTTING', 'STUCK', NOW - HOUR);
    t.equal((await ledger.getOrder('STUCK'))?.attention, null, 'the flag cleared by progress');
    const both = await Promise.all([
      ledger.retention.pruneOlderThan(NOW - 30 * dayMs, 500),
      other.retention.pruneOlderThan(NOW - 30 * dayMs, 500),
    ]);
    t.ok(
      both.some((pruned) => Object.values(pruned).every((n) => n === 0)),
      `one of the two gateways pruned, the other skipped: ${JSON.stringify(both)}`,
    );
    t.equal(
      (await dayPartitions(ledger.pool)).messages[0],
      dayOf(NOW - 30 * dayMs),
      "every day before the cutoff's is dropped",
    );
    t.equal(
      await count(
        `SELECT COUNT(*)::int AS n FROM messages WHERE order_id IN ('STUCK', 'CROSS') AND created_at < ${NOW - 30 * dayMs}`,
      ),
      0,
      "the unflagged orders' old messages are gone now",
    );
    t.equal(
      await count(`SELECT COUNT(*)::int AS n FROM journal WHERE order_id = 'STUCK' AND at < ${NOW - 30 * dayMs}`),
      0,
    );
    t.ok(
      (await count("SELECT COUNT(*)::int AS n FROM messages WHERE order_id = 'STUCK'")) > 0,
      'its recent message stays',
    );
    t.same(await ledger.timeline('LOST'), timelines.LOST, 'the still flagged order keeps its whole timeline');
    t.equal(
      await count(
        "SELECT COUNT(*)::int AS n FROM messages WHERE order_id IN ('OPEN', 'UNCONF') AND (state IN ('received', 'forwarded', 'pending') OR due_at IS NOT NULL)",
      ),
      openRows,
      'open work still stays',
    );
    t.ok((await count("SELECT COUNT(*)::int AS n FROM messages WHERE order_id = 'RECENT'")) >= 3, 'recent rows stay');
    t.equal(await count(danglingCauses), 0, 'still no dangling cause');
    t.equal(
      await count(
        'SELECT COUNT(*)::int AS n FROM message_keys k WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = k.row_id)',
      ),
      0,
      'no key outlives its message',
    );
  },
);

t.test('an unpartitioned ledger migrates without losing a row, its references renumbered', async (t) => {
  const url = await freshDatabase(t);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  await migratePostgres(client, 2);
  // An old ledger's rows over three days: each CRM command caused an MES command; journal entries
  // point at messages.
  for (let i = 0; i < 30; i++) {
    const at = NOW - (i % 3) * dayMs - i * 1000;
    const { rows } = await client.query(
      `INSERT INTO messages (direction, channel, type, message_id, order_id, state, created_at, updated_at)
       VALUES ('in', 'crm.command', 'order.create', $1, $2, 'acknowledged', $3, $3) RETURNING id`,
      [`crm-OLD-${i}`, `OLD-${i}`, at],
    );
    const { rows: out } = await client.query(
      `INSERT INTO messages (direction, channel, type, message_id, cause_id, order_id, state, payload, routing_key, created_at, updated_at)
       VALUES ('out', 'mes.command', 'order.create', $1, $2, $3, 'published', '{}', 'CREATE_ORDER', $4, $4) RETURNING id`,
      [`mes-OLD-${i}`, rows[0].id, `OLD-${i}`, at],
    );
    await client.query(
      `INSERT INTO journal (at, order_id, message_row, kind, detail) VALUES ($1, $2, $3, 'command_accepted', '{}')`,
      [at, `OLD-${i}`, out[0].id],
    );
  }
  const snapshot = async (c: pg.Client | pg.Pool) =>
    (
      await c.query(`
        SELECT m.message_id, m.state, m.created_at, c.message_id AS cause, j.kind AS journalled
        FROM messages m LEFT JOIN messages c ON c.id = m.cause_id LEFT JOIN journal j ON j.message_row = m.id
        ORDER BY m.message_id`)
    ).rows;
  const before = await snapshot(client);
  t.equal(before.length, 60);

  const { ledger } = await open(t, url);
  t.same(await snapshot(ledger.pool), before, 'every message, its cause and its journal entry, after the migration');
  const days = await dayPartitions(ledger.pool);
  t.ok(
    [0, 1, 2].every((n) => days.messages.includes(dayOf(NOW) - n) && days.journal.includes(dayOf(NOW) - n)),
    'each day of the old rows has its partitions',
  );
  t.equal(
    Number((await ledger.pool.query('SELECT COUNT(*) AS n FROM messages_default')).rows[0].n),
    0,
    'nothing in DEFAULT',
  );
  t.same(
    await ledger.recordCommand(createCommandInput('OLD-4', NOW), NOW + HOUR),
    { kind: 'already_forwarded' },
    'an old message coming again is a duplicate',
  );
  t.match(
    await ledger.recordCommand(createCommandInput('NEW-1', NOW), NOW + HOUR),
    { kind: 'forward' },
    'new ones go through',
  );
});
