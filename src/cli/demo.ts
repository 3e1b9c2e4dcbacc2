import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectFirst, nodeAddress } from '../adapters/rabbitmq/cluster-connection.js';
import { destination } from 'pino';
import { BrokerUnreachableError } from '../adapters/rabbitmq/broker.js';
import { declareTopology } from '../adapters/rabbitmq/topology.js';
import { metricsListener } from '../adapters/http/metrics-app.js';
import { brokerUrls, withGatewayOverrides, type Config } from '../config/index.js';
import { startGateway, type Gateway } from '../gateway.js';
import type { LedgerStats } from '../ledger/index.js';
import { createLogger } from '../telemetry/logger.js';
import { reportHtml } from '../app/report/report-html.js';
import { reasonCounts } from '../app/report/report-formats.js';
import type { ReconciliationReport } from '../app/report/report.js';
import { texts } from '../app/report/texts.js';
import type { CliIo } from './io.js';
import { freePort } from './free-port.js';
import { packageRoot } from './package-root.js';
import { configDirFrom, loadWorkingConfigOrReport } from './check-config.js';
import { rabbitmqHint } from './serve.js';
import { errorMessage } from '../shared/error-message.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';

const demo = { orders: 300, rate: 20, stepMs: 300, maxSeconds: 75 } as const;
const mesFaults = [
  '--drop-share',
  '0.03',
  '--stall-share',
  '0.03',
  '--reject-share',
  '0.02',
  '--error-share',
  '0.05',
  '--duplicate-share',
  '0.1',
  '--reorder-window',
  '5',
];

export const demoUsage = `Usage: orderbridge demo [--config DIR]
  The gateway with the reference CRM and MES simulators on the local RabbitMQ (AMQP_URL), MES faults
  on, and a live summary until every order has an answer (about a minute); ends by writing the
  reconciliation report to data/demo/report.html. Purges the gateway's queues on that vhost first.
  ${configOptionUsage}`;

/**
 * `orderbridge demo`: the gateway plus the reference CRM and MES simulators on the local RabbitMQ,
 * with MES faults on, and a live summary from the ledger until every order has an answer.
 */
export async function runDemo(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    { command: 'demo', usage: demoUsage, options: { config: { type: 'string' } } },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const configDir = configDirFrom(parsed.values.config, io);
  const loaded = loadWorkingConfigOrReport(configDir, io);
  if (!loaded) return 2;
  const root = packageRoot();
  const dataDir = resolve(io.cwd, 'data/demo');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const mesPort = await freePort();
  const config = demoConfig(loaded, join(dataDir, 'ledger.db'), mesPort, await freePort());

  if (!(await purgeDemoQueues(config, io))) return 3;
  const logger = createLogger({ level: 'warn', destination: destination(join(dataDir, 'gateway.log')) });
  let gateway: Gateway;
  try {
    gateway = await startGateway({ config, logger });
  } catch (error) {
    if (!(error instanceof BrokerUnreachableError)) throw error;
    io.err(`orderbridge demo: ${error.message} — ${rabbitmqHint}`);
    return 3;
  }
  io.out(
    `Orderbridge demo: ${demo.orders} orders from the CRM simulator at ${demo.rate}/s; the MES simulator loses 3% of commands, stalls 3%, rejects 2%, errs on 5%, duplicates 10% of its events and reorders them.`,
  );
  io.out(
    `Acknowledgement deadline 3 s (2 forwards, then lost); stuck after 8 s in accepted. Ledger: ${join(dataDir, 'ledger.db')}`,
  );
  io.out(
    `Gateway HTTP: http://${config.gateway.http.host}:${gateway.http.port}/openapi.json (/healthz, /readyz); metrics: http://${metricsListener(config.gateway).host}:${gateway.metricsHttp.port}/metrics`,
  );

  const env = { ...io.env, AMQP_URL: brokerUrls(config.gateway.amqp).join(',') } as Record<string, string>;
  const bin = join(root, 'bin/orderbridge.js');
  const mes = spawnQuiet(
    bin,
    ['sim', 'mes', '--port', String(mesPort), '--step-ms', String(demo.stepMs), '--seed', '7', ...mesFaults],
    env,
    join(dataDir, 'mes-sim.log'),
  );
  const crm = spawnQuiet(
    bin,
    [
      'sim',
      'crm',
      '--orders',
      String(demo.orders),
      '--rate',
      String(demo.rate),
      '--report',
      join(dataDir, 'crm-report.json'),
      '--timeout-ms',
      String(demo.maxSeconds * 1000),
    ],
    env,
    join(dataDir, 'crm-sim.log'),
  );
  const started = Date.now();
  const live = io.env.CI !== 'true' && process.stdout.isTTY;
  const crmDone = new Promise<void>((done) => crm.on('exit', () => done()));
  let finished = false;
  void crmDone.then(() => (finished = true));
  while (!finished && Date.now() - started < demo.maxSeconds * 1000) {
    await new Promise((r) => setTimeout(r, live ? 1000 : 5000));
    const line = summaryLine(await gateway.ledger.stats(), Math.round((Date.now() - started) / 1000));
    if (live) process.stdout.write(`\r${line}\x1b[K`);
    else io.out(line);
  }
  if (live) process.stdout.write('\n');
  const final = await gateway.ledger.stats();
  // While the MES simulator still answers: the report asks it about every lost or flagged order.
  const reportPath = join(dataDir, 'report.html');
  const { report, timelines } = await gateway.ops.report({ from: started - 60_000, to: Date.now() }, 'en');
  writeFileSync(reportPath, reportHtml(report, 'en', timelines));
  for (const child of [crm, mes]) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all([crmDone, new Promise((done) => (mes.exitCode === null ? mes.on('exit', done) : done(null)))]);
  await gateway.stop();
  io.out('');
  io.out(`Final: ${summaryLine(final, Math.round((Date.now() - started) / 1000))}`);
  io.out(
    `Lost orders were flagged after 2 unanswered forwards; stuck ones after their status deadline; both reached the CRM as events.`,
  );
  io.out(
    `Reconciliation report: ${reportPath} (open it in a browser): ${texts.en.needsAction.headline(report.needsAction.total)} (${reasonCounts(report, 'en')}), listed first, each with a suggested action; ${report.discrepancies.length} discrepancies needing action; ${report.informational.total} informational (nothing to do).`,
  );
  const unlisted = unlistedFlags(final, report);
  if (unlisted) {
    io.err(`orderbridge demo: the action list misses ${unlisted} of the orders counted lost or stuck above`);
    return 1;
  }
  io.out(
    `  Only that list: ORDERBRIDGE_LEDGER_PATH=${join(dataDir, 'ledger.db')} npx orderbridge report --since 1h --needs-action (exit 1 while it is not empty)`,
  );
  io.out(
    `  Again, or in Russian: ORDERBRIDGE_LEDGER_PATH=${join(dataDir, 'ledger.db')} npx orderbridge report --since 1h [--lang ru] [--format html --out report.html]`,
  );
  io.out(
    `  One order's history: ORDERBRIDGE_LEDGER_PATH=${join(dataDir, 'ledger.db')} npx orderbridge timeline ORDER_ID`,
  );
  io.out(
    `Look closer: the ledger is ${join(dataDir, 'ledger.db')} (sqlite3), the CRM simulator's record ${join(dataDir, 'crm-report.json')}, logs in ${dataDir}/.`,
  );
  return 0;
}

function demoConfig(config: Config, ledgerPath: string, mesPort: number, httpPort: number): Config {
  return withGatewayOverrides(config, {
    ledger: { path: ledgerPath },
    http: { port: httpPort },
    // A free port: a gateway already serving on this machine holds the default one.
    metrics: { port: 0 },
    acknowledgement: { deadline: '3s', maxAttempts: 2, backoff: 1, evidenceLookup: true },
    stuck: {
      checkInterval: '500ms',
      deadlines: {
        received: '10s',
        accepted: '8s',
        in_production: '20s',
        on_hold: '15s',
        failed: '15s',
        ready: '10s',
        shipped: '10s',
      },
    },
    mesApi: { baseUrl: `http://127.0.0.1:${mesPort}` },
  });
}

/** How many of the orders the summary counts lost or stuck the report's action list does not name (0: it names all). */
export function unlistedFlags(stats: LedgerStats, report: ReconciliationReport): number {
  const listed = report.needsAction.byReason;
  return (
    Math.max(0, stats.attention.lost - (listed.lost ?? 0)) + Math.max(0, stats.attention.stuck - (listed.stuck ?? 0))
  );
}

export function summaryLine(stats: LedgerStats, seconds: number): string {
  const orders = Object.values(stats.ordersByStatus).reduce((a, b) => a + b, 0);
  const c = stats.commandsByState;
  const statuses = [
    'received',
    'accepted',
    'in_production',
    'on_hold',
    'failed',
    'ready',
    'shipped',
    'delivered',
    'rejected',
    'cancelled',
  ]
    .map((s) => `${s} ${stats.ordersByStatus[s] ?? 0}`)
    .join(' ');
  return `${String(seconds).padStart(3)}s  orders ${orders} │ acknowledged ${c.acknowledged ?? 0} rejected ${c.rejected ?? 0} failed ${c.failed ?? 0} │ ${statuses} │ lost ${stats.attention.lost} stuck ${stats.attention.stuck} │ invalid ${stats.invalid}`;
}

/** Demo queues start empty: messages left by an earlier run would count as this run's. */
async function purgeDemoQueues(config: Config, io: CliIo): Promise<boolean> {
  const { amqp } = config.gateway;
  try {
    const connection = await connectFirst(brokerUrls(amqp));
    const channel = await connection.createChannel();
    await declareTopology(channel, amqp);
    for (const queue of Object.values(amqp.queues)) await channel.purgeQueue(queue);
    await connection.close();
    return true;
  } catch (error) {
    io.err(
      `orderbridge demo: cannot reach RabbitMQ at ${brokerUrls(amqp).map(nodeAddress).join(', ')}: ${errorMessage(error)} — ${rabbitmqHint}`,
    );
    return false;
  }
}

function spawnQuiet(bin: string, args: string[], env: Record<string, string>, logFile: string): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}
