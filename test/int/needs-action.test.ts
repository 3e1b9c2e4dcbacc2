import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { produceReport } from '../../src/app/report/produce-report.js';
import { needsActionText, reportCsv, reportText } from '../../src/app/report/report-formats.js';
import { reportHtml } from '../../src/app/report/report-html.js';
import type { ReconciliationReport } from '../../src/app/report/report.js';
import { validatorFor } from '../../src/contracts/validate.js';
import { runCli } from '../../src/cli/main.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { actionMesHolds, actionNow, expectedActionOrder, seededActionLedger } from '../helpers/action-ledger.js';
import { parseExposition } from '../helpers/prometheus-text.js';
import { fakeMes, mesReader, T0 } from '../helpers/report-ledger.js';
import { startTestGateway } from '../helpers/test-gateway.js';
import { testConfig } from '../helpers/gateway-config.js';
import { requireTool } from '../helpers/tools.js';

const validReport = validatorFor<ReconciliationReport>('report');
const deploy = resolve(import.meta.dirname, '../../deploy');

t.test('the action list holds exactly the orders that need a person, the most urgent first', async (t) => {
  const mes = await fakeMes(t, actionMesHolds);
  const { ledger, config } = await seededActionLedger(t, mes.url);
  const { report } = await produceReport({
    config,
    ledger,
    from: T0 - 1000,
    to: actionNow,
    now: actionNow,
    lang: 'en',
    mes: mesReader(t, config),
  });
  const valid = validReport(report);
  t.ok(valid.ok, `valid against the schema${valid.ok ? '' : `: ${JSON.stringify(valid.problems)}`}`);
  t.same(
    report.needsAction.items.map((item) => item.orderId),
    expectedActionOrder,
    'those orders, each once: the MES does not know it, lost, stuck by age, then the rest',
  );
  t.equal(report.needsAction.total, expectedActionOrder.length, 'its count');
  t.same(report.needsAction.byReason, { lost: 1, stuck: 3, quarantined: 1, dead_lettered: 1, rejected: 1 });
  t.match(report.informational, { byKind: { duplicate_seen: 100 } }, 'the 100 absorbed duplicates are counted apart');

  const item = (id: string) => report.needsAction.items.find((i) => i.orderId === id);
  t.match(item('N-STUCK-GONE'), {
    reasons: ['stuck'],
    status: 'accepted',
    mesState: 'ACCEPTED',
    mes: { asked: true, knows: false },
    suggestion: 'resend_to_mes',
    action: /Re-send it from the CRM/,
  });
  t.match(item('N-LOST'), {
    reasons: ['lost'],
    status: 'received',
    mesState: null,
    mes: { asked: true, knows: true, state: 'ACCEPTED' },
    suggestion: 'check_event_path',
  });
  t.match(item('N-STUCK-OLD'), { mes: { knows: true, state: 'ACCEPTED' }, suggestion: 'check_mes_progress' });
  t.equal(item('N-STUCK-OLD')!.since, new Date(T0 + 4 * 3_600_000 + 1000).toISOString(), 'since when it was flagged');
  t.equal(item('N-STUCK-OLD')!.forMs, actionNow - (T0 + 4 * 3_600_000 + 1000), 'and for how long');
  t.match(item('N-QUAR'), {
    reasons: ['quarantined'],
    mesState: 'LASER_ETCHING',
    detail: /unknown MES state/,
    mes: { asked: false, notAskedBecause: 'not_lost_or_stuck' },
    suggestion: 'map_mes_state',
  });
  t.match(item('N-DEAD'), {
    reasons: ['dead_lettered'],
    status: 'accepted',
    deadLetterReason: '/order/state: must be string',
    suggestion: 'replay_dead_letter',
  });
  t.match(item('N-REJ'), { reasons: ['rejected'], status: 'rejected', suggestion: 'answer_rejection' });

  // Every format lists the same orders in the same order, before anything else.
  const text = reportText(report, 'en').join('\n');
  t.ok(text.indexOf('7 orders need a person') < text.indexOf('Commands:'), 'text: the action list first');
  t.same(orderIdsIn(needsActionText(report, 'en').join('\n'), /^ {2}\d+\. (\S+)/gm), expectedActionOrder, 'text');
  const csv = reportCsv(report)
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(','));
  t.same(
    csv.slice(0, expectedActionOrder.length).map((cells) => [cells[0], cells[1]]),
    expectedActionOrder.map((id) => ['needs_action', id]),
    'csv: the action rows first',
  );
  t.equal(csv.filter((cells) => cells[0] === 'needs_action').length, expectedActionOrder.length);
  const html = reportHtml(report, 'en', {});
  t.ok(html.indexOf('id="needs-action"') < html.indexOf('id="commands"'), 'html: the action list first');
  t.same(
    orderIdsIn(html.slice(html.indexOf('id="actions"')), /<tr data-order="([^"]+)"/g).slice(0, 7),
    expectedActionOrder,
  );
  t.match(html, /data-figure="needsAction.total"><div class="value">7</, 'html: its count is the headline');
  t.same(Object.keys(report)[1], 'needsAction', 'json: the first member after generatedAt');

  const ru = await produceReport({ config, ledger, from: T0 - 1000, to: actionNow, now: actionNow, lang: 'ru' });
  t.same(
    ru.report.needsAction.items.map((i) => i.orderId),
    ['N-LOST', 'N-STUCK-GONE', 'N-STUCK-OLD', 'N-STUCK-NEW', 'N-QUAR', 'N-DEAD', 'N-REJ'],
    'without reconciliation nobody knows the MES lost N-STUCK-GONE: lost first, then stuck by age',
  );
  t.match(ru.report.needsAction.items[0], { mes: { asked: false, notAskedBecause: 'reconciliation_off' } });
  t.match(
    needsActionText(ru.report, 'ru').join('\n'),
    /Заказов, требующих внимания человека: 7[\s\S]*не спрашивали \(сверка выключена\)/,
  );
});

t.test('orderbridge report --needs-action prints only the list and exits 1 while it is not empty', async (t) => {
  const mes = await fakeMes(t, actionMesHolds);
  const { config, close } = await seededActionLedger(t, mes.url);
  await close();
  const run = async (args: string[], ledgerPath = config.gateway.ledger.path) => {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (line: string) => out.push(line),
      err: (line: string) => err.push(line),
      env: { ORDERBRIDGE_LEDGER_PATH: ledgerPath, MES_API_URL: mes.url },
      cwd: process.cwd(),
    };
    return {
      code: await runCli(['report', '--needs-action', '--from', new Date(T0 - 1000).toISOString(), ...args], io),
      out: out.join('\n'),
      err: err.join('\n'),
    };
  };
  const text = await run(['--no-reconcile']);
  t.equal(text.code, 1, `orders need a person: exit 1 ${text.err}`);
  t.match(text.out, /^7 orders need a person/);
  t.notMatch(text.out, /Commands:|Discrepancies/, 'only the list');
  t.same(orderIdsIn(text.out, /^ {2}\d+\. (\S+)/gm).sort(), [...expectedActionOrder].sort());
  const json = await run(['--format', 'json', '--no-reconcile']);
  t.equal(json.code, 1);
  t.equal((JSON.parse(json.out) as ReconciliationReport['needsAction']).total, 7, 'json: the list alone');
  const csv = await run(['--format', 'csv', '--no-reconcile']);
  t.equal(csv.out.trim().split('\r\n').length, 8, 'csv: the header and one row per order');
  t.equal((await run(['--format', 'html'])).code, 2, 'html with --needs-action is bad usage');

  const empty = testConfig();
  t.teardown(() => empty.remove());
  await openSqliteLedger({ path: empty.ledgerPath, synchronous: 'FULL', policy: ledgerPolicy(empty.config) }).close();
  const none = await run(['--no-reconcile'], empty.ledgerPath);
  t.equal(none.code, 0, `nothing needs a person: exit 0 ${none.err}`);
  t.match(none.out, /0 orders need a person\n {2}No order needs a person\./);
});

t.test("the alert rule counts the same number from the gateway's /metrics", async (t) => {
  const promtool = requireTool(t, 'promtool');
  if (promtool === undefined) return;
  const mes = await fakeMes(t, actionMesHolds);
  const { ledger, config, close } = await seededActionLedger(t, mes.url);
  const { report } = await produceReport({
    config,
    ledger,
    from: actionNow - 86_400_000,
    to: actionNow,
    now: actionNow,
    lang: 'en',
  });
  await close();
  const { gateway } = await startTestGateway(t, {
    gateway: { ledger: { path: config.gateway.ledger.path } },
    clock: () => actionNow,
  });
  const scraped = parseExposition(
    await (await fetch(`http://127.0.0.1:${gateway.metricsHttp.port}/metrics`)).text(),
  ).find((s) => s.name === 'orderbridge_orders_needing_action');
  t.equal(scraped?.value, report.needsAction.total, "the gauge: the report's headline for the last 24 h");

  // The shipped rule over that series, as Prometheus would evaluate it.
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-needs-action-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'test.yml'),
    JSON.stringify({
      rule_files: [join(deploy, 'alerts.yml')],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            {
              series: 'orderbridge_orders_needing_action{job="orderbridge",instance="gw"}',
              values: `${scraped?.value}x30`,
            },
          ],
          alert_rule_test: [
            {
              eval_time: '20m',
              alertname: 'OrderbridgeOrdersNeedAction',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', job: 'orderbridge' },
                  exp_annotations: {
                    summary: `${report.needsAction.total} order(s) need a person: lost, stuck, a quarantined MES event, a dead letter, or a rejection or failure the CRM has not answered`,
                    description:
                      "`orderbridge report --needs-action` lists them, the most urgent first (the MES does not know the order, lost, stuck by age), each with what the MES says and one suggested action; `orderbridge timeline ORDER_ID` shows one order's history.",
                    runbook_url: 'https://orderbridge.dev/deploy/runbooks.md#orderbridgeordersneedaction',
                  },
                },
              ],
            },
          ],
        },
      ],
    }),
  );
  const tested = spawnSync(promtool, ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8' });
  t.equal(tested.status, 0, `the alert fires counting ${report.needsAction.total}: ${tested.stdout}${tested.stderr}`);
});

function orderIdsIn(text: string, pattern: RegExp): string[] {
  return [...text.matchAll(pattern)].map((m) => m[1]!);
}
