import t from 'tap';
import { ledgerPolicy, openLedger } from '../../src/ledger/index.js';
import { readNeedsActionRows } from '../../src/ledger/sqlite/needs-action.js';
import { readReportRows } from '../../src/ledger/sqlite/report.js';
import { withLongestStall } from '../helpers/event-loop-stall.js';
import { testConfig } from '../helpers/gateway-config.js';
import { testLedgerDrivers } from '../helpers/ledger-drivers.js';

// A gateway's SQLite ledger reads a report's rows on a thread of its own: better-sqlite3 answers
// synchronously, so in the gateway's thread each report query would stall every partner request for
// as long as it runs. Compared in the same run, on the same ledger: the longest stall of the main
// thread's event loop while the report reads in this thread, and while it reads in the ledger's.

const from = Date.parse('2026-12-01T00:00:00Z');
const to = from + 86_400_000;

t.test("a report's reads of the gateway's SQLite ledger keep off its event loop, and read the same rows", async (t) => {
  const env = testConfig();
  t.teardown(() => env.remove());
  const sqlite = testLedgerDrivers.find((driver) => driver.name === 'sqlite')!;
  const { ledger } = await sqlite.open(t, env.config, { synchronous: 'NORMAL' });
  const db = (ledger as unknown as { db: import('better-sqlite3').Database }).db;
  // 300,000 messages of one day: enough that the report's single pass over the window takes a while.
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
     INSERT INTO messages (direction, channel, type, message_id, order_id, state, attempts, created_at, updated_at)
     SELECT 'in', CASE i % 3 WHEN 0 THEN 'crm.command' WHEN 1 THEN 'mes.event' ELSE 'crm.fact' END, 'x',
       'm-' || i, 'O-' || (i % 5000), CASE i % 7 WHEN 0 THEN 'invalid' ELSE 'acknowledged' END, 1 + i % 2,
       @from + i * 250, @from + i * 250 FROM n`,
  ).run({ from });

  // The thread starts at the first report (its start-up is the gateway's, once): started here.
  t.same(await ledger.needsActionRows(from, to), readNeedsActionRows(db, from, to), 'the same needs-action rows');
  const inThisThread = await withLongestStall(() => readReportRows(db, from, to, to));
  let betweens = 0;
  const inItsThread = await withLongestStall(() =>
    ledger.reportRows(from, to, to, async () => {
      betweens += 1;
    }),
  );
  t.same(inItsThread.value, inThisThread.value, 'the same rows as read in this thread');
  t.ok(betweens > 0, `the caller's pacing still runs between the queries (${betweens} times)`);
  t.ok(
    inThisThread.stallMs >= 20,
    `read in this thread, the report stalled the event loop ${inThisThread.stallMs.toFixed(1)} ms (enough to compare)`,
  );
  t.ok(
    inItsThread.stallMs < inThisThread.stallMs / 3,
    `read in the ledger's thread, the longest stall was ${inItsThread.stallMs.toFixed(1)} ms (in this thread: ${inThisThread.stallMs.toFixed(1)} ms)`,
  );

  // An ops command (orderbridge report) serves no one meanwhile: it reads in its own thread, and
  // starts no worker (a start-up of its own, for nothing).
  const ops = await openLedger(
    { driver: 'sqlite', path: env.config.gateway.ledger.path, synchronous: 'NORMAL' },
    { policy: ledgerPolicy(env.config), access: 'write' },
  );
  t.teardown(() => ops.close());
  const inOpsCommand = await withLongestStall(() => ops.reportRows(from, to, to));
  t.same(inOpsCommand.value, inThisThread.value, "an ops command's ledger reads the same rows");
  t.ok(
    inOpsCommand.stallMs >= inThisThread.stallMs / 3,
    `an ops command's ledger reads in its own thread: its longest stall was ${inOpsCommand.stallMs.toFixed(1)} ms`,
  );
});
