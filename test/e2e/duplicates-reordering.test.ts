import t from 'tap';
import { loadConfig } from '../../src/config/index.js';
import { checkRun } from '../helpers/checker.js';
import { defaultConfigDir } from '../helpers/config-dir.js';
import { runE2e } from '../helpers/e2e.js';

const { dialect } = loadConfig({ dir: defaultConfigDir, env: {} });

t.test(
  'every MES event duplicated and reordered within windows of 50: final states identical to a clean run',
  async (t) => {
    const runId = `dr${Date.now().toString(36)}`;
    const common = {
      orders: 400,
      rate: 200,
      runId,
      gateway: { 'stuck.checkInterval': '250ms', 'stuck.deadlines.accepted': '4s' },
      crm: ['--deliver-after-ms', '50'],
    };
    const faults = [
      '--step-ms',
      '40',
      '--seed',
      '5',
      '--reject-share',
      '0.05',
      '--stall-share',
      '0.05',
      '--error-share',
      '0.1',
      '--qc-fail-share',
      '0.2',
    ];
    const clean = await runE2e(t, { ...common, mes: faults });
    const messy = await runE2e(t, { ...common, mes: [...faults, '--duplicate-share', '1', '--reorder-window', '50'] });

    const cleanCheck = checkRun(clean.report, clean.mes, clean.ledger, dialect);
    const messyCheck = checkRun(messy.report, messy.mes, messy.ledger, dialect);
    t.ok(
      messy.mes.eventsDuplicated >= messy.mes.eventsPublished - 1,
      `every event went out twice (${messy.mes.eventsDuplicated} copies of ${messy.mes.eventsPublished})`,
    );
    const outOfOrder = messy.ledger
      .prepare(`SELECT COUNT(*) FROM messages WHERE channel = 'mes.event' AND state = 'out_of_order'`)
      .pluck()
      .get() as number;
    t.ok(outOfOrder > 0, `the reordering was real: ${outOfOrder} events arrived late and were recorded out_of_order`);
    const statuses = Object.values(cleanCheck.finalStatuses);
    t.ok(new Set(statuses).size >= 3, `final statuses vary: ${[...new Set(statuses)].join(', ')}`);
    t.same(messyCheck.finalStatuses, cleanCheck.finalStatuses, 'identical final status for every order');
    t.same(messyCheck.flaggedStuck, cleanCheck.flaggedStuck, 'the same orders flagged stuck');
    for (const check of [cleanCheck, messyCheck]) {
      t.same(check.lost, []);
      t.equal(check.duplicated, 0);
      t.same(check.mismatched, []);
    }
    t.equal(messy.report.duplicateEventsHeard, 0, 'the CRM heard no event twice');
  },
);
