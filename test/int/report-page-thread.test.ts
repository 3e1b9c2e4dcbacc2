import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { ReportPageThread } from '../../src/app/report/page-thread.js';
import { produceReport, reportNiceness } from '../../src/app/report/produce-report.js';
import { reportPage } from '../../src/app/report/report-page.js';
import { ledgerTarget } from '../../src/ledger/index.js';
import { withLongestStall } from '../helpers/event-loop-stall.js';
import { testConfig } from '../helpers/gateway-config.js';
import { testLedgerDrivers } from '../helpers/ledger-drivers.js';

// A gateway renders /ops pages on a thread of its own: reading a big window, assembling the report
// and writing its HTML take seconds, and on the gateway's thread every partner request would wait
// behind them. Compared in the same run, on the same ledger: the page, and the longest stall of this
// thread's event loop while the page renders here and while it renders on the page thread.

const from = Date.parse('2026-12-01T00:00:00Z');
const to = from + 86_400_000;

t.test('a report page renders off the event loop, byte for byte the page rendered in this thread', async (t) => {
  const env = testConfig();
  t.teardown(() => env.remove());
  const sqlite = testLedgerDrivers.find((driver) => driver.name === 'sqlite')!;
  const { ledger, config } = await sqlite.open(t, env.config, { synchronous: 'NORMAL' });
  const db = (ledger as unknown as { db: import('better-sqlite3').Database }).db;
  // 120,000 messages of one day, a share of them invalid: a page big enough to take a while.
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
     INSERT INTO messages (direction, channel, type, message_id, order_id, state, attempts, reason, created_at, updated_at)
     SELECT 'in', CASE i % 3 WHEN 0 THEN 'crm.command' WHEN 1 THEN 'mes.event' ELSE 'crm.fact' END, 'x',
       'm-' || i, 'O-' || (i % 5000), CASE i % 97 WHEN 0 THEN 'invalid' ELSE 'acknowledged' END, 1 + i % 2,
       CASE i % 97 WHEN 0 THEN 'not valid JSON <here>' END, @from + i * 700, @from + i * 700 FROM n`,
  ).run({ from });
  const recorded: string[] = [];
  const thread = new ReportPageThread({
    config,
    target: ledgerTarget(config.gateway.ledger),
    ledger: {
      recordReconciliation: async (orderId) => {
        recorded.push(orderId);
      },
    },
  });
  t.teardown(() => thread.close());
  const request = { from, to, now: to, lang: 'en', maxLookups: 0 } as const;
  const ownNiceness = nicenessOf('/proc/self/stat');
  t.not(ownNiceness, reportNiceness, 'this process does not start at the report niceness');
  t.notOk(threadNiceness().includes(reportNiceness), 'nor does any of its threads');
  // The thread starts at the first page (once per gateway): started here, outside the comparison.
  await thread.render({ ...request, format: 'csv' });
  t.ok(threadNiceness().includes(reportNiceness), `the page thread runs at nice ${reportNiceness}`);
  t.equal(nicenessOf('/proc/self/stat'), ownNiceness, "the gateway's own thread keeps its niceness");

  const inThisThread = await withLongestStall(async () =>
    reportPage(await produceReport({ config, ledger, ...request }), 'html', 'en'),
  );
  // Off this thread, a stall is noise (the scheduler, a collection): the quietest of three renders.
  const offThread = [];
  for (let i = 0; i < 3; i++)
    offThread.push(await withLongestStall(() => thread.render({ ...request, format: 'html' })));
  const inItsThread = offThread.reduce((quietest, render) => (render.stallMs < quietest.stallMs ? render : quietest));
  t.ok(inThisThread.value.byteLength > 100_000, `a page of ${inThisThread.value.byteLength} bytes`);
  t.same(Buffer.from(inItsThread.value), Buffer.from(inThisThread.value), 'the same page, byte for byte');
  const json = await thread.render({ ...request, format: 'json' });
  t.same(
    JSON.parse(Buffer.from(json).toString('utf8')),
    (await produceReport({ config, ledger, ...request })).report,
    'the same report as JSON',
  );
  t.same(recorded, [], 'the MES was not asked, so nothing was noted');
  t.ok(
    inThisThread.stallMs >= 20,
    `rendered in this thread, the page stalled the event loop ${inThisThread.stallMs.toFixed(1)} ms (enough to compare)`,
  );
  t.ok(
    inItsThread.stallMs < inThisThread.stallMs / 3,
    `rendered on the page thread, the longest stall was ${inItsThread.stallMs.toFixed(1)} ms (in this thread: ${inThisThread.stallMs.toFixed(1)} ms)`,
  );
});

/** The nice value in a /proc stat file (field 19; the command name before it may hold spaces). */
function nicenessOf(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice value of every thread of this process. */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((thread) => nicenessOf(`/proc/self/task/${thread}/stat`));
}
