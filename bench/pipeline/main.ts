/**
 * Pipeline benchmark: CRM order.create commands through (a) a minimal amqplib forwarder, (b) the
 * full gateway path (validation, ledger with group commit and synchronous=FULL, confirmed publish,
 * mark forwarded, ack) and (c) the same with tracing on (SDK registered with node --import, OTLP to
 * a local sink), each in a fresh vhost on quorum queues, each in its own process.
 *
 *   npm run -s bench:pipeline -- [--orders 20000] [--runs 3] [--rate 2000] [--latency-seconds 3]
 *                                [--json] [--diagnose] [--cpu-prof DIR] [--skip-tracing]
 *
 *   npm run -s bench:pipeline -- --ledger postgres [--replicas 1,2,3] [--postgres postgres://postgres@127.0.0.1:5432]
 *
 * --diagnose times the gateway's group commits (units vs BEGIN/COMMIT); --cpu-prof writes V8 CPU
 * profiles of the child processes, and the part of each that was measured (bench/shared/profile-shares.ts
 * prints where the busy time went); --skip-tracing runs only the raw and the gateway sides (for A/B
 * comparisons of the untraced pipeline, in half the time). --ledger postgres runs, instead of the traced gateway, the gateway
 * on PostgreSQL (a fresh database per run, dropped after) with each number of replicas consuming the
 * same queues, and reports the gateways' and PostgreSQL's CPU per command (bench/pipeline/postgres.ts).
 *
 * Throughput: N commands are preloaded into the CRM queue with confirms before the system under
 * test consumes anything; the clock runs from its start of consumption until the N-th MES command
 * reached the collector. Added latency: with the system running and idle, commands are sent at a
 * steady rate and each one's send → arrival time is taken (same process, monotonic clock).
 */
import { connect } from '../../src/adapters/rabbitmq/amqp.js';
import type { ChannelModel } from 'amqplib';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mesCommandId } from '../../src/app/forward-crm-command.js';
import { declareTopology } from '../../src/adapters/rabbitmq/topology.js';
import { loadConfig } from '../../src/config/index.js';
import { createVhost } from '../../test/helpers/vhost.js';
import { formatInt, formatMs, formatSigned, median, percentile, positiveInt, round, table } from '../shared/figures.js';
import { Collector, commands, preload, publishPaced } from './load.js';
import type { SutMode } from './sut-protocol.js';
import { cleanupOnExit } from '../shared/cleanup.js';
import { createBenchDatabase, defaultPostgresServer, ledgerOption, postgresCpu } from '../shared/postgres.js';
import { combinedStats, type Side, type SideRun, sideFigures } from './figures.js';
import { postgresSide, replicasOf, reportPostgres, summarisePostgres } from './postgres.js';
import { rabbitCpuMs } from '../shared/cpu.js';
import { startSut, type SutProcess } from './sut-process.js';
import { sampledShare, startOtlpSink, tracedChild, tracingCostGoals, type OtlpSink } from '../shared/otlp-sink.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { describeMappingCosts, mappingCosts } from './mapping.js';

const goal = 0.6;
/** Issue 18's goal for the gateway's CPU per command, all its threads (µs). */
const cpuGoalUs = 60;

/**
 * The gateway runs three times: tracing off (the default), on with every trace recorded, and on with
 * 10% of traces sampled (what a busy production would run), each exporting OTLP to a local sink.
 */
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
    'skip-tracing': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    ledger: { type: 'string', default: 'sqlite' },
    replicas: { type: 'string', default: '1' },
    postgres: { type: 'string', default: defaultPostgresServer },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: npm run -s bench:pipeline -- [--orders N] [--runs R] [--rate PER_SECOND] [--latency-seconds S] [--json] [--diagnose] [--cpu-prof DIR] [--skip-tracing]\n' +
      '                                    [--ledger sqlite|postgres [--replicas 1,2,3] [--postgres postgres://USER@HOST:PORT]]\n',
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
  skipTracing: values['skip-tracing'],
  cpuProfDir: values['cpu-prof'] ? profileDir(values['cpu-prof']) : undefined,
  ledger: ledgerOption(values.ledger),
  replicas: values.replicas.split(',').map((count) => positiveInt('replicas', count)),
  postgres: values.postgres,
};
/** The children write which part of their profile was measured before V8 writes (and would create) the directory. */
function profileDir(path: string): string {
  const dir = resolve(path);
  mkdirSync(dir, { recursive: true });
  return dir;
}

if (options.ledger === 'sqlite' && values.replicas !== '1')
  throw new Error('--replicas needs --ledger postgres: gateways share one ledger only on PostgreSQL');
/** With --ledger postgres the tracing sides give way to the gateway on PostgreSQL, once per replica count. */
const sides: Side[] =
  options.ledger === 'postgres'
    ? ['raw', 'gateway', ...options.replicas.map(postgresSide)]
    : options.skipTracing
      ? ['raw', 'gateway']
      : ['raw', 'gateway', 'gateway-traced', 'gateway-sampled'];

const config = loadConfig({ dir: defaultConfigDir, env: {} });
const { amqp } = config.gateway;

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// Everything a run leaves behind, removed even when the run fails or the bench is interrupted.
const cleanup = cleanupOnExit(log);

async function runSide(side: Side, run: number, sink: OtlpSink): Promise<SideRun> {
  const n = options.orders;
  const mode: SutMode = side === 'raw' ? 'raw' : 'gateway';
  const tracing = tracingOf(side, sink);
  const prefix = `${side}${run}`;
  const sinkBytesBefore = sink.bytes;
  const replicas = replicasOf(side);
  const vhost = await createVhost('ob-bench');
  const removeVhost = cleanup.add(() => vhost.remove());
  const dataDir = mkdtempSync(join(tmpdir(), 'orderbridge-bench-'));
  const removeData = cleanup.add(() => rmSync(dataDir, { recursive: true, force: true }));
  // A fresh database per run: no side inherits another's rows, autovacuum debt or bloat.
  const database = replicas ? await createBenchDatabase(options.postgres, 'orderbridge_bench') : undefined;
  const dropDatabase = database ? cleanup.add(database.drop) : undefined;
  const connections: ChannelModel[] = [];
  const suts: SutProcess[] = [];
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

    // Replicas start together, as a deployment's would: they queue on the migrations' advisory lock.
    suts.push(
      ...(await Promise.all(
        Array.from({ length: replicas || 1 }, () =>
          startSut({
            mode,
            url: vhost.url,
            ledger: database?.url ?? join(dataDir, 'ledger.db'),
            diagnose: options.diagnose,
            cpuProfDir: options.cpuProfDir,
            ...(tracing ? { tracing } : {}),
          }),
        ),
      )),
    );
    const serverCpu = database ? postgresCpu(options.postgres, database.name) : undefined;
    await serverCpu?.start();
    const rabbitBefore = rabbitCpuMs();
    const start = performance.now();
    for (const sut of suts) sut.go();
    const end = await collector.until(n, Math.max(60_000, n * 5));
    const rabbitAfter = rabbitCpuMs();
    const postgresUsed = await serverCpu?.stop();
    const sutStats = combinedStats(await Promise.all(suts.map((sut) => sut.stats())));
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
      ...(postgresUsed ? { postgres: postgresUsed } : {}),
    };
    await collector.close();
    await Promise.all(suts.map((sut) => sut.stop()));
    if (tracing) result.exportedBytes = sink.bytes - sinkBytesBefore;
    return result;
  } finally {
    await Promise.all(suts.map((sut) => sut.stop().catch(() => sut.kill())));
    for (const connection of connections) await connection.close().catch(() => undefined);
    removeVhost();
    removeData();
    dropDatabase?.();
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
    (r.postgres
      ? ` | PostgreSQL CPU ${formatInt(r.postgres.backendsMs)} ms in ${r.postgres.backends} backends, ${formatInt(r.postgres.backgroundMs)} ms background`
      : '') +
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

function machineLine(host: ReturnType<typeof machine>): string {
  return `machine: ${host.cores} cores, Node ${host.node}, RabbitMQ ${host.rabbitmq}, 1-min load average ${host.loadAverage1mAtStart} before the bench started`;
}

function summarise(runs: SideRun[], host: ReturnType<typeof machine>) {
  const side = (mode: Side) => sideFigures(runs, mode, options.orders);
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
    cpuGoalUsPerCommand: cpuGoalUs,
    meetsCpuGoal: gateway.childCpuUsPerCommand <= cpuGoalUs,
    tracingCost,
    sampledTracingCost,
    sampledShare,
    tracingCostGoals,
    meetsTracingGoal: tracingCost <= tracingCostGoals.everyTrace,
    meetsTracingGoalSampled: sampledTracingCost <= tracingCostGoals.sampled,
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
      `× ${(gateway.childCpuUsPerCommand / raw.childCpuUsPerCommand).toFixed(1)} (goal ≤ ${cpuGoalUs} µs${summary.meetsCpuGoal ? ', met' : ', NOT met'})`,
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
  const header = [
    '',
    'raw',
    'gateway',
    'gateway vs raw',
    'tracing on, all',
    `tracing on, ${sampledShare * 100}% sampled`,
  ];
  const columns = options.skipTracing ? 4 : header.length;
  return [
    `Orderbridge pipeline: ${formatInt(summary.orders)} order.create commands, median of ${summary.runs} run(s) per side, quorum queues, prefetch ${amqp.prefetch}`,
    `latency: ${formatInt(summary.latencyRate)} commands/s for ${summary.latencySeconds} s into an idle system, send → arrival at the MES queue's consumer`,
    '',
    table(
      header.slice(0, columns),
      rows.map((row) => row.slice(0, columns)),
    ),
    ...queueingNote(summary.latencyRate, gateway.throughput),
    ...(options.skipTracing
      ? []
      : [
          '',
          `tracing on (OTLP/HTTP protobuf to a local sink, ${formatInt(summary.otlpBytesPerCommand)} bytes exported per command when every trace is recorded) costs the gateway`,
          `  ${(summary.tracingCost * 100).toFixed(1)}% of its throughput recording every trace (goal ≤ ${(tracingCostGoals.everyTrace * 100).toFixed(0)}%${summary.meetsTracingGoal ? ', met' : ', NOT met'}), ${(summary.sampledTracingCost * 100).toFixed(1)}% sampling ${sampledShare * 100}% (goal ≤ ${(tracingCostGoals.sampled * 100).toFixed(0)}%${summary.meetsTracingGoalSampled ? ', met' : ', NOT met'})`,
        ]),
    '',
    machineLine(summary.machine),
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
  if (options.ledger === 'postgres') {
    const host = machine(loadAtStart);
    const summary = {
      machine: host,
      orders: options.orders,
      runs: options.runs,
      ...summarisePostgres(runs, options.orders, options.replicas),
    };
    process.stdout.write(
      `\nOrderbridge pipeline on PostgreSQL: ${formatInt(options.orders)} order.create commands, median of ${options.runs} run(s) per side, quorum queues, prefetch ${amqp.prefetch}\n\n${reportPostgres(summary, host.cores)}\n\n${machineLine(host)}\n`,
    );
    if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const summary = summarise(runs, machine(loadAtStart));
  const mapping = mappingCosts();
  process.stdout.write(`\n${report(summary)}\n\n${describeMappingCosts(mapping).join('\n')}\n`);
  if (options.cpuProfDir)
    process.stdout.write(
      `\nCPU profiles of the child processes: ${options.cpuProfDir}\n(shares by part: node dist-bench/bench/shared/profile-shares.js ${options.cpuProfDir}/CPU.*.0.001.cpuprofile)\n`,
    );
  if (options.json) process.stdout.write(`${JSON.stringify({ ...summary, mapping })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
