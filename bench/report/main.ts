/**
 * Report benchmark (issue 6, item 7), ratios measured in the same run:
 *   1. a 24-hour reconciliation report (ledger queries, assembly, the HTML page) over a ledger of
 *      1,000,000 messages: median time of several renders; goal < 2 s;
 *   2. the pipeline's throughput on that ledger alone, and while `orderbridge report` renders the
 *      same report over and over in another process; goal: less than 20 % slower.
 *
 *   3. partners reading their cached orders through the gateway at a fixed rate, alone and while an
 *      operator renders the 24 h report through /ops (bench/report/partners.ts); goal: partner p99
 *      with the report ≤ 1.2× without. --beside-partners runs only this one (after the seed);
 *      --on-loop measures the same again with the whole report on the gateway's event loop, as before
 *      the page thread (a comparison); --cpu-prof DIR profiles the gateway while it reports.
 *
 *   npm run -s bench:report -- [--messages 1000000] [--orders 20000] [--runs 2] [--renders 5] [--json]
 *                              [--beside-partners] [--partner-rate 500] [--partner-seconds 10]
 *                              [--partner-rounds 2] [--on-loop] [--cpu-prof DIR]
 *
 * With --ledger postgres, only the first: a 24-hour report over a PostgreSQL ledger of 10,000,000
 * messages (--messages), seeded once by the server and kept between runs (bench/report/postgres.ts);
 * --beside-sqlite renders the same over an SQLite ledger of the same size in the same run.
 *
 *   npm run -s bench:report -- --ledger postgres [--messages 10000000] [--renders 5] [--beside-sqlite]
 *                              [--postgres postgres://postgres@127.0.0.1:5432] [--json] [--drop-cache]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import { loadConfig } from '../../src/config/index.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { type LedgerTarget, openLedger, openSqliteLedger } from '../../src/ledger/index.js';
import { produceReport, reportCpuShare } from '../../src/app/report/produce-report.js';
import { reportHtml } from '../../src/app/report/report-html.js';
import { createVhost } from '../../test/helpers/vhost.js';
import { formatInt, median, positiveInt, round, table } from '../shared/figures.js';
import { Collector, commands, preload } from '../pipeline/load.js';
import { seedBigLedger } from './seed.js';
import { track } from '../shared/children.js';
import { cleanupOnExit } from '../shared/cleanup.js';
import { startSut } from '../pipeline/sut-process.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { repoRoot } from '../shared/paths.js';
import { defaultPostgresServer, ledgerOption } from '../shared/postgres.js';
import { type Render, runOnPostgres } from './postgres.js';
import { partnerGoal, type PartnersFigures, runBesidePartners } from './partners.js';

const goals = { renderMs: 2000, throughputDrop: 0.2 };

const { values } = parseArgs({
  options: {
    messages: { type: 'string' },
    orders: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '2' },
    renders: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    ledger: { type: 'string', default: 'sqlite' },
    'beside-sqlite': { type: 'boolean', default: false },
    postgres: { type: 'string', default: defaultPostgresServer },
    'drop-cache': { type: 'boolean', default: false },
    'beside-partners': { type: 'boolean', default: false },
    'partner-rate': { type: 'string', default: '500' },
    'partner-seconds': { type: 'string', default: '10' },
    'partner-rounds': { type: 'string', default: '2' },
    'on-loop': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: npm run -s bench:report -- [--messages N] [--orders N] [--runs R] [--renders N] [--json]\n' +
      '                                  [--beside-partners] [--partner-rate N] [--partner-seconds N] [--partner-rounds N] [--on-loop] [--cpu-prof DIR]\n' +
      '       npm run -s bench:report -- --ledger postgres [--messages N] [--renders N] [--beside-sqlite] [--postgres URL] [--json] [--drop-cache]\n',
  );
  process.exit(0);
}
const ledger = ledgerOption(values.ledger);
const options = {
  messages: positiveInt('messages', values.messages ?? (ledger === 'postgres' ? '10000000' : '1000000')),
  orders: positiveInt('orders', values.orders),
  runs: positiveInt('runs', values.runs),
  renders: positiveInt('renders', values.renders),
  partners: {
    rate: positiveInt('partner-rate', values['partner-rate']),
    seconds: positiveInt('partner-seconds', values['partner-seconds']),
    rounds: positiveInt('partner-rounds', values['partner-rounds']),
    orders: 2000,
    onLoop: values['on-loop'],
    ...(values['cpu-prof'] ? { cpuProfDir: values['cpu-prof'] } : {}),
  },
};
// --beside-partners: only the partner phase; the default run has all three.
const onlyPartners = values['beside-partners'];
const config = loadConfig({ dir: defaultConfigDir, env: {} });
const log = (line: string) => process.stderr.write(`${line}\n`);

const cleanup = cleanupOnExit(log);

/** Renders the 24 h before `now` of the ledger at `target` as the HTML page, without asking the MES. */
async function renderOnce(target: LedgerTarget, now: number): Promise<Render> {
  const policy = ledgerPolicy(config);
  const ledger =
    target.driver === 'sqlite'
      ? openSqliteLedger({ path: target.path, synchronous: 'NORMAL', policy })
      : await openLedger(target, { policy, access: 'read' });
  try {
    const started = performance.now();
    // As orderbridge report and /ops render it: paced to its CPU share.
    const { report, timelines } = await produceReport({
      config,
      ledger,
      from: now - 86_400_000,
      to: now,
      now,
      lang: 'en',
      cpuShare: reportCpuShare,
    });
    const html = reportHtml(report, 'en', timelines);
    return { ms: performance.now() - started, discrepancies: report.discrepancies.length, bytes: html.length };
  } finally {
    await ledger.close();
  }
}

/** `orderbridge report` in a loop in its own process, until stopped. */
function reportLoop(ledgerPath: string): { stop(): Promise<number> } {
  let renders = 0;
  let stopped = false;
  let current: ChildProcess | undefined;
  const next = () => {
    if (stopped) return;
    current = track(
      spawn(
        process.execPath,
        [
          join(repoRoot, 'bin/orderbridge.js'),
          'report',
          '--since',
          '24h',
          '--format',
          'html',
          '--out',
          '/dev/null',
          '--no-reconcile',
        ],
        { env: { ...process.env, ORDERBRIDGE_LEDGER_PATH: ledgerPath }, stdio: 'ignore' },
      ),
    );
    current.on('exit', (code) => {
      if (code === 0) renders++;
      next();
    });
  };
  next();
  return {
    stop: async () => {
      stopped = true;
      if (current && current.exitCode === null) await new Promise((done) => current!.on('exit', done));
      return renders;
    },
  };
}

/** Order.create commands through the gateway (its own process) on the big ledger; commands per second. */
async function pipelineRun(
  ledgerPath: string,
  prefix: string,
  withReports: boolean,
): Promise<{ throughput: number; renders: number }> {
  const vhost = await createVhost('ob-bench-report');
  const removeVhost = cleanup.add(() => vhost.remove());
  const connection = await connect(vhost.url);
  try {
    const admin = await connection.createChannel();
    await declareTopology(admin, config.gateway.amqp);
    await admin.close();
    const publisher = await connection.createConfirmChannel();
    await preload(publisher, config.gateway.amqp.exchanges.crmCommands, commands(prefix, 0, options.orders));
    const collector = await Collector.start(connection, config.gateway.amqp.queues.mesCommands);
    const sut = await startSut({ mode: 'gateway', url: vhost.url, ledger: ledgerPath });
    const reports = withReports ? reportLoop(ledgerPath) : undefined;
    // Let the report loop get going before the clock starts.
    if (reports) await new Promise((resolve) => setTimeout(resolve, 500));
    const start = performance.now();
    sut.go();
    const end = await collector.until(options.orders, 300_000);
    const renders = (await reports?.stop()) ?? 0;
    await sut.stop();
    await collector.close();
    return { throughput: options.orders / ((end - start) / 1000), renders };
  } finally {
    await connection.close().catch(() => undefined);
    removeVhost();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'orderbridge-bench-report-'));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  const ledgerPath = join(dir, 'ledger.db');
  const now = Date.now();
  log(`bench: seeding ${formatInt(options.messages)} messages over the last 48 h into ${ledgerPath}`);
  const seeded = await seedBigLedger(ledgerPath, config, options.messages, now);
  log(
    `bench: seeded in ${(seeded.seconds).toFixed(1)} s (${formatInt(seeded.orders)} orders, ${formatInt(seeded.messages)} messages, ${formatInt(seeded.journal)} journal rows, ${(seeded.bytes / 1e6).toFixed(0)} MB)`,
  );

  const renders: Render[] = [];
  const runs: { run: number; alone: number; withReports: number; renders: number }[] = [];
  if (!onlyPartners) {
    for (let i = 0; i < options.renders; i++) {
      const render = await renderOnce({ driver: 'sqlite', path: ledgerPath, synchronous: 'NORMAL' }, now);
      renders.push(render);
      log(
        `render ${i + 1}: ${render.ms.toFixed(0)} ms, ${render.discrepancies} discrepancies, ${formatInt(render.bytes / 1024)} KiB of HTML`,
      );
    }
    for (let run = 1; run <= options.runs; run++) {
      const alone = await pipelineRun(ledgerPath, `alone${run}`, false);
      const busy = await pipelineRun(ledgerPath, `busy${run}`, true);
      runs.push({ run, alone: alone.throughput, withReports: busy.throughput, renders: busy.renders });
      log(
        `run ${run}: pipeline alone ${formatInt(alone.throughput)} cmd/s, while reports render ${formatInt(busy.throughput)} cmd/s (${busy.renders} reports rendered meanwhile)`,
      );
    }
  }
  const partners = await runBesidePartners(
    options.partners,
    { path: ledgerPath, orders: seeded.orders },
    { cleanup, dir, log },
  );
  const machine = { cores: availableParallelism(), node: process.version, loadAverage1mAtStart: round(loadAtStart) };
  const partnerLines = partnerFigures(partners);
  const header = `Report over a ledger of ${formatInt(seeded.messages)} messages (${formatInt(seeded.orders)} orders, ${(seeded.bytes / 1e6).toFixed(0)} MB), a 24-hour window, HTML page`;
  const machineLine = `machine: ${machine.cores} cores, Node ${machine.node}, 1-min load average ${machine.loadAverage1mAtStart} at the start`;
  if (onlyPartners) {
    process.stdout.write(`${[header, ...partnerLines.lines, machineLine].join('\n')}\n`);
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ startedAt: startedAt.toISOString(), machine, ledger: seeded, partners, goals: partnerLines.goals })}\n`,
      );
    return;
  }
  const renderMs = median(renders.map((r) => r.ms));
  const alone = median(runs.map((r) => r.alone));
  const busy = median(runs.map((r) => r.withReports));
  const drop = 1 - busy / alone;
  const summary = {
    startedAt: startedAt.toISOString(),
    machine,
    ledger: seeded,
    report: {
      window: '24h',
      renderMsMedian: round(renderMs, 0),
      renderMs: renders.map((r) => round(r.ms, 0)),
      discrepancies: renders[0]?.discrepancies ?? 0,
      htmlBytes: renders[0]?.bytes ?? 0,
    },
    pipeline: {
      orders: options.orders,
      aloneCommandsPerSecond: round(alone, 0),
      withReportsCommandsPerSecond: round(busy, 0),
      drop: round(drop, 3),
      runs,
    },
    partners,
    goals: {
      renderUnder2s: renderMs < goals.renderMs,
      throughputDropUnder20Percent: drop < goals.throughputDrop,
      ...partnerLines.goals,
    },
  };
  const lines = [
    `${header}, MES not asked (renders and pipeline)`,
    table(
      ['', 'figure', 'goal'],
      [
        [
          `render time, median of ${renders.length}`,
          `${formatInt(renderMs)} ms (${renders.map((r) => Math.round(r.ms)).join(' / ')})`,
          `< ${goals.renderMs} ms: ${summary.goals.renderUnder2s ? 'met' : 'NOT met'}`,
        ],
        ['pipeline alone (cmd/s)', formatInt(alone), ''],
        ['pipeline while reports render (cmd/s)', formatInt(busy), ''],
        [
          'throughput drop',
          `${(drop * 100).toFixed(1)}%`,
          `< ${goals.throughputDrop * 100}%: ${summary.goals.throughputDropUnder20Percent ? 'met' : 'NOT met'}`,
        ],
      ],
    ),
    `runs (alone / while reporting, cmd/s): ${runs.map((r) => `${formatInt(r.alone)} / ${formatInt(r.withReports)} (${r.renders} reports)`).join('; ')}`,
    ...partnerLines.lines,
    machineLine,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** The partner phase's table: p50/p99 alone and with the report, their ratio, the goal; per mode. */
function partnerFigures(figures: PartnersFigures): { lines: string[]; goals: { partnerP99Within1_2x: boolean } } {
  const modes = [
    ['page rendered on the page thread (as shipped)', figures.thread] as const,
    ...(figures.loop ? [['page rendered on the event loop (comparison)', figures.loop] as const] : []),
  ];
  const rows = modes.flatMap(([name, mode]) => [
    [name, '', ''],
    [
      '  partner read p50 alone / with report (ms)',
      `${mode.p50Alone.toFixed(2)} / ${mode.p50WithReport.toFixed(2)}`,
      '',
    ],
    [
      '  partner read p99 alone / with report (ms)',
      `${mode.p99Alone.toFixed(2)} / ${mode.p99WithReport.toFixed(2)}`,
      '',
    ],
    [
      '  p99 with report ÷ alone',
      `${mode.p99Ratio.toFixed(2)}×`,
      `≤ ${partnerGoal.p99Ratio}×: ${mode.met ? 'met' : 'NOT met'}`,
    ],
    [
      '  reports rendered while measured (ms each)',
      mode.withReport
        .flatMap((w) => w.reportMs ?? [])
        .map((ms) => Math.round(ms))
        .join(' / '),
      '',
    ],
    [
      '  gateway loop stall max alone / with report (ms)',
      `${Math.max(...mode.alone.map((w) => w.loopStallMaxMs)).toFixed(0)} / ${Math.max(...mode.withReport.map((w) => w.loopStallMaxMs)).toFixed(0)}`,
      '',
    ],
  ]);
  const failed = modes.reduce(
    (sum, [, mode]) => sum + [...mode.alone, ...mode.withReport].reduce((s, w) => s + w.failed, 0),
    0,
  );
  const lag = Math.max(
    ...modes.flatMap(([, mode]) => [...mode.alone, ...mode.withReport].map((w) => w.generatorLagP99)),
  );
  return {
    lines: [
      `Partners reading ${formatInt(figures.orders)} cached orders (GET /v1/orders/{id}) at ${formatInt(figures.rate)}/s open loop, ${figures.seconds} s windows, ${figures.rounds} rounds alone / while an operator renders GET /ops?since=24h back to back (medians over rounds)`,
      table(['', 'figure', 'goal'], rows),
      `partner reads failed: ${failed}; load generator's own send lag p99 at most ${lag.toFixed(2)} ms`,
    ],
    goals: { partnerP99Within1_2x: figures.thread.met },
  };
}
(ledger === 'postgres'
  ? runOnPostgres(
      {
        ...options,
        server: values.postgres,
        besideSqlite: values['beside-sqlite'],
        dropCache: values['drop-cache'],
        json: values.json,
      },
      { config, renderOnce, log, cleanup },
    )
  : main()
).then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench/report: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
