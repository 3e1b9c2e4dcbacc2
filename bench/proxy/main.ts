/**
 * Read-proxy benchmarks (issue 4, item 6), all ratios measured in the same run:
 *   1. GET /v1/orders/{id} through the gateway vs a bare Hono app serving the same JSON from a Map;
 *   2. MES load and staleness: partners polling 10,000 real orders (Zipf) while the MES simulator
 *      walks them, read from the gateway's event-fed read model, through its cached MES proxy,
 *      through nginx proxy_cache (5 s), and directly from the MES;
 *   3. MES slowdown: partner read latency at ×1, ×4, ×10 load, through the gateway and directly.
 *
 *   npm run -s bench:proxy -- [--parts 1,2,3] [--json] [--help]   (options: --help)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/index.js';
import { cleanupOnExit } from '../shared/cleanup.js';
import { hasTaskset } from '../shared/children.js';
import { runPart1, type Part1Result } from './part1.js';
import { startOtlpSink } from '../shared/otlp-sink.js';
import { runMesBench, type Part2Result, type Part3Result } from './mes.js';
import { gatewayCallCauses, goalVerdicts, printPart1, printPart2, printPart3 } from './report.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { findTool, missingTool, type ToolName } from '../../test/helpers/tools.js';

const usage = `usage: npm run -s bench:proxy -- [options]
  --parts LIST            which parts to run (default 1,2,3)
  --json                  print the figures as one JSON object on the last line
  part 1:
  --p1-orders N           orders in the ledger (default 10000)
  --p1-seconds S          measured seconds per app and round (default 2)
  --p1-warmup S           unmeasured seconds before each (default 1)
  --p1-connections N      wrk connections (default 16)
  --p1-rounds N           rounds in which the apps take turns (default 6); the ratio is the median of the rounds'
  --p1-paced-share X      fixed-rate run at X × the gateway's req/s (default 0.5)
  --p1-paced-seconds S    its length per app (default 10)
  --p1-paced-connections N  its keep-alive connections, requests pipelined (default 16)
  --no-pin                do not pin server and load generator to different CPUs
  --cpu-prof DIR          write V8 CPU profiles of part 1's servers (measured runs only) into DIR
  parts 2 and 3 (one world: the MES simulator, the gateway, nginx, real orders):
  --orders N              orders sent through CRM → gateway → MES (default 10000)
  --step-ms MS            mean time an order spends in one MES state (default 60000)
  --zipf S                Zipf exponent of which order a partner reads (default 1)
  --rate R                part 2's partner reads per second (default 500)
  --seconds S             part 2's measured seconds for nginx and the gateway (default 20)
  --gateway-warmup S      part 2's warm-up of the gateway's read model (default 10; part 3's gateway runs come before)
  --mes-proxy-warmup S    part 2's warm-up of the gateway's MES proxy, from an empty cache (default 30, its TTL)
  --nginx-warmup S        part 2's nginx warm-up (default 5)
  --nginx-ttl S           nginx proxy_cache_valid (default 5)
  --base-rate R           part 3's ×1 reads per second (default 50)
  --multipliers LIST      part 3's loads (default 1,4,10)
  --level-seconds S       part 3's measured seconds per load and mode (default 20: 1,000 reads at ×1)
  --level-warmup S        part 3's gateway warm-up per load (default 4)
  --seed N                fixes the Zipf choices and the MES's jitter (default 1)
`;

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: '1,2,3' },
    json: { type: 'boolean', default: false },
    'p1-orders': { type: 'string', default: '10000' },
    'p1-seconds': { type: 'string', default: '2' },
    'p1-warmup': { type: 'string', default: '1' },
    'p1-connections': { type: 'string', default: '16' },
    'p1-rounds': { type: 'string', default: '6' },
    'p1-paced-share': { type: 'string', default: '0.5' },
    'p1-paced-seconds': { type: 'string', default: '10' },
    'p1-paced-connections': { type: 'string', default: '16' },
    'no-pin': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    orders: { type: 'string', default: '10000' },
    'step-ms': { type: 'string', default: '60000' },
    zipf: { type: 'string', default: '1' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    'gateway-warmup': { type: 'string', default: '10' },
    'nginx-warmup': { type: 'string', default: '5' },
    'nginx-ttl': { type: 'string', default: '5' },
    'base-rate': { type: 'string', default: '50' },
    multipliers: { type: 'string', default: '1,4,10' },
    'level-seconds': { type: 'string', default: '20' },
    'level-warmup': { type: 'string', default: '4' },
    'mes-proxy-warmup': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(usage);
  process.exit(0);
}

function positive(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`--${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return value;
}

function nonNegative(name: string, raw: string | undefined): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a number >= 0, not ${JSON.stringify(raw)}`);
  return value;
}

function rabbitmqVersion(): string {
  try {
    return execFileSync('rabbitmqctl', ['-q', 'version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const parts = new Set(values.parts.split(',').map((p) => p.trim()));
// Part 1 runs wrk, parts 2 and 3 nginx (on PATH, or $ORDERBRIDGE_WRK, $ORDERBRIDGE_NGINX): say so now, not minutes in.
const missingTools = (
  [...(parts.has('1') ? ['wrk'] : []), ...(parts.has('2') || parts.has('3') ? ['nginx'] : [])] as ToolName[]
).filter((tool) => !findTool(tool));
if (missingTools.length > 0) {
  for (const tool of missingTools) process.stderr.write(`bench/proxy: ${missingTool(tool)}\n`);
  process.exit(1);
}
const pin = !values['no-pin'] && availableParallelism() >= 2 && hasTaskset();
const log = (line: string) => process.stderr.write(`${line}\n`);
const cleanup = cleanupOnExit(log);

async function main(): Promise<void> {
  const config = loadConfig({ dir: defaultConfigDir, env: {} });
  const tempDir = mkdtempSync(join(tmpdir(), 'orderbridge-bench-proxy-'));
  cleanup.add(() => rmSync(tempDir, { recursive: true, force: true }));
  const startedAt = new Date();
  const load1m = loadavg()[0]!;
  const figures: {
    part1?: Part1Result;
    part2?: Part2Result & { gatewayMesCallsPer100ReadsByCause: Record<string, number> };
    part3?: Part3Result;
  } = {};

  if (parts.has('1')) {
    const sink = await startOtlpSink();
    cleanup.add(() => void sink.close());
    figures.part1 = await runPart1(
      {
        orders: positive('p1-orders', values['p1-orders']),
        seconds: positive('p1-seconds', values['p1-seconds']),
        warmupSeconds: nonNegative('p1-warmup', values['p1-warmup']),
        connections: positive('p1-connections', values['p1-connections']),
        rounds: positive('p1-rounds', values['p1-rounds']),
        pacedShare: positive('p1-paced-share', values['p1-paced-share']),
        pacedSeconds: positive('p1-paced-seconds', values['p1-paced-seconds']),
        pacedConnections: positive('p1-paced-connections', values['p1-paced-connections']),
        ...(pin ? { cpus: { server: '1', load: '0' } } : {}),
        ...(values['cpu-prof']
          ? { cpuProfDir: mkdirSync(resolve(values['cpu-prof']), { recursive: true }) ?? resolve(values['cpu-prof']) }
          : {}),
      },
      config,
      cleanup,
      tempDir,
      sink.endpoint,
    );
    process.stdout.write(`${printPart1(figures.part1)}\n\n`);
  }

  if (parts.has('2') || parts.has('3')) {
    const { part2, part3 } = await runMesBench(
      {
        orders: positive('orders', values.orders),
        partners: 10,
        stepMs: positive('step-ms', values['step-ms']),
        nginxTtlSeconds: positive('nginx-ttl', values['nginx-ttl']),
        seed: nonNegative('seed', values.seed),
        zipfS: nonNegative('zipf', values.zipf),
        rate: positive('rate', values.rate),
        seconds: positive('seconds', values.seconds),
        gatewayWarmupSeconds: nonNegative('gateway-warmup', values['gateway-warmup']),
        nginxWarmupSeconds: nonNegative('nginx-warmup', values['nginx-warmup']),
        baseRate: positive('base-rate', values['base-rate']),
        multipliers: values.multipliers.split(',').map((m) => positive('multipliers', m)),
        levelSeconds: positive('level-seconds', values['level-seconds']),
        levelWarmupSeconds: nonNegative('level-warmup', values['level-warmup']),
        mesProxyWarmupSeconds: nonNegative('mes-proxy-warmup', values['mes-proxy-warmup']),
      },
      config,
      cleanup,
      tempDir,
    );
    const causes = gatewayCallCauses(part2.gatewayMes);
    const per100 = (n: number) => Math.round((n / Math.max(1, part2.gatewayMes.reads)) * 10_000) / 100;
    // One world serves both parts (part 2's direct figures are part 3's ×10 run): report what was asked for.
    if (parts.has('2')) {
      figures.part2 = {
        ...part2,
        gatewayMesCallsPer100ReadsByCause: {
          firstRead: per100(causes.firstRead),
          afterChange: per100(causes.afterChange),
          expired: per100(causes.expired),
          background: per100(causes.background),
        },
      };
      process.stdout.write(`${printPart2(part2)}\n\n`);
    }
    if (parts.has('3')) {
      figures.part3 = part3;
      process.stdout.write(`${printPart3(part3)}\n\n`);
    }
  }

  const machine = {
    cores: availableParallelism(),
    node: process.version,
    loadAverage1mAtStart: Math.round(load1m * 100) / 100,
    loadAverage1mAtEnd: Math.round(loadavg()[0]! * 100) / 100,
    pinned: pin,
    rabbitmq: rabbitmqVersion(),
    command: [process.execPath, ...process.execArgv, ...process.argv.slice(1)].join(' '),
  };
  const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  process.stdout.write(
    `run: ${seconds} s; load average (1 min) ${machine.loadAverage1mAtStart} at start, ${machine.loadAverage1mAtEnd} at end, on ${machine.cores} cores\n`,
  );
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ startedAt: startedAt.toISOString(), seconds, machine, goals: goalVerdicts(figures), ...figures })}\n`,
    );
}

main()
  .then(() => {
    cleanup.runAll();
    process.exit(0);
  })
  .catch((error: unknown) => {
    log(`bench/proxy: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    cleanup.runAll();
    process.exit(1);
  });
