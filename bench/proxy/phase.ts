// One measured stretch of partner polling against one way of reading the MES, and what it cost the MES.
import { percentile } from '../shared/figures.js';
import { generatorLag, type Read, type Target } from './load.js';
import { processCpuMs } from '../shared/cpu.js';
import { pollInChild, type PollSpec } from './poller.js';
import { machineCpuMs, type MachineCpu } from '../shared/cpu.js';
import type { ChildStats } from './protocol.js';
import type { World } from './world.js';

/**
 * How partners read an order: from the gateway's read model (GET /v1/orders/{id}, fed by MES events),
 * from the MES's own representation through the gateway's cached proxy (GET /mes/orders/{ref}), through
 * nginx proxy_cache, or from the MES directly.
 */
export type Mode = 'gateway' | 'gateway-mes' | 'nginx' | 'direct';

export interface Phase {
  mode: Mode;
  rate: number;
  seconds: number;
  reads: Read[];
  /** MES API order reads (GET /orders…) the MES received while the phase ran. */
  mesCalls: number;
  /** MES state changes (events) while the phase ran. */
  changes: number;
  /** CPU of the gateway and of the MES during the phase, in % of one core. */
  gatewayCpuPercent: number;
  mesCpuPercent: number;
  /** CPU of the partners' poller process, in % of one core. */
  pollerCpuPercent: number;
  /** CPU of everything else on the machine (RabbitMQ, the kernel, other users), in % of one core. */
  otherCpuPercent?: number;
  /** Time the hypervisor ran something else while this VM's CPUs had work (steal), in % of one core. */
  stealPercent?: number;
  gatewayEventLoop: ChildStats['eventLoop'];
  /** MES events waiting for the gateway at the end of the phase. */
  eventBacklog: number;
}

export interface PhaseSummary {
  mode: Mode;
  rate: number;
  seconds: number;
  reads: number;
  /** Non-200 answers by status ("0": no answer within the client's timeout or a connection error). */
  failures: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The load generator's own lateness in sending (see generatorLag). */
  generatorLagMs: { p99Ms: number; maxMs: number };
  mesCalls: number;
  mesCallsPer100Reads: number;
  mesCallsPerSecond: number;
  changesPerSecond: number;
  gatewayCpuPercent: number;
  mesCpuPercent: number;
  pollerCpuPercent: number;
  otherCpuPercent?: number;
  stealPercent?: number;
  gatewayEventLoop: ChildStats['eventLoop'];
  eventBacklog: number;
  /** What the cache did (Cache-Status, its parameters reduced to the ones that say why), by count. */
  cache: Record<string, number>;
}

export function targetFor(mode: Mode, world: World): Target {
  const ref = (order: number) => world.orders[order]!.orderId;
  switch (mode) {
    case 'gateway':
      return {
        port: world.gateway.port,
        path: (o) => `/v1/orders/${ref(o)}`,
        headers: (o) => ({ authorization: `Bearer ${world.orders[o]!.partner.key}` }),
      };
    case 'gateway-mes':
      return {
        port: world.gateway.port,
        path: (o) => `/mes/orders/${ref(o)}`,
        headers: (o) => ({ authorization: `Bearer ${world.orders[o]!.partner.key}` }),
      };
    case 'nginx':
      return { port: world.nginx.port, path: (o) => `/orders?externalRef=${ref(o)}`, headers: () => ({}) };
    case 'direct':
      return { port: world.mes.port, path: (o) => `/orders?externalRef=${ref(o)}`, headers: () => ({}) };
    default: {
      const unknown: never = mode;
      throw new Error(`unknown mode ${String(unknown)}`);
    }
  }
}

const orderReads = (requests: Record<string, number> | undefined) => requests?.['/orders'] ?? 0;

/** Counters read just before and just after a measured stretch. */
interface Counters {
  at: number;
  mes: ChildStats;
  gateway: ChildStats;
  machine: MachineCpu | undefined;
  oursMs: number;
}

async function readCounters(world: World): Promise<Counters> {
  const [mes, gateway] = await Promise.all([world.mes.stats(), world.gateway.stats()]);
  return { at: Date.now(), mes, gateway, machine: machineCpuMs(), oursMs: oursCpuMs(world) };
}

/**
 * Polls for `warmupSeconds` unmeasured, then `seconds` measured, from a poller process of its own;
 * counts the MES's calls in between.
 */
export async function runPhase(
  world: World,
  options: { mode: Mode; rate: number; seconds: number; warmupSeconds: number; zipf: PollSpec['zipf'] },
): Promise<Phase> {
  const { mode, rate, seconds, warmupSeconds, zipf } = options;
  const target = targetFor(mode, world);
  const requests = world.orders.map((_, order) => ({ path: target.path(order), headers: target.headers(order) }));
  let before: Counters | undefined;
  const polled = await pollInChild({ port: target.port, requests, rate, seconds, warmupSeconds, zipf }, async () => {
    before = await readCounters(world);
  });
  const [after, eventBacklog] = await Promise.all([readCounters(world), world.eventBacklog()]);
  if (!before) throw new Error('the poller measured before the counters were read');
  const wallMs = after.at - before.at;
  const percent = (ms: number) => (ms / wallMs) * 100;
  const childrenMs = after.mes.cpuMs - before.mes.cpuMs + after.gateway.cpuMs - before.gateway.cpuMs;
  const machine =
    before.machine && after.machine
      ? {
          busyMs: after.machine.busyMs - before.machine.busyMs,
          stealMs: after.machine.stealMs - before.machine.stealMs,
        }
      : undefined;
  return {
    mode,
    rate,
    seconds,
    reads: polled.reads,
    mesCalls: orderReads(after.mes.apiRequests) - orderReads(before.mes.apiRequests),
    changes: world.changes.changesBetween(before.at, after.at),
    gatewayCpuPercent: percent(after.gateway.cpuMs - before.gateway.cpuMs),
    mesCpuPercent: percent(after.mes.cpuMs - before.mes.cpuMs),
    pollerCpuPercent: percent(polled.cpuMs),
    ...(machine
      ? {
          otherCpuPercent: Math.max(
            0,
            percent(machine.busyMs - childrenMs - polled.cpuMs - (after.oursMs - before.oursMs)),
          ),
          stealPercent: percent(machine.stealMs),
        }
      : {}),
    gatewayEventLoop: after.gateway.eventLoop,
    eventBacklog,
  };
}

/** CPU (ms) of the bench's own process and of nginx: neither is "other" load. */
function oursCpuMs(world: World): number {
  const own = process.cpuUsage();
  const nginx = world.nginx.pids().reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
  return (own.user + own.system) / 1000 + nginx;
}

/** Cache-Status reduced to what it says about the MES: e.g. "hit", "hit revalidating", "fwd=stale invalidated", "nginx HIT". */
function cacheOutcome(cacheStatus: string | undefined): string {
  if (!cacheStatus) return 'none';
  const params = cacheStatus.split(';').map((p) => p.trim());
  const kept = params.filter(
    (p) => p === 'hit' || p.startsWith('fwd=') || p === 'collapsed' || p.startsWith('detail=') || /^[A-Z]+$/.test(p),
  );
  return [params[0] === 'nginx' ? 'nginx' : '', ...kept.map((p) => p.replace(/^detail=/, ''))]
    .filter(Boolean)
    .join(' ');
}

export function summarise(phase: Phase): PhaseSummary {
  const latencies = phase.reads.map((r) => r.latencyMs).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  const cache: Record<string, number> = {};
  for (const read of phase.reads) {
    if (read.status !== 200) {
      const kind = read.status === 0 ? `no answer (${read.error ?? 'unknown'})` : String(read.status);
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
    if (phase.mode === 'gateway-mes' || phase.mode === 'nginx') {
      const outcome = cacheOutcome(read.cacheStatus);
      cache[outcome] = (cache[outcome] ?? 0) + 1;
    }
  }
  return {
    mode: phase.mode,
    rate: phase.rate,
    seconds: phase.seconds,
    reads: phase.reads.length,
    failures,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
    },
    generatorLagMs: generatorLag(phase.reads),
    mesCalls: phase.mesCalls,
    mesCallsPer100Reads: (phase.mesCalls / Math.max(1, phase.reads.length)) * 100,
    mesCallsPerSecond: phase.mesCalls / phase.seconds,
    changesPerSecond: phase.changes / phase.seconds,
    gatewayCpuPercent: phase.gatewayCpuPercent,
    mesCpuPercent: phase.mesCpuPercent,
    pollerCpuPercent: phase.pollerCpuPercent,
    ...(phase.otherCpuPercent !== undefined ? { otherCpuPercent: phase.otherCpuPercent } : {}),
    ...(phase.stealPercent !== undefined ? { stealPercent: phase.stealPercent } : {}),
    gatewayEventLoop: phase.gatewayEventLoop,
    eventBacklog: phase.eventBacklog,
    cache,
  };
}
