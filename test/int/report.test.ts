import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatorFor } from '../../src/contracts/validate.js';
import { withGatewayOverrides } from '../../src/config/index.js';
import { produceReport, type ReportLedger } from '../../src/app/report/produce-report.js';
import type { Config } from '../../src/config/index.js';
import { reportCsv, reportText } from '../../src/app/report/report-formats.js';
import { reportHtml } from '../../src/app/report/report-html.js';
import type { ReconciliationReport } from '../../src/app/report/report.js';
import { runCli } from '../../src/cli/main.js';
import { createHttpApp } from '../../src/adapters/http/app.js';
import { createOpsServices } from '../../src/app/ops-services.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { runCliCaptured } from '../helpers/cli.js';
import { copyConfig } from '../helpers/config-dir.js';
import { testConfig } from '../helpers/gateway-config.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { ledgerTarget, openSqliteLedger } from '../../src/ledger/index.js';
import { applyMesEvent, createAndForward, mesEventInput } from '../fixtures/mes-events.js';
import { testEachDriver } from '../helpers/ledger-drivers.js';
import { fakeMes, mesReader, seededReportLedger as seeded, T0 } from '../helpers/report-ledger.js';

const validReport = validatorFor<ReconciliationReport>('report');

/** A month after T0: the window the seeded ledger's reports cover. */
const monthEnd = T0 + 31 * 86_400_000;

/** The seeded month's report, asking the MES the config names. */
function monthReport(t: Test, { ledger, config }: { ledger: ReportLedger; config: Config }, lang: 'en' | 'ru' = 'en') {
  return produceReport({
    config,
    ledger,
    from: T0 - 1000,
    to: monthEnd,
    now: monthEnd,
    lang,
    mes: mesReader(t, config),
  });
}

const everyKind = 'each kind of discrepancy, produced on purpose, is found and classified; counts match the ledger';
testEachDriver(t, everyKind, async (t, driver) => {
  // The MES holds every order it acknowledged (A-EVID without telling the gateway), A-STUCK further on.
  const mes = await fakeMes(t, {
    'A-ACKLOST': 'ACCEPTED',
    'A-STUCK': 'CUTTING',
    'A-OK': 'ACCEPTED',
    'A-DUP': 'CUTTING',
    'A-UNKNOWN': 'LASER_ETCHING',
    'A-UNCONF': 'ACCEPTED',
    'A-EVID': 'PLANNING',
  });
  const { ledger, config } = await seeded(t, mes.url, driver);
  const now = T0 + 31 * 86_400_000;
  const { report, timelines } = await produceReport({
    config,
    ledger,
    from: T0 - 1000,
    to: now,
    now,
    lang: 'en',
    mes: mesReader(t, config),
  });

  const valid = validReport(report);
  t.ok(
    valid.ok,
    `valid against contracts/ops/report.schema.json${valid.ok ? '' : `: ${JSON.stringify(valid.problems)}`}`,
  );
  t.match(
    report.commands,
    { received: 8, forwarded: 8, acknowledged: 6, lost: 2, open: 0 },
    'commands: 8 received and forwarded, 6 acknowledged (one by evidence), 2 lost',
  );
  t.match(report.events, { duplicates: 1, quarantined: 1 }, 'events: one duplicate delivery, one quarantined');
  t.equal(
    report.ackLatencyMs.count,
    5,
    'five acknowledgements timed (the one closed by evidence has no acknowledgement to time)',
  );
  t.same(
    report.stuckByStatus,
    { accepted: 4, in_production: 1, received: 1 },
    'the orders that never moved on are stuck, by status (A-EVID: the MES has it, no event came)',
  );

  const found = report.discrepancies.map((d) => `${d.kind} ${d.orderId}`).sort();
  t.same(
    found,
    [
      'acknowledgement_lost A-ACKLOST',
      'acknowledgement_lost A-EVID',
      'command_never_acknowledged A-LOST',
      'crm_not_informed A-UNCONF',
      'status_diverged A-EVID',
      'status_diverged A-STUCK',
      'unknown_mes_state A-UNKNOWN',
    ],
    'each one found, each classified as what was done to it',
  );
  t.match(
    report.informational,
    { total: 1, byKind: { duplicate_seen: 1 }, items: [{ kind: 'duplicate_seen', orderId: 'A-DUP' }] },
    'the duplicate, which needs no action, apart',
  );
  t.match(
    report.discrepancies.find((d) => d.orderId === 'A-ACKLOST'),
    { mes: { asked: true, knows: true, state: 'ACCEPTED' }, action: /Do not re-send/ },
  );
  t.match(
    report.discrepancies.find((d) => d.orderId === 'A-LOST'),
    { mes: { asked: true, knows: false }, action: /re-send it from the CRM/ },
  );
  t.match(
    report.discrepancies.find((d) => d.kind === 'status_diverged' && d.orderId === 'A-STUCK'),
    { status: 'accepted', mes: { state: 'CUTTING', status: 'in_production' } },
  );
  t.notOk(
    report.discrepancies.some((d) => d.orderId === 'A-OK' && d.kind === 'status_diverged'),
    'an order whose MES state maps to its status is not diverged',
  );
  t.ok(
    mes.asked.includes('A-LOST') && mes.asked.includes('A-ACKLOST'),
    'active reconciliation asked the MES about the lost commands',
  );
  t.match(report.reconciliation, { asked: mes.asked.length, answered: mes.asked.length, notAsked: 0 });
  // From the second arrival: the first one also waited for its connection, which shortens the span.
  const spanMs = mes.askedAt.at(-1)! - mes.askedAt[1]!;
  t.ok(
    spanMs >= (mes.asked.length - 2) * 50 * 0.9,
    `paced to at most 20 look-ups a second (${mes.asked.length} in ${spanMs} ms)`,
  );
  t.match(
    report.coverage,
    { complete: false, retentionDays: 30 },
    'a window reaching past the retention says it is not fully covered',
  );
  const recent = await produceReport({ config, ledger, from: now - 86_400_000, to: now, now, lang: 'en' });
  t.equal(recent.report.coverage.complete, true, 'a window inside the retention is');
  t.match(
    (await ledger.timeline('A-LOST')).find((e) => e.kind === 'reconciled'),
    { detail: { by: 'report', knows: false } },
    "the MES's answer is noted in the order's timeline",
  );
  t.ok(timelines['A-LOST']?.length, 'timelines of discrepant orders come along for the page');

  const ru = await produceReport({ config, ledger, from: T0 - 1000, to: now, now, lang: 'ru' });
  t.match(
    ru.report.discrepancies.find((d) => d.orderId === 'A-LOST'),
    { action: /отправьте его из CRM/, mes: { asked: false } },
    'Russian texts; without reconciliation the MES is not asked',
  );
  t.equal(ru.report.reconciliation.asked, 0);
  t.ok(ru.report.reconciliation.notAsked > 0, 'the report says how many it did not ask');

  const text = reportText(report, 'en').join('\n');
  t.match(text, /Commands: received 8 .* lost 2/);
  t.match(text, /\[acknowledgement lost\] A-ACKLOST/);
  const csv = reportCsv(report).split('\r\n');
  t.equal(
    csv[0],
    'kind,order_id,since,status,detail,action,mes_asked,mes_knows,mes_state,mes_status,mes_error,class,count,reasons,for_ms,last_mes_state,dead_letter_reason,mes_not_asked_because,suggestion',
  );
  t.equal(
    csv.filter(Boolean).length,
    report.needsAction.total + report.discrepancies.length + 2,
    'one CSV row per order that needs a person, one per discrepancy needing action, one per informational kind',
  );
  const html = reportHtml(report, 'ru', timelines);
  t.match(html, /<html lang="ru">/);
  t.notMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'self-contained: no external asset');
  t.match(html, /data-figure="commands.lost"><div class="value">2</, 'headline numbers');
});

testEachDriver(t, 'orderbridge report and timeline on the command line', async (t, driver) => {
  const mes = await fakeMes(t, {});
  const { ledgerEnv } = await seeded(t, mes.url, driver);
  const lines: string[] = [];
  const errors: string[] = [];
  const io = {
    out: (line: string) => lines.push(line),
    err: (line: string) => errors.push(line),
    env: { ...ledgerEnv, MES_API_URL: mes.url },
    cwd: process.cwd(),
  };
  t.equal(
    await runCli(['report', '--from', new Date(T0 - 1000).toISOString(), '--format', 'json', '--no-reconcile'], io),
    0,
    errors.join('\n'),
  );
  const report = JSON.parse(lines.join('\n')) as ReconciliationReport;
  t.ok(validReport(report).ok);
  t.equal(report.commands.received, 8);
  lines.length = 0;
  t.equal(await runCli(['timeline', 'A-DUP'], io), 0);
  t.match(
    lines.join('\n'),
    /received order.create[\s\S]*duplicate_delivery/,
    'every message and what happened to it, in time order',
  );
  t.equal(await runCli(['timeline', 'NOPE'], io), 1, 'an order the ledger does not know: exit 1');
  t.equal(await runCli(['report', '--since', 'yesterday'], io), 2, 'a bad window: exit 2');
  t.match(errors.join('\n'), /since must be a duration such as 30m, 24h or 7d/);
});

t.test('/ops, /ops/report and /ops/orders/{id}/timeline answer operator keys only', async (t) => {
  const mes = await fakeMes(t, {});
  const { ledger, config: seededConfig } = await seeded(t, mes.url);
  const key = (name: string) => `${name}-key-0123456789abcdef`;
  const config = withGatewayOverrides(seededConfig, {
    partners: [
      {
        id: 'ops',
        name: 'Plant operators',
        apiKeySha256: createHash('sha256').update(key('ops')).digest('hex'),
        role: 'operator',
      },
      { id: 'shop', name: 'Shop', apiKeySha256: createHash('sha256').update(key('shop')).digest('hex') },
    ],
  });
  // As the gateway serves it: pages rendered by the page thread over the ledger's file. Dead letters
  // have their own test (test/int/dead-letters.test.ts) against a real broker.
  const ops = createOpsServices({ config, ledger, ledgerTarget: ledgerTarget(config.gateway.ledger) });
  t.teardown(() => ops.close());
  const app = createHttpApp({
    config,
    ledger,
    logger: silentLogger,
    publisher: { publish: () => Promise.reject(new Error('no broker')) },
    clock: Date.now,
    readiness: { brokerConnected: () => true },
    ops,
  });
  const get = (path: string, who: string, headers: Record<string, string> = {}) =>
    app.request(path, { headers: { authorization: `Bearer ${key(who)}`, ...headers } });
  const since = `from=${new Date(T0 - 1000).toISOString()}`;

  const page = await get(`/ops?${since}`, 'ops', { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' });
  t.equal(page.status, 200);
  t.equal(page.headers.get('content-language'), 'ru', "the page in the reader's language");
  const html = await page.text();
  t.match(html, /Отчёт сверки Orderbridge/);
  const json = await get(`/ops/report?${since}&format=json`, 'ops');
  const report = (await json.json()) as ReconciliationReport;
  t.ok(validReport(report).ok, 'JSON per the contract');
  t.ok(report.needsAction.total > 0);
  t.match(
    html,
    new RegExp(
      `<main>\\s*(<p class="note">.*</p>\\s*)?<section id="needs-action">.*data-figure="needsAction.total"><div class="value">${report.needsAction.total}<`,
    ),
    "/ops: the action list first, its count the page's headline",
  );
  t.match(await (await get(`/ops/report?${since}&format=csv`, 'ops')).text(), /^kind,order_id,/);
  t.match(await (await get('/ops/orders/A-LOST/timeline', 'ops')).json(), {
    orderId: 'A-LOST',
    entries: [{ kind: 'received order.create' }],
  });
  t.equal((await get('/ops/orders/NOPE/timeline', 'ops')).status, 404);
  t.match(
    await (await get('/ops/report?since=soon', 'ops')).json(),
    { status: 400, errors: [{ pointer: '/query/since' }] },
    'a bad window names the parameter',
  );
  for (const path of ['/ops', '/ops/report', '/ops/orders/A-LOST/timeline'])
    t.equal((await get(path, 'shop')).status, 403, `${path}: a partner key is refused`);
  t.equal((await app.request('/ops')).status, 401, 'no key: 401');
  const [first, second] = await Promise.all([get(`/ops/report?${since}`, 'ops'), get(`/ops/report?${since}`, 'ops')]);
  t.same([first.status, second.status].sort(), [200, 429], 'one report at a time: the second is told to retry');
  t.equal((first.status === 429 ? first : second).headers.get('retry-after'), '5');
});

t.test(
  'report and timeline refuse a ledger path that holds no ledger, naming it, and create nothing there',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'orderbridge-no-ledger-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const notALedger = join(dir, 'notes.txt');
    writeFileSync(notALedger, 'not a database\n');
    const cases = [
      {
        path: join(dir, 'mistyped', 'ledger.db'),
        says: /no ledger at .*mistyped\/ledger\.db: check the path \(ORDERBRIDGE_LEDGER_PATH/,
      },
      { path: join(dir, 'legder.db'), says: /no ledger at .*legder\.db/ },
      { path: notALedger, says: /notes\.txt is not an Orderbridge ledger/ },
    ];
    for (const { path, says } of cases) {
      for (const argv of [
        ['report', '--since', '1h', '--no-reconcile'],
        ['report', '--since', '1h', '--format', 'json'],
        ['timeline', 'A-LOST'],
      ]) {
        const { code, stdout, stderr } = await runCliCaptured(argv, { ORDERBRIDGE_LEDGER_PATH: path });
        t.equal(code, 2, `${argv.join(' ')} on ${path}: exit 2`);
        t.match(stderr, says, 'the message names the path and what to check');
        t.equal(stdout, '', 'no report is printed');
      }
    }
    t.notOk(existsSync(join(dir, 'mistyped')), 'no directory was made for the mistyped path');
    t.notOk(existsSync(join(dir, 'legder.db')), 'no empty ledger was created');
    t.equal(readFileSync(notALedger, 'utf8'), 'not a database\n', 'a file that is not a ledger is left as it was');
  },
);

t.test(
  "report and timeline run without the partners' webhook secrets; serve still names the one missing",
  async (t) => {
    const mes = await fakeMes(t, {});
    const { config: seededConfig } = await seeded(t, mes.url);
    const configDir = copyConfig();
    t.teardown(configDir.remove);
    configDir.edit('gateway.yaml', (s) =>
      s.replace(
        '    requestsPerSecond: 50\n',
        '    requestsPerSecond: 50\n    webhooks:\n      - url: https://shop.example.com/hooks\n        secretEnv: SHOP_WEBHOOK_SECRET\n',
      ),
    );
    const env = { ORDERBRIDGE_CONFIG: configDir.dir, ORDERBRIDGE_LEDGER_PATH: seededConfig.gateway.ledger.path };
    const report = await runCliCaptured(
      ['report', '--from', new Date(T0 - 1000).toISOString(), '--format', 'json', '--no-reconcile'],
      env,
    );
    t.equal(report.code, 0, `report reads the ledger with no secret set: ${report.stderr}`);
    t.equal((JSON.parse(report.stdout) as ReconciliationReport).commands.received, 8);
    const timeline = await runCliCaptured(['timeline', 'A-LOST'], env);
    t.equal(timeline.code, 0, `timeline too: ${timeline.stderr}`);
    // serve fails on the config before it reaches for the broker (the race only bounds a broken build).
    const serve = await Promise.race([
      runCliCaptured(['serve'], { ...env, AMQP_URL: 'amqp://127.0.0.1:1' }),
      new Promise<never>((_, fail) =>
        setTimeout(() => fail(new Error('serve started without the secret')), 10_000).unref(),
      ),
    ]);
    t.equal(serve.code, 2, 'serve, which signs webhooks, refuses to start without the secret');
    t.match(
      serve.stderr,
      /environment variable SHOP_WEBHOOK_SECRET: \/partners\/0\/webhooks\/0\/secretEnv: is not set \(fix: export SHOP_WEBHOOK_SECRET=whsec_/,
    );
  },
);

t.test(
  'an acknowledgement overtaken by a later MES state is reported as what happened, not as a lost acknowledgement',
  async (t) => {
    const env = testConfig();
    const ledger = openSqliteLedger({ path: env.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(env.config) });
    t.teardown(async () => {
      await ledger.close();
      env.remove();
    });
    const { dialect } = env.config;
    for (const id of ['R-REORDERED', 'R-NOANSWER']) {
      await createAndForward(ledger, id, T0);
      // The MES's second state overtakes its acknowledging first one (no correlation id): it proves the MES has the order.
      await applyMesEvent(ledger, dialect, 'PLANNING', id, T0 + 200);
    }
    // R-REORDERED's acknowledgement arrives after all, older than PLANNING; R-NOANSWER's never does.
    const late = await ledger.recordMesEvent(mesEventInput(dialect, 'ACCEPTED', 'R-REORDERED', T0 + 100), T0 + 300);
    t.match(late, { kind: 'recorded', state: 'out_of_order' }, 'the late acknowledgement is recorded as out of order');

    const now = T0 + 60_000;
    const { report } = await produceReport({ config: env.config, ledger, from: T0 - 1000, to: now, now, lang: 'en' });
    t.ok(validReport(report).ok, 'valid against contracts/ops/report.schema.json');
    const of = (orderId: string) =>
      [...report.discrepancies, ...report.informational.items].filter((d) => d.orderId === orderId);
    t.match(of('R-REORDERED'), [
      {
        kind: 'acknowledged_out_of_order',
        detail:
          'Acknowledged by MES state PLANNING, which arrived before the acknowledging state ACCEPTED (out of order); nothing was lost',
        action: /^Nothing to do/,
      },
    ]);
    t.equal(of('R-REORDERED').length, 1, 'and not as an acknowledgement lost');
    t.match(report.informational.byKind, { acknowledged_out_of_order: 1 }, 'nothing to do: informational');
    t.notOk(
      report.discrepancies.some((d) => d.kind === 'acknowledged_out_of_order'),
      'not among those needing action',
    );
    t.match(of('R-NOANSWER'), [
      {
        kind: 'acknowledgement_lost',
        detail: 'Acknowledged by MES state PLANNING: the MES has the order, but its acknowledging state never arrived',
      },
    ]);
    t.notMatch(JSON.stringify(report), /Closed by the watchdog/, 'the watchdog closed neither');

    const ru = await produceReport({ config: env.config, ledger, from: T0 - 1000, to: now, now, lang: 'ru' });
    const ruText = JSON.stringify(ru.report);
    t.match(ruText, /Подтверждено состоянием MES PLANNING, которое пришло раньше подтверждающего состояния ACCEPTED/);
    t.match(
      ruText,
      /Подтверждено состоянием MES PLANNING: заказ в MES есть, но подтверждающее состояние так и не пришло/,
    );
  },
);

t.test("an MES that cannot be reached is said to be so, not to have answered the proxy's 502", async (t) => {
  // Nothing listens on port 1: every look-up fails to connect, and the proxy answers 502 itself.
  const { report } = await monthReport(t, await seeded(t, 'http://127.0.0.1:1'));
  const asked = [...report.discrepancies, ...report.needsAction.items].filter((item) => item.mes?.asked);
  t.ok(asked.length > 0, `the MES was asked about ${asked.length} orders`);
  t.match(asked[0]!.mes, { error: 'the MES API could not be reached' }, 'the first look-up found no MES');
  // After enough failures the breaker stops calling it, and says so.
  const why =
    /^the MES API (could not be reached|has been failing, so the gateway is not calling it for now \(circuit open\))$/;
  for (const item of asked) t.match(item.mes, { error: why }, item.orderId);
  t.match(report.reconciliation, { answered: 0 }, 'none answered');
  t.notMatch(reportText(report, 'en'), /answered 502/, "the text report does not blame the MES for the proxy's status");
});

t.test(
  'flagged orders the MES says it does not have are listed first, and the report says how to ask about those not asked',
  async (t) => {
    // The MES lost A-DUP, A-UNKNOWN, A-UNCONF and A-EVID: all four are stuck in the gateway.
    const mes = await fakeMes(t, { 'A-ACKLOST': 'ACCEPTED', 'A-STUCK': 'CUTTING', 'A-OK': 'ACCEPTED' });
    const seededLedger = await seeded(t, mes.url);
    const { report } = await monthReport(t, seededLedger);
    t.ok(validReport(report).ok, 'valid against contracts/ops/report.schema.json');
    const missing = ['A-DUP', 'A-EVID', 'A-UNCONF', 'A-UNKNOWN'];
    t.same(
      report.discrepancies
        .slice(0, 4)
        .map((d) => `${d.kind} ${d.orderId}`)
        .sort(),
      missing.map((id) => `missing_in_mes ${id}`),
      'the most urgent class comes first',
    );
    t.notOk(
      report.discrepancies.slice(4).some((d) => d.kind === 'missing_in_mes'),
      'all of them',
    );
    for (const d of report.discrepancies.filter((d) => d.kind === 'missing_in_mes')) {
      t.match(
        d,
        {
          mes: { asked: true, knows: false },
          detail: /^Flagged stuck in (accepted|in_production|received), and the MES API says it has no such order$/,
          action: /^Most urgent: the MES has lost this order\. Re-send it from the CRM/,
        },
        d.orderId,
      );
    }
    const ru = await monthReport(t, seededLedger, 'ru');
    t.match(ru.report.discrepancies[0], {
      kind: 'missing_in_mes',
      detail: /Помечен как зависший в статусе .*, а API MES отвечает, что такого заказа нет/,
      action: /^Срочно: MES потеряла этот заказ/,
    });

    const io = (lines: string[]) => ({
      out: (line: string) => lines.push(line),
      err: () => undefined,
      env: { ORDERBRIDGE_LEDGER_PATH: seededLedger.config.gateway.ledger.path, MES_API_URL: mes.url },
      cwd: process.cwd(),
    });
    const limited: string[] = [];
    t.equal(
      await runCli(
        [
          'report',
          '--from',
          new Date(T0 - 1000).toISOString(),
          '--to',
          new Date(monthEnd).toISOString(),
          '--max-lookups',
          '3',
        ],
        io(limited),
      ),
      0,
    );
    t.match(
      limited.join('\n'),
      /Asked the MES about 3 lost or flagged order\(s\), 3 answered\. 5 not asked: over the limit of 3 look-ups per report; ask about them all with orderbridge report --max-lookups 8\./,
      'how many were not asked, and how to ask about them',
    );
    const all: string[] = [];
    t.equal(
      await runCli(
        [
          'report',
          '--from',
          new Date(T0 - 1000).toISOString(),
          '--to',
          new Date(monthEnd).toISOString(),
          '--max-lookups',
          '8',
          '--format',
          'json',
        ],
        io(all),
      ),
      0,
    );
    t.match(
      JSON.parse(all.join('\n')),
      { reconciliation: { asked: 8, notAsked: 0, limit: 8 } },
      'with the limit raised as told, every one is asked',
    );
    const off: string[] = [];
    t.equal(await runCli(['report', '--from', new Date(T0 - 1000).toISOString(), '--no-reconcile'], io(off)), 0);
    t.match(off.join('\n'), /8 not asked: reconciliation was off \(--no-reconcile\)/);
  },
);

t.test(
  'informational discrepancies are counted apart from those needing action, each one on demand, in every format',
  async (t) => {
    const mes = await fakeMes(t, {});
    const { ledger, config } = await seeded(t, mes.url);
    // Three more orders whose MES event arrives twice: nothing to do, the ledger absorbed each.
    for (const id of ['A-OK', 'A-STUCK', 'A-UNKNOWN'])
      await applyMesEvent(ledger, config.dialect, 'ACCEPTED', id, T0 + 900, { eventId: `${id}-acc` });
    const run = async (...argv: string[]) => {
      const result = await runCliCaptured(
        ['report', '--from', new Date(T0 - 1000).toISOString(), '--no-reconcile', ...argv],
        { ORDERBRIDGE_LEDGER_PATH: config.gateway.ledger.path },
      );
      t.equal(result.code, 0, result.stderr);
      return result.stdout;
    };
    const duplicated = ['A-DUP', 'A-OK', 'A-STUCK', 'A-UNKNOWN'];

    const json = JSON.parse(await run('--format', 'json')) as ReconciliationReport;
    t.ok(validReport(json).ok, 'valid against contracts/ops/report.schema.json');
    t.notOk(
      json.discrepancies.some((d) => d.kind === 'duplicate_seen'),
      'JSON: discrepancies holds only those needing action',
    );
    t.match(json.informational, { total: 4, byKind: { duplicate_seen: 4 } });
    t.same(json.informational.items.map((d) => d.orderId).sort(), duplicated, 'each one in informational.items');

    const text = await run();
    const [actionable = '', informational = ''] = text.split(/\n(?=Informational, nothing to do)/);
    t.match(
      actionable,
      new RegExp(
        `Discrepancies needing action \\(${json.discrepancies.length}\\)\\n  \\[command never acknowledged\\] A-LOST`,
      ),
      'text: those needing action come first',
    );
    t.notMatch(actionable, /\[duplicate seen\]/, 'no duplicate among them');
    t.equal(
      informational,
      'Informational, nothing to do (4): duplicate seen 4 (each one with --details)',
      'text: the informational ones as one line of counts',
    );
    const detailed = (await run('--details')).split(/\n(?=Informational, nothing to do)/)[1] ?? '';
    t.match(
      detailed,
      /^Informational, nothing to do \(4\): duplicate seen 4\n {2}\[duplicate seen\] A-DUP/,
      'text --details: each one after the count',
    );
    t.equal(detailed.match(/\[duplicate seen\]/g)?.length, 4);

    const csv = (await run('--format', 'csv')).trimEnd().split('\r\n');
    t.same(
      csv.filter((line) => line.startsWith('duplicate_seen')),
      [
        `duplicate_seen,,${json.informational.items.map((d) => d.since).sort()[0]},,,${json.informational.items[0]!.action},,,,,,info,4,,,,,,`,
      ],
      'CSV: one row per informational kind, with its count',
    );
    t.ok(
      csv
        .slice(1)
        .filter(Boolean)
        .every((line, i) => {
          const actions = json.needsAction.total;
          if (i < actions) return line.startsWith('needs_action,');
          return i < actions + json.discrepancies.length ? line.endsWith(',action,1,,,,,,') : line.includes(',info,');
        }),
      'the orders that need a person first, then the discrepancies needing action',
    );
    const csvDetailed = (await run('--format', 'csv', '--details')).split('\r\n');
    t.equal(
      csvDetailed.filter((line) => line.startsWith('duplicate_seen,A-')).length,
      4,
      'CSV --details: one row per order',
    );

    const html = await run('--format', 'html');
    const table = html.slice(html.indexOf('<tbody id="rows">'), html.indexOf('</tbody>'));
    t.notMatch(table, /data-kind="duplicate_seen"/, 'HTML: not in the table of those needing action');
    t.match(
      html,
      /<details id="informational"><summary>Informational, nothing to do \(4\): duplicate seen 4<\/summary>/,
      'HTML: a collapsed section, counted',
    );
    t.equal(
      html.slice(html.indexOf('<tbody id="info-rows">')).match(/<tr data-kind="duplicate_seen"/g)?.length,
      4,
      'each one inside it',
    );
  },
);
