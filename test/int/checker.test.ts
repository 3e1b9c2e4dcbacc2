import t from 'tap';
import type { CrmReport } from '../../sim/crm/report.js';
import type { MesStats } from '../../sim/mes/stats.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { createAndForward } from '../fixtures/mes-events.js';
import { checkRun } from '../helpers/checker.js';
import { testConfig } from '../helpers/gateway-config.js';

// The e2e checker is the judge of every fault test: it must see a command the watchdog would
// never act on, whatever the gateway's own counters say.
t.test('the checker counts an order lost when its forwarded command has no acknowledgement deadline', async (t) => {
  const env = testConfig();
  const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(env.config) });
  t.teardown(async () => {
    await ledger.close();
    env.remove();
  });
  const now = Date.now();
  for (const orderId of ['A-1', 'A-2']) await createAndForward(ledger, orderId, now);
  ledger.db.prepare(`UPDATE messages SET due_at = NULL WHERE channel = 'mes.command' AND order_id = 'A-2'`).run();

  const sent = { orders: { 'A-1': { status: 'received' }, 'A-2': { status: 'received' } } } as unknown as CrmReport;
  const mes = { orders: {}, duplicateOrders: 0 } as unknown as MesStats;
  const check = checkRun(sent, mes, ledger.db, env.config.dialect);
  t.same(check.forwardedWithoutDeadline, ['A-2']);
  t.ok(check.lost.includes('A-2'), 'and lost');
});
