import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });

t.test('2,000 orders without faults: every order acknowledged, final statuses as the MES holds them', async (t) => {
  const { report, mes, ledger } = await runE2e(t, {
    orders: 2000,
    rate: 500,
    mes: ['--step-ms', '20', '--qc-fail-share', '0.1'],
    crm: ['--deliver-after-ms', '50'],
  });
  const check = checkRun(report, mes, ledger, dialect);
  t.equal(report.sent, 2000, 'the CRM sent 2,000 orders');
  t.equal(report.acknowledged.accepted, 2000, 'the CRM heard 2,000 acceptances');
  t.same(report.unanswered, [], 'no order without an answer');
  t.same(check.lost, [], 'lost: 0');
  t.equal(check.duplicated, 0, 'duplicated effects in the MES: 0');
  t.same(check.unexpected, [], 'unexpected: 0');
  t.same(check.mismatched, [], 'every final status matches the MES and the CRM');
  t.same(check.flaggedLost, []);
  t.same(check.flaggedStuck, []);
  t.same(ledger.prepare(`SELECT state, COUNT(*) n FROM messages WHERE channel = 'crm.command' GROUP BY state`).all(), [
    { state: 'acknowledged', n: 2000 },
  ]);
  t.equal(
    ledger.prepare(`SELECT COUNT(*) FROM orders WHERE status = 'delivered'`).pluck().get(),
    2000,
    'all delivered',
  );
  t.equal(
    ledger.prepare(`SELECT COUNT(*) FROM messages WHERE state = 'pending'`).pluck().get(),
    0,
    'every order event confirmed',
  );
});
