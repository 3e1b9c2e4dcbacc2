/**
 * Pipeline benchmark: CRM order.create commands through (a) a minimal amqplib forwarder, (b) the
 * full gateway path (validation, ledger with group commit and synchronous=FULL, confirmed publish,
 * mark forwarded, ack) and (c) the same with tracing on (SDK registered with node --import, OTLP to
 * a local sink), each in a fresh vhost on quorum queues, each in its own process.
 *
 *   npx tsx bench/pipeline.ts [--orders 20000] [--runs 3] [--rate 2000] [--latency-seconds 3]
 *                             [--json] [--diagnose] [--cpu-prof DIR]
 *   (without tsx: TS_NODE_TRANSPILE_ONLY=1 node --import @tapjs/typescript/import bench/pipeline.ts …)
 *
 * --diagnose times the gateway's group commits (units vs BEGIN/COMMIT); --cpu-prof writes V8 CPU
 * profiles of the child processes. The child runs with this process's Node flags, so whichever
 * TypeScript loader started the bench also loads bench/sut.ts.
 *
 * Throughput: N commands are preloaded into the CRM queue with confirms before the system under
 * test consumes anything; the clock runs from its start of consumption until the N-th MES command
 * reached the collector. Added latency: with the system running and idle, commands are sent at a
 * steady rate and each one's send → arrival time is taken (same process, monotonic clock).
 */
import { connect } from '../src/adapters/rabbitmq/amqp.js';
import type { ChannelModel } from 'amqplib';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mesCommandId } from '../src/app/forward-crm-command.js';
import { declareTopology } from '../src/adapters/rabbitmq/topology.js';
import { loadConfig } from '../src/config/index.js';
import { createVhost } from '../test/helpers/vhost.js';
import {
  formatInt,
  formatMs,
  formatSigned,
  median,
  percentile,
  positiveInt,
  rabbitCpuMs,
  round,
  table,
} from './pipeline-figures.js';
import { Collector, commands, preload, publishPaced } from './pipeline-load.js';
import type { SutMode, SutStats } from './sut-protocol.js';
import { killAllChildren } from './children.js';
import { startSut, type SutProcess } from './sut-process.js';
import { startOtlpSink, tracedChild, type OtlpSink } from './otlp-sink.js';
import { defaultConfigDir } from '../test/helpers/config-dir.js';
import { describeMappingCosts, mappingCosts } from './pipeline-mapping.js';

const goal = 0.6;
/** Tracing on may cost at most this share of the gateway's throughput (issue 5). */
const tracingCostGoal = 0.15;

/**
 * The gateway runs three times: tracing off (the default), on with every trace recorded, and on with
 * 10% of traces sampled (what a busy production would run), each exporting OTLP to a local sink.
 */
type Side = SutMode | 'gateway-traced' | 'gateway-sampled';
const sides: Side[] = ['raw', 'gateway', 'gateway-traced', 'gateway-sampled'];
const sampledShare = 0.1;
const tracingOf = (side: Side, sink: OtlpSink) =>
  side === 'gateway-traced'
    ? tracedChild(sink.endpoint)
    : side === 'gateway-sampled'
      ? tracedChild(sink.endpoint, sampledShare)
      : undefined;

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    'latency-seconds': { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: bench/pipeline.ts [--orders N] [--runs R] [--rate PER_SECOND] [--latency-seconds S] [--json] [--diagnose] [--cpu-prof DIR]\n',
  );
  process.exit(0);
}
const options = {
  orders: positiveInt('orders', values.orders),
  runs: positiveInt('runs', values.runs),
  rate: positiveInt('rate', values.rate),
  latencySeconds: positiveInt('latency-seconds', values['latency-seconds']),
  json: values.json,
  diagnose: values.diagnose,
  cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
};

const config = loadConfig({ dir: defaultConfigDir, env: {} });
const { amqp } = config.gateway;

// Everything a run leaves behind, removed even when the run fails or the bench is interrupted.
// Each entry is synchronous so that it also works from an `exit` or signal handler.
const leftovers = new Set<() => void>();
function removeLeftovers(): void {
  killAllChildren();
  for (const remove of [...leftovers].reverse()) {
    leftovers.delete(remove);
    try {
      remove();
    } catch (error) {
      process.stderr.write(`cleanup: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}
process.on('exit', removeLeftovers);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    removeLeftovers();
    process.exit(130);
  });
}

interface SideRun {
  mode: Side;
  run: number;
  /** Commands per second from start of consumption until the N-th MES command arrived. */
  throughput: number;
  seconds: number;
  latency: { p50: number; p99: number; max: number; count: number };
  sut: SutStats;
  /** CPU of the RabbitMQ node during the throughput window, in % of one core. */
  rabbitCpuPercent?: number;
  duplicates: number;
  /** Traced side: OTLP bytes the sink received during the run. */
  exportedBytes?: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function runSide(side: Side, run: number, sink: OtlpSink): Promise<SideRun> {
  const n = options.orders;
  const mode: SutMode = side === 'raw' ? 'raw' : 'gateway';
  const tracing = tracingOf(side, sink);
  const prefix = `${side}${run}`;
  const sinkBytesBefore = sink.bytes;
  const vhost = createVhost('ob-bench');
  const removeVhost = () => vhost.remove();
  leftovers.add(removeVhost);
  const dataDir = mkdtempSync(join(tmpdir(), 'orderbridge-bench-'));
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  leftovers.add(removeData);
  const connections: ChannelModel[] = [];
  let sut: SutProcess | undefined;
  try {
    // The load generator and the collector each get their own connection, so the broker's flow
    // control on one never slows the other.
    const loadConnection = await connect(vhost.url);
    connections.push(loadConnection);
    const admin = await loadConnection.createChannel();
    await declareTopology(admin, amqp);
    await admin.close();
    const publisher = await loadConnection.createConfirmChannel();
    await preload(publisher, amqp.exchanges.crmCommands, commands(prefix, 0, n));

    const collectorConnection = await connect(vhost.url);
    connections.push(collectorConnection);
    const collector = await Collector.start(collectorConnection, amqp.queues.mesCommands);

    sut = await startSut({
      mode,
      url: vhost.url,
      ledgerPath: join(dataDir, 'ledger.db'),
      diagnose: options.diagnose,
      cpuProfDir: options.cpuProfDir,
      ...(tracing ? { tracing } : {}),
    });
    const rabbitBefore = rabbitCpuMs();
    const start = performance.now();
    sut.go();
    const end = await collector.until(n, Math.max(60_000, n * 5));
    const rabbitAfter = rabbitCpuMs();
    const sutStats = await sut.stats();
    const seconds = (end - start) / 1000;

    // Added latency, with the system running and idle.
    await sleep(500);
    const latencyCommands = commands(prefix, n, options.rate * options.latencySeconds);
    const sentAt = new Map<string, number>();
    collector.recording = true;
    await publishPaced(publisher, amqp.exchanges.crmCommands, latencyCommands, options.rate, (command, at) =>
      sentAt.set(command.messageId, at),
    );
    await collector.until(n + latencyCommands.length, 60_000);
    const latencies = latencyCommands
      .map(({ messageId }) => {
        const arrived = collector.arrivals.get(mode === 'gateway' ? mesCommandId(messageId) : messageId);
        if (arrived === undefined) throw new Error(`${mode}: ${messageId} never arrived`);
        return arrived - sentAt.get(messageId)!;
      })
      .sort((a, b) => a - b);
    const result: SideRun = {
      mode: side,
      run,
      throughput: n / seconds,
      seconds,
      latency: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1)!,
        count: latencies.length,
      },
      sut: sutStats,
      ...(rabbitBefore !== undefined && rabbitAfter !== undefined
        ? { rabbitCpuPercent: ((rabbitAfter - rabbitBefore) / (end - start)) * 100 }
        : {}),
      duplicates: collector.received - collector.messageIds.size,
    };
    await collector.close();
    await sut.stop();
    if (tracing) result.exportedBytes = sink.bytes - sinkBytesBefore;
    return result;
  } finally {
    await sut?.stop().catch(() => sut?.kill());
    for (const connection of connections) await connection.close().catch(() => undefined);
    removeVhost();
    leftovers.delete(removeVhost);
    removeData();
    leftovers.delete(removeData);
  }
}

function describe(r: SideRun): string {
  const commits = r.sut.commits
    ? `, ${formatInt(r.sut.commits.batches)} commits (${(r.sut.commits.units / Math.max(1, r.sut.commits.batches)).toFixed(1)} units each)`
    : '';
  const rabbit = r.rabbitCpuPercent === undefined ? '' : `, RabbitMQ CPU ${r.rabbitCpuPercent.toFixed(0)}%`;
  return (
    `run ${r.run} ${r.mode.padEnd(14)} ${formatInt(r.throughput).padStart(7)} cmd/s (${r.seconds.toFixed(2)} s), latency p50 ${formatMs(r.latency.p50)} ms p99 ${formatMs(r.latency.p99)} ms` +
    ` | child CPU ${((r.sut.cpuMs / r.sut.elapsedMs) * 100).toFixed(0)}%, event loop ${(r.sut.eventLoopUtilization * 100).toFixed(0)}% busy${commits}${rabbit}` +
    (r.exportedBytes !== undefined ? ` | ${formatInt(r.exportedBytes / 1024)} KiB of OTLP exported` : '') +
    (r.duplicates ? ` | ${r.duplicates} DUPLICATES` : '')
  );
}

/** What the figures depend on besides the code: the machine, its load, the broker's version. */
function machine(loadAtStart: number) {
  let rabbitmq = 'unknown';
  try {
    rabbitmq = execFileSync('rabbitmqctl', ['-q', 'version'], { encoding: 'utf8' }).trim();
  } catch {
    // Not on this machine's PATH: leave it unknown.
  }
  return { cores: availableParallelism(), node: process.version, rabbitmq, loadAverage1mAtStart: round(loadAtStart) };
}

function summarise(runs: SideRun[], host: ReturnType<typeof machine>) {
  const side = (mode: Side) => {
    const mine = runs.filter((r) => r.mode === mode);
    return {
      throughput: round(median(mine.map((r) => r.throughput)), 0),
      latencyP50Ms: round(median(mine.map((r) => r.latency.p50))),
      latencyP99Ms: round(median(mine.map((r) => r.latency.p99))),
      childCpuPercent: round(median(mine.map((r) => (r.sut.cpuMs / r.sut.elapsedMs) * 100)), 0),
      // Less sensitive to other load on the machine than commands/s.
      childCpuUsPerCommand: round(median(mine.map((r) => (r.sut.cpuMs * 1000) / options.orders)), 0),
      rabbitCpuPercent: round(
        median(mine.flatMap((r) => (r.rabbitCpuPercent === undefined ? [] : [r.rabbitCpuPercent]))),
        0,
      ),
      runs: mine.map((r) => ({
        throughput: round(r.throughput, 0),
        seconds: round(r.seconds, 3),
        latencyP50Ms: round(r.latency.p50),
        latencyP99Ms: round(r.latency.p99),
        latencyMaxMs: round(r.latency.max),
        sut: r.sut,
        duplicates: r.duplicates,
      })),
    };
  };
  const raw = side('raw');
  const gateway = side('gateway');
  const traced = side('gateway-traced');
  const sampled = side('gateway-sampled');
  const ratio = round(gateway.throughput / raw.throughput, 3);
  const tracingCost = round(1 - traced.throughput / gateway.throughput, 3);
  const sampledTracingCost = round(1 - sampled.throughput / gateway.throughput, 3);
  const exportedBy = (mode: Side) =>
    runs.flatMap((r) => (r.mode === mode && r.exportedBytes !== undefined ? [r.exportedBytes] : []));
  return {
    machine: host,
    orders: options.orders,
    runs: options.runs,
    latencyRate: options.rate,
    latencySeconds: options.latencySeconds,
    raw,
    gateway,
    gatewayTraced: traced,
    gatewaySampled: sampled,
    ratio,
    goal,
    meetsGoal: ratio >= goal,
    tracingCost,
    sampledTracingCost,
    sampledShare,
    tracingCostGoal,
    meetsTracingGoal: tracingCost <= tracingCostGoal,
    meetsTracingGoalSampled: sampledTracingCost <= tracingCostGoal,
    otlpBytesPerCommand: round(median(exportedBy('gateway-traced')) / options.orders, 0),
    addedLatencyMs: {
      p50: round(gateway.latencyP50Ms - raw.latencyP50Ms),
      p99: round(gateway.latencyP99Ms - raw.latencyP99Ms),
    },
  };
}

function report(summary: ReturnType<typeof summarise>): string {
  const { raw, gateway, gatewayTraced: traced, gatewaySampled: sampled } = summary;
  const rows = [
    [
      'throughput (commands/s)',
      formatInt(raw.throughput),
      formatInt(gateway.throughput),
      `ratio ${summary.ratio.toFixed(2)} (goal ≥ ${goal.toFixed(2)}${summary.meetsGoal ? ', met' : ', NOT met'})`,
      formatInt(traced.throughput),
      formatInt(sampled.throughput),
    ],
    [
      'added latency p50 (ms)',
      formatMs(raw.latencyP50Ms),
      formatMs(gateway.latencyP50Ms),
      formatSigned(summary.addedLatencyMs.p50),
      formatMs(traced.latencyP50Ms),
      formatMs(sampled.latencyP50Ms),
    ],
    [
      'added latency p99 (ms)',
      formatMs(raw.latencyP99Ms),
      formatMs(gateway.latencyP99Ms),
      formatSigned(summary.addedLatencyMs.p99),
      formatMs(traced.latencyP99Ms),
      formatMs(sampled.latencyP99Ms),
    ],
    [
      'child CPU (% of a core)',
      `${raw.childCpuPercent}`,
      `${gateway.childCpuPercent}`,
      '',
      `${traced.childCpuPercent}`,
      `${sampled.childCpuPercent}`,
    ],
    [
      'child CPU per command (µs)',
      `${raw.childCpuUsPerCommand}`,
      `${gateway.childCpuUsPerCommand}`,
      `× ${(gateway.childCpuUsPerCommand / raw.childCpuUsPerCommand).toFixed(1)}`,
      `${traced.childCpuUsPerCommand}`,
      `${sampled.childCpuUsPerCommand}`,
    ],
    [
      'RabbitMQ CPU (% of a core)',
      `${raw.rabbitCpuPercent}`,
      `${gateway.rabbitCpuPercent}`,
      '',
      `${traced.rabbitCpuPercent}`,
      `${sampled.rabbitCpuPercent}`,
    ],
  ];
  return [
    `Orderbridge pipeline: ${formatInt(summary.orders)} order.create commands, median of ${summary.runs} run(s) per side, quorum queues, prefetch ${amqp.prefetch}`,
    `latency: ${formatInt(summary.latencyRate)} commands/s for ${summary.latencySeconds} s into an idle system, send → arrival at the MES queue's consumer`,
    '',
    table(
      ['', 'raw', 'gateway', 'gateway vs raw', 'tracing on, all', `tracing on, ${sampledShare * 100}% sampled`],
      rows,
    ),
    ...queueingNote(summary.latencyRate, gateway.throughput),
    '',
    `tracing on (OTLP/HTTP protobuf to a local sink, ${formatInt(summary.otlpBytesPerCommand)} bytes exported per command when every trace is recorded) costs the gateway`,
    `  ${(summary.tracingCost * 100).toFixed(1)}% of its throughput recording every trace (goal ≤ ${(tracingCostGoal * 100).toFixed(0)}%${summary.meetsTracingGoal ? ', met' : ', NOT met'}), ${(summary.sampledTracingCost * 100).toFixed(1)}% sampling ${sampledShare * 100}% (${summary.meetsTracingGoalSampled ? 'met' : 'NOT met'})`,
    '',
    `machine: ${summary.machine.cores} cores, Node ${summary.machine.node}, RabbitMQ ${summary.machine.rabbitmq}, 1-min load average ${summary.machine.loadAverage1mAtStart} before the bench started`,
  ].join('\n');
}

/** A latency taken near saturation measures the queue, not the pipeline: say so. */
function queueingNote(rate: number, throughput: number): string[] {
  const load = rate / throughput;
  if (load < 0.7) return [];
  return [
    '',
    `note: the latency phase sent ${formatInt(rate)}/s, ${(load * 100).toFixed(0)}% of the gateway's measured throughput, so its latency is mostly`,
    `      queueing behind the backlog; --rate ${formatInt(Math.max(100, Math.floor((throughput * 0.25) / 100) * 100))} shows the pipeline's own added latency.`,
  ];
}

async function main(): Promise<void> {
  const runs: SideRun[] = [];
  const loadAtStart = loadavg()[0]!;
  if (loadAtStart > availableParallelism() / 2) {
    log(
      `bench: WARNING the 1-min load average is ${loadAtStart.toFixed(1)} on ${availableParallelism()} cores: other processes compete for the CPU, the figures will be low and noisy`,
    );
  }
  log(`bench: ${options.runs} run(s) × (${sides.join(', ')}), ${formatInt(options.orders)} commands each`);
  const sink = await startOtlpSink();
  try {
    for (let run = 1; run <= options.runs; run++) {
      for (const side of sides) {
        const result = await runSide(side, run, sink);
        runs.push(result);
        log(describe(result));
      }
    }
  } finally {
    await sink.close();
  }
  const summary = summarise(runs, machine(loadAtStart));
  const mapping = mappingCosts();
  process.stdout.write(`\n${report(summary)}\n\n${describeMappingCosts(mapping).join('\n')}\n`);
  if (options.cpuProfDir) process.stdout.write(`\nCPU profiles of the child processes: ${options.cpuProfDir}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify({ ...summary, mapping })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
