/**
 * Part 1: GET /v1/orders/{id} through the real gateway (startGateway: auth, rate limit, the route,
 * the ledger read model in SQLite) against a bare Hono app answering the same JSON from a Map.
 * Each server runs in its own process pinned to one CPU, wrk on the other; they take turns.
 * Throughput and its p99 come from wrk's closed loop (as fast as the server answers); the latency
 * at a fixed rate below saturation from a lean open-loop generator (bench/proxy/paced.ts).
 * "Cached" is what is measured: every gateway reads each order once before the rounds begin.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Config } from '../../src/config/index.js';
import { createVhost } from '../../test/helpers/vhost.js';
import type { Cleanup } from '../shared/cleanup.js';
import { processCpuMs } from '../shared/cpu.js';
import { machineCpuMs } from '../shared/cpu.js';
import { startChild, type ChildServer } from './process.js';
import { sampledShare, tracedChild } from '../shared/otlp-sink.js';
import { benchOrders, benchPartners, seedLedger } from './seed.js';
import { pacedInChild, type PacedFigures } from './paced.js';
import { runWrk, writeWrkScript, type WrkResult } from './wrk.js';

export interface Part1Options {
  orders: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rounds: number;
  /** The fixed-rate run: this share of the gateway's closed-loop req/s, for this long, over this many connections. */
  pacedShare: number;
  pacedSeconds: number;
  pacedConnections: number;
  /** CPUs for the server and for wrk (undefined: not pinned). */
  cpus?: { server: string; load: string };
  /** Directory for V8 CPU profiles of both servers, taken during each measured run. */
  cpuProfDir?: string;
}

export interface Part1Side {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  serverCpuPercent?: number;
  wrkCpuPercent?: number;
  /** The hypervisor's steal from this VM during the runs, in % of one core. */
  stealPercent?: number;
  server: ServerLoop;
}

/** What the server's own event loop went through during the measured runs. */
export interface ServerLoop {
  /** Full (mark-compact) GCs, and the longest one's pause in ms. */
  fullGcs: number;
  fullGcMaxMs: number;
  /** The longest the loop could not run a 1 ms timer, beyond that 1 ms. */
  loopStallMaxMs: number;
}

/** Latency at a fixed request rate below saturation (open loop, measured from the schedule). */
export interface Part1Paced {
  rate: number;
  connections: number;
  bare: PacedFigures & { server: ServerLoop };
  gateway: PacedFigures & { server: ServerLoop };
}

export interface Part1Result {
  /** Closed loop: wrk with `connections` keep-alive connections, as fast as the server answers. */
  connections: number;
  bare: Part1Side;
  gateway: Part1Side;
  /** The gateway with tracing on (OTLP to a local sink): every trace recorded, and 10% of them. */
  gatewayTraced: Part1Side;
  gatewaySampled: Part1Side;
  paced: Part1Paced;
  /** gateway req/s ÷ bare req/s: the median over rounds of the two measured back to back in each. */
  ratio: number;
  /** 1 − traced req/s ÷ gateway req/s, recording every trace and sampling 10%. */
  tracingCost: number;
  sampledTracingCost: number;
  sameJson: boolean;
  rounds: { app: App; requestsPerSecond: number; p99Ms: number }[];
}

type App = 'bare' | 'gateway' | 'gateway-traced' | 'gateway-sampled';
const apps: App[] = ['bare', 'gateway', 'gateway-traced', 'gateway-sampled'];

const log = (line: string) => process.stderr.write(`${line}\n`);

export async function runPart1(
  options: Part1Options,
  config: Config,
  cleanup: Cleanup,
  tempDir: string,
  otlpEndpoint: string,
): Promise<Part1Result> {
  const vhost = await createVhost('ob-bench-proxy');
  const removeVhost = cleanup.add(() => vhost.remove());
  const partners = benchPartners(10);
  const orders = benchOrders('P1', options.orders, partners);
  const ledgerPath = join(tempDir, 'part1-ledger.db');
  log(`part 1: seeding ${orders.length} orders into ${ledgerPath}`);
  let since = performance.now();
  await seedLedger(ledgerPath, config, orders);
  log(`part 1: seeded in ${((performance.now() - since) / 1000).toFixed(1)} s; starting the bare app and the gateway`);
  since = performance.now();

  const cpus = options.cpus ? { cpus: options.cpus.server } : {};
  // Nothing listens on port 9 (discard): part 1 never reaches the MES.
  const gatewaySpec = {
    role: 'gateway',
    amqpUrl: vhost.url,
    ledgerPath,
    mesUrl: 'http://127.0.0.1:9',
    partners,
  } as const;
  const servers: Record<App, ChildServer> = Object.fromEntries(
    await Promise.all([
      startChild({ role: 'bare', ledgerPath, partnerIds: partners.map((p) => p.id) }, cpus).then(
        (s) => ['bare', s] as const,
      ),
      startChild(gatewaySpec, cpus).then((s) => ['gateway', s] as const),
      startChild(gatewaySpec, { ...cpus, tracing: tracedChild(otlpEndpoint) }).then(
        (s) => ['gateway-traced', s] as const,
      ),
      startChild(gatewaySpec, { ...cpus, tracing: tracedChild(otlpEndpoint, sampledShare) }).then(
        (s) => ['gateway-sampled', s] as const,
      ),
    ]),
  ) as Record<App, ChildServer>;
  log(`part 1: all four listening after ${((performance.now() - since) / 1000).toFixed(1)} s`);
  try {
    const sameJson = await compareAnswers(
      servers,
      orders.filter((_, i) => i % Math.max(1, Math.floor(orders.length / 50)) === 0),
    );
    since = performance.now();
    await Promise.all(
      (['gateway', 'gateway-traced', 'gateway-sampled'] as const).map((app) => readEveryOrder(servers[app], orders)),
    );
    log(
      `part 1: every order read once from each gateway (their in-memory resources filled) in ${((performance.now() - since) / 1000).toFixed(1)} s`,
    );
    const script = join(tempDir, 'part1.lua');
    writeWrkScript(
      script,
      orders.map((o) => ({ path: `/v1/orders/${o.orderId}`, key: o.partner.key })),
    );

    const results: Record<
      App,
      (WrkResult & { serverCpuPercent?: number; stealPercent?: number; server: ServerLoop })[]
    > = { bare: [], gateway: [], 'gateway-traced': [], 'gateway-sampled': [] };
    for (let round = 0; round < options.rounds; round++) {
      for (const app of apps) {
        const server = servers[app];
        const url = `http://127.0.0.1:${server.port}`;
        const load = options.cpus?.load;
        if (options.warmupSeconds > 0)
          await runWrk({
            url,
            script,
            seconds: options.warmupSeconds,
            connections: options.connections,
            ...(load ? { cpus: load } : {}),
          });
        if (options.cpuProfDir) server.profileStart();
        const before = processCpuMs(server.pid);
        const machineBefore = machineCpuMs();
        const [result, serverLoop] = await watchingLoop(server, () =>
          runWrk({
            url,
            script,
            seconds: options.seconds,
            connections: options.connections,
            ...(load ? { cpus: load } : {}),
          }),
        );
        const after = processCpuMs(server.pid);
        const machineAfter = machineCpuMs();
        if (options.cpuProfDir) {
          const file = join(options.cpuProfDir, `part1-${app}-round${round + 1}.cpuprofile`);
          await server.profileStop(file);
          log(`part 1: CPU profile of ${app} in ${file} (summary: node dist-bench/bench/proxy/profile.js ${file})`);
        }
        const percent = (ms: number) => (ms / (result.seconds * 1000)) * 100;
        const serverCpuPercent = before !== undefined && after !== undefined ? percent(after - before) : undefined;
        const stealPercent =
          machineBefore && machineAfter ? percent(machineAfter.stealMs - machineBefore.stealMs) : undefined;
        results[app].push({
          ...result,
          server: serverLoop,
          ...(serverCpuPercent !== undefined ? { serverCpuPercent } : {}),
          ...(stealPercent !== undefined ? { stealPercent } : {}),
        });
        const steal = stealPercent === undefined ? '' : `, VM steal ${stealPercent.toFixed(0)}%`;
        log(
          `part 1: round ${round + 1} ${app.padEnd(7)} ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms, ${result.errors} errors, ${serverLoop.fullGcs} full GCs${steal}`,
        );
      }
    }
    // Short rounds taking turns, so that both apps see the same share of whatever else the machine
    // is doing: throughput over all rounds together, latency percentiles the median round's.
    const side = (app: App): Part1Side => {
      const runs = results[app];
      const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
      const middle = <K extends keyof WrkResult['latencyMs']>(key: K) => median(runs.map((r) => r.latencyMs[key]));
      const mean = (values: (number | undefined)[]) => {
        const known = values.filter((v): v is number => v !== undefined);
        return known.length ? known.reduce((a, b) => a + b, 0) / known.length : undefined;
      };
      const serverCpuPercent = mean(runs.map((r) => r.serverCpuPercent));
      const wrkCpuPercent = mean(runs.map((r) => r.cpuPercent));
      const stealPercent = mean(runs.map((r) => r.stealPercent));
      return {
        requestsPerSecond: runs.reduce((sum, r) => sum + r.requests, 0) / seconds,
        latencyMs: {
          p50: middle('p50'),
          p90: middle('p90'),
          p99: middle('p99'),
          max: Math.max(...runs.map((r) => r.latencyMs.max)),
        },
        errors: runs.reduce((sum, r) => sum + r.errors, 0),
        ...(serverCpuPercent !== undefined ? { serverCpuPercent } : {}),
        ...(wrkCpuPercent !== undefined ? { wrkCpuPercent } : {}),
        ...(stealPercent !== undefined ? { stealPercent } : {}),
        server: {
          fullGcs: runs.reduce((sum, r) => sum + r.server.fullGcs, 0),
          fullGcMaxMs: Math.max(...runs.map((r) => r.server.fullGcMaxMs)),
          loopStallMaxMs: Math.max(...runs.map((r) => r.server.loopStallMaxMs)),
        },
      };
    };
    const bare = side('bare');
    const gateway = side('gateway');
    const gatewayTraced = side('gateway-traced');
    const gatewaySampled = side('gateway-sampled');

    const rate = Math.max(1, Math.round(gateway.requestsPerSecond * options.pacedShare));
    const paced = { rate, connections: options.pacedConnections } as Part1Paced;
    // Done with: on the servers' CPU their span exports and GCs would land in bare's and the gateway's tail.
    await Promise.all([servers['gateway-traced'].stop(), servers['gateway-sampled'].stop()]);
    for (const app of ['bare', 'gateway'] as const) {
      const spec = {
        port: servers[app].port,
        requests: orders.map((o) => ({ path: `/v1/orders/${o.orderId}`, key: o.partner.key })),
        rate,
        seconds: options.pacedSeconds,
        connections: options.pacedConnections,
      };
      // The client takes wrk's CPU: on the server's it would steal from the server.
      const [figures, server] = await watchingLoop(servers[app], () =>
        pacedInChild(spec, join(tempDir, 'paced.json'), options.cpus?.load),
      );
      paced[app] = { ...figures, server };
      log(
        `part 1: ${app.padEnd(7)} at a steady ${rate} req/s: p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms, max ${figures.max.toFixed(2)} ms (client lag p99 ${figures.generatorLagP99.toFixed(2)} ms), ${server.fullGcs} full GCs, loop stall max ${server.loopStallMaxMs.toFixed(1)} ms`,
      );
    }
    return {
      connections: options.connections,
      bare,
      gateway,
      gatewayTraced,
      gatewaySampled,
      paced,
      ratio: median(
        results.gateway.map((run, round) => run.requestsPerSecond / results.bare[round]!.requestsPerSecond),
      ),
      tracingCost: 1 - gatewayTraced.requestsPerSecond / gateway.requestsPerSecond,
      sampledTracingCost: 1 - gatewaySampled.requestsPerSecond / gateway.requestsPerSecond,
      sameJson,
      rounds: apps.flatMap((app) =>
        results[app].map((r) => ({ app, requestsPerSecond: r.requestsPerSecond, p99Ms: r.latencyMs.p99 })),
      ),
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
    removeVhost();
  }
}

/** Runs `measure` and reports what the server's event loop went through meanwhile. */
async function watchingLoop<T>(server: ChildServer, measure: () => Promise<T>): Promise<[T, ServerLoop]> {
  await server.stats();
  const result = await measure();
  const { eventLoop } = await server.stats();
  return [
    result,
    { fullGcs: eventLoop.fullGcs.count, fullGcMaxMs: eventLoop.fullGcs.maxMs, loopStallMaxMs: eventLoop.maxMs },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Reads every order once, 32 at a time: the gateway builds each order's resource on its first read. */
async function readEveryOrder(server: ChildServer, orders: ReturnType<typeof benchOrders>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < orders.length) {
        const { orderId, partner } = orders[next++]!;
        const response = await fetch(`http://127.0.0.1:${server.port}/v1/orders/${orderId}`, {
          headers: { authorization: `Bearer ${partner.key}` },
        });
        if (response.status !== 200)
          throw new Error(`warming up: GET /v1/orders/${orderId} answered ${response.status}`);
        await response.arrayBuffer();
      }
    }),
  );
}

/** Both servers must answer byte for byte the same, or the comparison means nothing. */
async function compareAnswers(
  servers: Record<App, ChildServer>,
  sample: ReturnType<typeof benchOrders>,
): Promise<boolean> {
  for (const { orderId, partner } of sample) {
    const [bare, gateway] = await Promise.all(
      [servers.bare, servers.gateway].map(async (server) => {
        const response = await fetch(`http://127.0.0.1:${server.port}/v1/orders/${orderId}`, {
          headers: { authorization: `Bearer ${partner.key}` },
        });
        return `${response.status} ${response.headers.get('content-type')} ${await response.text()}`;
      }),
    );
    if (bare !== gateway || !gateway!.startsWith('200 ')) {
      log(`part 1: answers differ for ${orderId}:\n  bare    ${bare}\n  gateway ${gateway}`);
      return false;
    }
  }
  return true;
}
