import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { freePort } from '../../src/cli/free-port.js';
import type { CrmReport } from '../../sim/crm/report.js';
import type { MesStats } from '../../sim/mes/stats.js';
import { writeConfigDir } from './config-files.js';
import { startOrderbridge, waitForOutput, type Started } from './processes.js';
import { sqliteCopyOf } from './postgres.js';
import { createVhost } from './vhost.js';

export interface E2eOptions {
  orders: number;
  /**
   * The broker to run on instead of a fresh vhost of the machine's RabbitMQ: a private node or
   * cluster (test/helpers/private-rabbit.ts), as AMQP_URL takes it (nodes comma-separated).
   */
  amqpUrl?: string;
  /**
   * A PostgreSQL ledger (DATABASE_URL) instead of the SQLite file; the result's `ledger` is then an
   * SQLite copy of its tables (sqliteCopyOf), read by the checker like any other.
   */
  postgresUrl?: string;
  /**
   * Gateway processes (`orderbridge serve`) on the one broker and ledger, as replicas (default 1;
   * more than one needs `postgresUrl`).
   */
  replicas?: number;
  rate: number;
  /** gateway.yaml fields to replace, by dotted path. */
  gateway?: Record<string, unknown>;
  mes?: string[];
  crm?: string[];
  runId?: string;
  timeoutMs?: number;
  /** Runs while the CRM is still sending: inject faults here. */
  during?: (run: E2eRun) => Promise<void>;
  /** Runs after the CRM simulator finished, while the gateway and the MES still run. */
  beforeStop?: (run: E2eRun) => Promise<void>;
}

export interface E2eRun {
  /** The first replica (the only one by default). */
  gateway: Started;
  /** Every replica, in order; a restarted one replaces itself. */
  gateways: Started[];
  mes: Started;
  crm: Started;
  vhostUrl: string;
  mesPort: number;
  /** The environment the gateway runs with (broker, ledger, config): for CLI commands against it. */
  gatewayEnv: Record<string, string>;
  /** The running gateway's HTTP base URL, e.g. http://127.0.0.1:41234. */
  gatewayUrl(): string;
  /** The running gateway's metrics listener, e.g. http://127.0.0.1:41235/metrics (never on the partner port). */
  metricsUrl(): string;
  /** Starts replica `index` (default the first) again, once it has exited. */
  restartGateway(index?: number): Promise<void>;
}

export interface E2eResult {
  report: CrmReport;
  mes: MesStats;
  ledger: Database.Database;
  /** Every replica's output, one after the other. */
  gatewayLog: string;
}

const gatewayStartMs = 60_000;

/**
 * Gateway and both simulators as separate processes on a fresh vhost, a fresh ledger and the
 * default config with the given changes; everything is stopped by PID and removed afterwards.
 */
export async function runE2e(t: Test, options: E2eOptions): Promise<E2eResult> {
  const replicas = options.replicas ?? 1;
  if (replicas > 1 && !options.postgresUrl) throw new Error('replicas share a ledger: give postgresUrl');
  const vhost = options.amqpUrl ? undefined : await createVhost('ob-e2e');
  const amqpUrl = options.amqpUrl ?? vhost!.url;
  const data = mkdtempSync(join(tmpdir(), 'orderbridge-e2e-'));
  const mesPort = await freePort();
  const config = writeConfigDir({
    'mesApi.baseUrl': `http://127.0.0.1:${mesPort}`,
    'http.port': 0,
    'metrics.port': 0,
    ...options.gateway,
  });
  const ledgerPath = join(data, 'ledger.db');
  const reportPath = join(data, 'crm-report.json');
  const env = {
    AMQP_URL: amqpUrl,
    ORDERBRIDGE_LEDGER_PATH: ledgerPath,
    ORDERBRIDGE_CONFIG: config.dir,
    ORDERBRIDGE_LOG_LEVEL: 'info',
    ...(options.postgresUrl ? { DATABASE_URL: options.postgresUrl } : {}),
  };
  let ledger: Database.Database | undefined;
  t.teardown(async () => {
    ledger?.close();
    await vhost?.remove();
    config.remove();
    rmSync(data, { recursive: true, force: true });
  });

  const name = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
  let generation = 0;
  const logs: Started[] = [];
  const startGateway = async (index: number) => {
    const replica = replicas > 1 ? `${index}-` : '';
    const gateway = startOrderbridge(t, `${name}-gateway-${replica}${generation++}`, ['serve'], env);
    logs.push(gateway);
    // A start costs a few seconds of CPU: on two cores shared with a run's other processes and
    // other benchmarks (load 15-20), a gateway started mid-run took more than 20 s to say so.
    await waitForOutput(gateway, /gateway started/, gatewayStartMs);
    // serve answers HTTP at once and connects to RabbitMQ in the background.
    await waitForOutput(gateway, /RabbitMQ connected/, gatewayStartMs);
    return gateway;
  };
  // One after the other: the first runs the migrations; the others find them done.
  const gateways: Started[] = [];
  for (let i = 0; i < replicas; i++) gateways.push(await startGateway(i));
  const run: E2eRun = {
    get gateway() {
      return gateways[0]!;
    },
    gateways,
    mes: startOrderbridge(t, `${name}-mes`, ['sim', 'mes', '--port', String(mesPort), ...(options.mes ?? [])], env),
    crm: undefined as unknown as Started,
    vhostUrl: amqpUrl,
    mesPort,
    gatewayEnv: env,
    gatewayUrl() {
      const url = /"http":"(http:\/\/[^"]+)"[^\n]*gateway started/.exec(run.gateway.output())?.[1];
      if (!url) throw new Error(`the gateway did not log its HTTP address:\n${run.gateway.output().slice(-2000)}`);
      return url;
    },
    metricsUrl() {
      const url = /"metrics":"(http:\/\/[^"]+)"[^\n]*gateway started/.exec(run.gateway.output())?.[1];
      if (!url) throw new Error(`the gateway did not log its metrics address:\n${run.gateway.output().slice(-2000)}`);
      return url;
    },
    async restartGateway(index = 0) {
      gateways[index] = await startGateway(index);
    },
  };
  await waitForMesApi(mesPort, run.mes);
  run.crm = startOrderbridge(
    t,
    `${name}-crm`,
    [
      'sim',
      'crm',
      '--orders',
      String(options.orders),
      '--rate',
      String(options.rate),
      '--report',
      reportPath,
      '--timeout-ms',
      String(options.timeoutMs ?? 90_000),
      ...(options.runId ? ['--run-id', options.runId] : []),
      ...(options.crm ?? []),
    ],
    env,
  );
  if (options.during) await options.during(run);
  const crmExit = await run.crm.exited;
  if (crmExit !== 0) throw new Error(`CRM simulator exited ${crmExit}:\n${run.crm.output().slice(-3000)}`);
  const mes = (await (await fetch(`http://127.0.0.1:${mesPort}/stats`)).json()) as MesStats;
  if (options.beforeStop) await options.beforeStop(run);
  const gatewayLog = logs.map((gateway) => gateway.output()).join('');
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await run.mes.stop();
  ledger = options.postgresUrl ? await sqliteCopyOf(options.postgresUrl) : new Database(ledgerPath, { readonly: true });
  return { report: JSON.parse(readFileSync(reportPath, 'utf8')) as CrmReport, mes, ledger, gatewayLog };
}

async function waitForMesApi(port: number, mes: Started): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/stats`)).ok) return;
    } catch {
      // not listening yet
    }
    if (mes.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`MES simulator did not come up:\n${mes.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `stuck.deadlines` under which only an order left in `accepted` goes stuck (after `after`): every
 * other status waits a minute, longer than any e2e run, so only the MES's stalls are flagged.
 */
export function stuckOnlyWhenAccepted(after: string): Record<string, string> {
  const long = '60s';
  return {
    received: long,
    accepted: after,
    in_production: long,
    on_hold: long,
    failed: long,
    ready: long,
    shipped: long,
  };
}
