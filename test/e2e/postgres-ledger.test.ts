import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';
import { freshDatabase } from '../helpers/postgres.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });

t.test('400 orders on a PostgreSQL ledger (DATABASE_URL): every order resolved, the checker clean', async (t) => {
  // Trust auth takes any password: this one only has to stay out of every log.
  const url = (await freshDatabase(t)).replace('postgres@', 'postgres:e2e-pw-never-logged@');
  const { report, mes, ledger, gatewayLog } = await runE2e(t, {
    orders: 400,
    rate: 200,
    postgresUrl: url,
    mes: ['--step-ms', '20', '--qc-fail-share', '0.1'],
    crm: ['--deliver-after-ms', '50'],
    timeoutMs: 60_000,
  });
  t.match(
    gatewayLog,
    `"ledger":"${url.replace('e2e-pw-never-logged', '***')}"`,
    'the gateway ran on the PostgreSQL ledger',
  );
  t.notMatch(gatewayLog, 'e2e-pw-never-logged', 'its password never in the log');
  const check = checkRun(report, mes, ledger, dialect);
  t.equal(report.sent, 400, 'the CRM sent 400 orders');
  t.equal(report.acknowledged.accepted, 400, 'the CRM heard 400 acceptances');
  t.same(report.unanswered, [], 'no order without an answer');
  t.same(check.lost, [], 'lost: 0');
  t.equal(check.duplicated, 0, 'duplicated effects in the MES: 0');
  t.same(check.unexpected, [], 'unexpected: 0');
  t.same(check.mismatched, [], 'every final status matches the MES and the CRM');
  t.same(check.flaggedLost, []);
  t.same(check.flaggedStuck, []);
  t.same(ledger.prepare(`SELECT state, COUNT(*) n FROM messages WHERE channel = 'crm.command' GROUP BY state`).all(), [
    { state: 'acknowledged', n: 400 },
  ]);
  t.equal(ledger.prepare(`SELECT COUNT(*) FROM orders WHERE status = 'delivered'`).pluck().get(), 400, 'all delivered');
  t.equal(
    ledger.prepare(`SELECT COUNT(*) FROM messages WHERE state = 'pending'`).pluck().get(),
    0,
    'every order event confirmed',
  );
});
