/**
 * One server of bench/proxy/main.ts in its own process, so that no server shares an event loop with the
 * load generator or with another server. Started by bench/proxy/process.ts with an IPC channel and
 * one JSON argument (a ChildSpec); reports `ready` with its HTTP port.
 */
import { writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import { Session } from 'node:inspector';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { pino } from 'pino';
import { Hono } from 'hono';
import { toResource } from '../../src/app/order-resource.js';
import { startHttpServer } from '../../src/adapters/http/server.js';
import { loadConfig, withGatewayOverrides } from '../../src/config/index.js';
import type { Order } from '../../src/contracts/generated/external/order.js';
import { ledgerPolicy } from '../../src/ledger/ledger-policy.js';
import { startGateway } from '../../src/gateway.js';
import { openSqliteLedger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startMesSimulator } from '../../sim/mes/index.js';
import type { ChildSpec, ChildStats, FromChild, ToChild } from './protocol.js';
import { defaultConfigDir } from '../../test/helpers/config-dir.js';
import { failChild, stopAndExit } from '../shared/children.js';

/** The schema's maximum: partner rate limits must never be what the bench measures. */
const unlimited = 100_000;

const send = (message: FromChild) => process.send?.(message);
// An orphan must not outlive its parent (the parent kills it by PID too; this is the second line).
process.on('disconnect', () => process.exit(1));

let stop: () => Promise<void> = async () => undefined;
// Profiles only what the parent measures (node --cpu-prof would include start-up and idle turns).
const profiler = new Session();
profiler.connect();
let extraStats: () => Partial<ChildStats> = () => ({});

// Stalls of the event loop (a synchronous fsync, a long GC) delay every request the process serves.
// The histogram holds the whole interval between two samples: the stall is what exceeds the interval.
const loopSampleMs = 1;
const loopDelay = monitorEventLoopDelay({ resolution: loopSampleMs });
loopDelay.enable();
let utilizationSince = performance.eventLoopUtilization();
const stallMs = (intervalNs: number) => Math.max(0, intervalNs / 1e6 - loopSampleMs);

// Full (mark-compact) GCs stop the loop for milliseconds each: a server that promotes its
// per-request garbage to the old generation runs one every second or two under load.
let fullGcs = { count: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { detail } = entry as typeof entry & { detail?: { kind?: number } };
    if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    fullGcs.count += 1;
    fullGcs.maxMs = Math.max(fullGcs.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

function eventLoopSinceLastAsked(): ChildStats['eventLoop'] {
  const figures = {
    p99Ms: stallMs(loopDelay.percentile(99)),
    maxMs: stallMs(loopDelay.max),
    utilization: performance.eventLoopUtilization(utilizationSince).utilization,
    fullGcs,
  };
  loopDelay.reset();
  utilizationSince = performance.eventLoopUtilization();
  fullGcs = { count: 0, maxMs: 0 };
  return figures;
}

process.on('message', (message: ToChild) => {
  switch (message.kind) {
    case 'stats': {
      const cpu = process.cpuUsage();
      send({
        kind: 'stats',
        stats: { cpuMs: (cpu.user + cpu.system) / 1000, eventLoop: eventLoopSinceLastAsked(), ...extraStats() },
      });
      return;
    }
    case 'profile-start':
      profiler.post('Profiler.enable', () => profiler.post('Profiler.start'));
      return;
    case 'profile-stop': {
      const { file } = message;
      profiler.post('Profiler.stop', (error, result) => {
        if (error) send({ kind: 'failed', error: `profile: ${error.message}` });
        else {
          writeFileSync(file, JSON.stringify(result.profile));
          send({ kind: 'profiled', file });
        }
      });
      return;
    }
    case 'stop':
      stopAndExit(stop);
      return;
    default: {
      const unknown: never = message;
      throw new Error(`unknown message ${JSON.stringify(unknown)}`);
    }
  }
});

function baseConfig(env: Record<string, string>) {
  return loadConfig({ dir: defaultConfigDir, env });
}

/** startGateway() as `orderbridge serve` runs it: only the broker, ledger, MES URL, port and partners differ. */
async function runGateway(spec: Extract<ChildSpec, { role: 'gateway' }>): Promise<number> {
  const config = withGatewayOverrides(
    baseConfig({ AMQP_URL: spec.amqpUrl, ORDERBRIDGE_LEDGER_PATH: spec.ledgerPath, MES_API_URL: spec.mesUrl }),
    {
      http: { port: 0 },
      metrics: { port: 0 },
      partners: spec.partners.map(({ id, apiKeySha256, role }) => ({
        id,
        name: id,
        apiKeySha256,
        requestsPerSecond: unlimited,
        ...(role ? { role } : {}),
      })),
    },
  );
  const gateway = await startGateway({
    config,
    logger: createLogger({ level: 'warn', destination: pino.destination(2) }),
  });
  stop = () => gateway.stop();
  return gateway.http.port;
}

/**
 * The baseline of part 1: the same JSON the gateway serves (built by the gateway's own toResource
 * and statusHistory, once, at start), answered from a Map by a Hono app on the same server adapter.
 */
async function runBare(spec: Extract<ChildSpec, { role: 'bare' }>): Promise<number> {
  const config = baseConfig({});
  const ledger = openSqliteLedger({ path: spec.ledgerPath, synchronous: 'NORMAL', policy: ledgerPolicy(config) });
  const orders = new Map<string, Order>();
  for (const partner of spec.partnerIds) {
    let after: { updatedAt: number; orderId: string } | undefined;
    for (;;) {
      const page = await ledger.listOrders({ partner, limit: 1000, ...(after ? { after } : {}) });
      for (const order of page)
        orders.set(order.orderId, { ...toResource(order), history: await ledger.statusHistory(order.orderId, 1000) });
      const last = page.at(-1);
      if (!last) break;
      after = { updatedAt: last.updatedAt, orderId: last.orderId };
    }
  }
  await ledger.close();
  const app = new Hono();
  app.get('/v1/orders/:id', (c) => {
    const order = orders.get(c.req.param('id'));
    return order ? c.json(order) : c.json({ status: 404 }, 404);
  });
  const server = await startHttpServer(app, '127.0.0.1', 0);
  stop = () => server.close();
  return server.port;
}

/**
 * The MES simulator. Its API requests are counted where they arrive, at the http.Server of this
 * process, so the count is the MES's load whoever sends it (gateway, nginx, partners directly).
 */
async function runMes(spec: Extract<ChildSpec, { role: 'mes' }>): Promise<number> {
  const apiRequests: Record<string, number> = {};
  const emit = Server.prototype.emit;
  Server.prototype.emit = function countedEmit(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      const url = (args[0] as { url?: string }).url ?? '';
      const route = `/${url.split(/[/?]/)[1] ?? ''}`;
      apiRequests[route] = (apiRequests[route] ?? 0) + 1;
    }
    return (emit as (this: Server, event: string | symbol, ...rest: unknown[]) => boolean).call(this, event, ...args);
  } as typeof emit;
  const sim = await startMesSimulator({
    amqpUrl: spec.amqpUrl,
    queue: spec.queue,
    exchange: spec.exchange,
    port: spec.port,
    stepMs: spec.stepMs,
    seed: spec.seed,
    log: (line) => process.stderr.write(`mes: ${line}\n`),
  });
  extraStats = () => ({ apiRequests: { ...apiRequests } });
  stop = () => sim.stop();
  return sim.port;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ChildSpec;
  let port: number;
  switch (spec.role) {
    case 'gateway':
      port = await runGateway(spec);
      break;
    case 'bare':
      port = await runBare(spec);
      break;
    case 'mes':
      port = await runMes(spec);
      break;
    default: {
      const unknown: never = spec;
      throw new Error(`unknown role in ${JSON.stringify(unknown)}`);
    }
  }
  send({ kind: 'ready', port });
}

main().catch((error: unknown) => failChild('bench/proxy/child', error));
