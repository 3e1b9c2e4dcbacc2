// What one side of bench/pipeline/main.ts measured in one run, and its figures over the runs.
import { median, round } from '../shared/figures.js';
import type { PostgresCpu } from '../shared/postgres.js';
import type { SutMode, SutStats } from './sut-protocol.js';

/** The gateway on PostgreSQL with this many replicas on one database. */
export type PostgresSide = `postgres-${number}`;
export type Side = SutMode | 'gateway-traced' | 'gateway-sampled' | PostgresSide;

export interface SideRun {
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
  /** PostgreSQL sides: the server's CPU during the throughput window (postgresCpu). */
  postgres?: PostgresCpu;
}

/** Several replicas' stats as one system's: CPU and commits summed, the longest window, the mean loop. */
export function combinedStats(stats: SutStats[]): SutStats {
  if (stats.length === 1) return stats[0]!;
  const sum = (pick: (s: SutStats) => number) => stats.reduce((total, s) => total + pick(s), 0);
  return {
    elapsedMs: Math.max(...stats.map((s) => s.elapsedMs)),
    cpuMs: sum((s) => s.cpuMs),
    eventLoopUtilization: sum((s) => s.eventLoopUtilization) / stats.length,
    ...(stats.every((s) => s.commits)
      ? { commits: { batches: sum((s) => s.commits!.batches), units: sum((s) => s.commits!.units) } }
      : {}),
  };
}

/** Medians over one side's runs, and each run's own figures. */
export function sideFigures(runs: SideRun[], mode: Side, orders: number) {
  const mine = runs.filter((r) => r.mode === mode);
  return {
    throughput: round(median(mine.map((r) => r.throughput)), 0),
    latencyP50Ms: round(median(mine.map((r) => r.latency.p50))),
    latencyP99Ms: round(median(mine.map((r) => r.latency.p99))),
    childCpuPercent: round(median(mine.map((r) => (r.sut.cpuMs / r.sut.elapsedMs) * 100)), 0),
    // Less sensitive to other load on the machine than commands/s.
    childCpuUsPerCommand: round(median(mine.map((r) => (r.sut.cpuMs * 1000) / orders)), 0),
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
}
