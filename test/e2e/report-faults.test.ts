import t from 'tap';
import { runCli } from '../../src/cli/main.js';
import { validatorFor } from '../../src/contracts/validate.js';
import type { ReconciliationReport } from '../../src/app/report/report.js';
import { runE2e, type E2eRun, stuckOnlyWhenAccepted } from '../helpers/e2e.js';

const validReport = validatorFor<ReconciliationReport>('report');

t.test(
  "after an e2e run with faults the report's counts match the checker's, and each fault is classified",
  async (t) => {
    let json = '';
    const errors: string[] = [];
    const { report: crm, mes } = await runE2e(t, {
      orders: 400,
      rate: 150,
      gateway: {
        'acknowledgement.deadline': '2000ms',
        'acknowledgement.maxAttempts': 1,
        'acknowledgement.evidenceLookup': true,
        'stuck.checkInterval': '250ms',
        'stuck.deadlines': stuckOnlyWhenAccepted('3000ms'),
      },
      mes: [
        '--step-ms',
        '100',
        '--qc-fail-share',
        '0',
        '--drop-share',
        '0.05',
        '--stall-share',
        '0.05',
        '--duplicate-share',
        '0.1',
        '--seed',
        '23',
      ],
      crm: ['--deliver-after-ms', '50'],
      // While the MES still answers: the report asks it about every lost or flagged order.
      beforeStop: async (run: E2eRun) => {
        const io = {
          out: (line: string) => (json += `${line}\n`),
          err: (line: string) => errors.push(line),
          env: { ...run.gatewayEnv, MES_API_URL: `http://127.0.0.1:${run.mesPort}` },
          cwd: process.cwd(),
        };
        t.equal(
          await runCli(['report', '--since', '1h', '--format', 'json'], io),
          0,
          'orderbridge report --format json',
        );
        t.match(
          errors.join('\n'),
          /asking the MES: 1\/\d+[\s\S]*asking the MES: (\d+)\/\1/,
          'off a terminal: plain progress lines, up to the last look-up',
        );
      },
    });
    const report = JSON.parse(json) as ReconciliationReport;
    const valid = validReport(report);
    t.ok(valid.ok, `valid against contracts/ops/report.schema.json${valid.ok ? '' : JSON.stringify(valid.problems)}`);
    const { dropped, stalled } = mes.faults;
    t.ok(
      dropped.length > 5 && stalled.length > 5,
      `the MES dropped ${dropped.length} and stalled ${stalled.length} orders`,
    );

    t.equal(report.commands.received, crm.sent, 'commands received: as many as the CRM sent');
    t.equal(report.commands.lost, dropped.length, 'lost: as many as the MES dropped');
    t.equal(
      report.commands.acknowledged + report.commands.rejected + report.commands.failed,
      crm.sent - dropped.length,
      'acknowledged: every order the MES got',
    );
    t.equal(report.events.consumed, mes.eventsPublished, 'MES events consumed: as many as the MES published');
    t.ok(
      report.events.duplicates >= mes.eventsDuplicated && mes.eventsDuplicated > 0,
      `duplicates seen (${report.events.duplicates}) cover the MES's ${mes.eventsDuplicated} copies`,
    );
    t.equal(
      Object.values(report.stuckByStatus).reduce((a, b) => a + (b ?? 0), 0),
      stalled.length,
      'stuck: as many as the MES stalled',
    );

    const ofKind = (kind: string) =>
      report.discrepancies
        .filter((d) => d.kind === kind)
        .map((d) => d.orderId)
        .sort();
    t.same(
      ofKind('command_never_acknowledged'),
      dropped,
      'each dropped order: command never acknowledged (the MES was asked and does not have it)',
    );
    t.ok(
      report.discrepancies
        .filter((d) => d.kind === 'command_never_acknowledged')
        .every((d) => d.mes?.asked && d.mes.knows === false),
      "with the MES's answer",
    );
    t.same(ofKind('acknowledgement_lost'), [], 'no acknowledgement was lost in this run');
    t.same(ofKind('status_diverged'), [], 'the stalled orders are where the MES holds them: not diverged');
    t.same(ofKind('missing_in_mes'), [], 'the MES lost no order it had acknowledged');
    t.same(ofKind('duplicate_seen'), [], 'duplicates need no action: not among the discrepancies needing it');
    t.ok(
      report.informational.items.filter((d) => d.kind === 'duplicate_seen').length > 0 &&
        report.informational.byKind.duplicate_seen ===
          report.informational.items.filter((d) => d.kind === 'duplicate_seen').length,
      'duplicates counted apart, each one listed in informational.items',
    );
    t.equal(
      report.reconciliation.asked,
      dropped.length + stalled.length,
      'the MES was asked about every lost or stuck order',
    );
    const listed = report.needsAction.items.map((item) => item.orderId);
    t.same(
      [...listed].sort(),
      [...dropped, ...stalled].sort(),
      'the action list names exactly the orders the MES dropped or stalled',
    );
    t.same(
      listed.slice(0, dropped.length).sort(),
      dropped,
      'the dropped ones first: the MES says it does not know them',
    );
    t.ok(
      report.needsAction.items.slice(dropped.length).every((item) => item.reasons[0] === 'stuck'),
      'then the stalled ones, stuck',
    );
  },
);
