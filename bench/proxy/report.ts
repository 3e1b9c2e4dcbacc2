// The human-readable report of bench/proxy/main.ts: one block per part, each with its goal and verdict.
import { formatInt, table } from '../shared/figures.js';
import type { Part2Mode, Part2Result, Part3Result } from './mes.js';
import type { Part1Result, ServerLoop } from './part1.js';
import { sampledShare, tracingCostGoals } from '../shared/otlp-sink.js';

const ms = (value: number) => value.toFixed(2);
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

export const part1Goals = { ratio: 0.7, p99Ms: 5 };

const serverLoopColumns = ['full GCs', 'longest GC ms', 'loop stall max ms'];
const serverLoop = (loop: ServerLoop) => [
  String(loop.fullGcs),
  loop.fullGcs ? ms(loop.fullGcMaxMs) : '-',
  ms(loop.loopStallMaxMs),
];

export function printPart1(r: Part1Result): string {
  const row = (name: string, side: Part1Result['bare']) => [
    name,
    formatInt(side.requestsPerSecond),
    ms(side.latencyMs.p50),
    ms(side.latencyMs.p90),
    ms(side.latencyMs.p99),
    String(side.errors),
    side.serverCpuPercent === undefined ? '-' : `${side.serverCpuPercent.toFixed(0)}%`,
    side.wrkCpuPercent === undefined ? '-' : `${side.wrkCpuPercent.toFixed(0)}%`,
    side.stealPercent === undefined ? '-' : `${side.stealPercent.toFixed(0)}%`,
    ...serverLoop(side.server),
  ];
  const ratioMet = r.ratio >= part1Goals.ratio;
  const p99Met = r.gateway.latencyMs.p99 <= part1Goals.p99Ms;
  const pacedMet = r.paced.gateway.p99 <= part1Goals.p99Ms;
  const paced = (name: string, side: Part1Result['paced']['bare']) => [
    name,
    ms(side.p50),
    ms(side.p99),
    ms(side.max),
    String(side.failed),
    ms(side.generatorLagP99),
    ...serverLoop(side.server),
  ];
  return [
    `1. GET /v1/orders/{id}: gateway vs bare Hono app (same JSON from a Map); closed loop, wrk, ${r.connections} keep-alive connections`,
    table(
      [
        'app',
        'req/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'errors',
        'server CPU',
        'wrk CPU',
        'VM steal',
        ...serverLoopColumns,
      ],
      [
        row('bare', r.bare),
        row('gateway', r.gateway),
        row('tracing on, all', r.gatewayTraced),
        row(`tracing on, ${sampledShare * 100}%`, r.gatewaySampled),
      ],
    ),
    `at a steady ${formatInt(r.paced.rate)} req/s (open loop, ${r.paced.connections} connections, latency from the schedule):`,
    table(
      ['app', 'p50 ms', 'p99 ms', 'max ms', 'failed', 'client lag p99 ms', ...serverLoopColumns],
      [paced('bare', r.paced.bare), paced('gateway', r.paced.gateway)],
    ),
    `rounds, req/s (the apps take turns): ${(['bare', 'gateway', 'gateway-traced', 'gateway-sampled'] as const)
      .map(
        (app) =>
          `${app} ${r.rounds
            .filter((x) => x.app === app)
            .map((x) => formatInt(x.requestsPerSecond))
            .join(' / ')}`,
      )
      .join('; ')}`,
    `gateway/bare throughput, median of the rounds: ${pct(r.ratio)} (goal >= ${pct(part1Goals.ratio)}: ${verdict(ratioMet)})`,
    `gateway p99: ${ms(r.gateway.latencyMs.p99)} ms at its measured rate, ${ms(r.paced.gateway.p99)} ms at a steady ${formatInt(r.paced.rate)} req/s (goal <= ${part1Goals.p99Ms} ms: ${verdict(p99Met)} / ${verdict(pacedMet)})`,
    `tracing on (OTLP to a local sink) costs ${pct(r.tracingCost)} of the gateway's req/s recording every trace (goal <= ${pct(tracingCostGoals.everyTrace)}: ${verdict(r.tracingCost <= tracingCostGoals.everyTrace)}), ${pct(r.sampledTracingCost)} sampling ${sampledShare * 100}% (goal <= ${pct(tracingCostGoals.sampled)}: ${verdict(r.sampledTracingCost <= tracingCostGoals.sampled)})`,
    `same JSON from both: ${r.sameJson ? 'yes' : 'NO'}`,
  ].join('\n');
}

export const part2Goals = { mesCallsPer100Reads: 2, staleP99Ms: 100 };
/** Part 3 calls the gateway's p99 flat when ×10 load leaves it within this factor of ×1. */
export const part3FlatFactor = 1.5;

const share = (count: number, total: number) => `${((count / Math.max(1, total)) * 100).toFixed(1)}%`;

export function printPart2(r: Part2Result): string {
  const modes = [
    ['gateway', r.gateway],
    ['gateway /mes', r.gatewayMes],
    [`nginx ${r.nginxTtlSeconds}s`, r.nginx],
    ['direct', r.direct],
  ] as const;
  const rows = modes.map(([name, m]) => [
    name,
    formatInt(m.reads),
    formatInt(m.mesCalls),
    m.mesCallsPer100Reads.toFixed(2),
    share(m.staleness.stale, m.staleness.answers),
    m.staleness.stale
      ? `${ms(m.staleness.staleMs.p50)} / ${ms(m.staleness.staleMs.p99)} / ${ms(m.staleness.staleMs.max)}`
      : '-',
    ms(m.staleness.allP99Ms),
    ms(m.latencyMs.p99),
    String(Object.values(m.failures).reduce((a, b) => a + b, 0)),
    ms(m.generatorLagMs.p99Ms),
  ]);
  const g = r.gateway;
  const p = r.gatewayMes;
  const callsMet = g.mesCallsPer100Reads <= part2Goals.mesCallsPer100Reads;
  const staleMet = g.staleness.staleMs.p99 <= part2Goals.staleP99Ms;
  const current = p.staleness.presentedCurrent;
  const labelled = p.staleness.labelledStale;
  const per100 = (n: number) => ((n / Math.max(1, p.reads)) * 100).toFixed(2);
  const causes = gatewayCallCauses(p);
  const outcomes = (m: Part2Mode) =>
    Object.entries(m.cache)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${share(v, m.reads)}`)
      .join(', ');
  return [
    `2. MES load: ${formatInt(r.orders)} orders polled with Zipf s=${r.zipfS} at ${formatInt(r.rate)} reads/s; the MES walks every order (one state per ~${r.stepMs / 1000} s)`,
    '   gateway = its read model (GET /v1/orders/{id}, fed by MES events); gateway /mes = its cached proxy of the MES representation (GET /mes/orders/{ref})',
    table(
      [
        'read via',
        'reads',
        'MES calls',
        'calls/100 reads',
        'stale answers',
        'staleness of stale p50 / p99 / max ms',
        'staleness p99 all ms',
        'latency p99 ms',
        'failed',
        'client lag p99 ms',
      ],
      rows,
    ),
    `MES changes/s during the runs: gateway ${g.changesPerSecond.toFixed(0)}, gateway /mes ${p.changesPerSecond.toFixed(0)}, nginx ${r.nginx.changesPerSecond.toFixed(0)}, direct ${r.direct.changesPerSecond.toFixed(0)}; CPU during the gateway run: gateway ${g.gatewayCpuPercent.toFixed(0)}%, MES ${g.mesCpuPercent.toFixed(0)}%`,
    `gateway: ${g.mesCallsPer100Reads.toFixed(2)} MES calls per 100 reads (goal <= ${part2Goals.mesCallsPer100Reads}: ${verdict(callsMet)}); staleness p99 over all answers ${ms(g.staleness.allP99Ms)} ms, of the ${formatInt(g.staleness.stale)} stale ones p99 ${ms(g.staleness.staleMs.p99)} ms (goal <= ${part2Goals.staleP99Ms} ms, over the stale ones: ${verdict(staleMet)}); versions never seen: ${g.staleness.unknownVersions}`,
    `gateway /mes: ${p.mesCallsPer100Reads.toFixed(2)} MES calls per 100 reads; by cause: first read of an order ${per100(causes.firstRead)}, after an MES change ${per100(causes.afterChange)}, past TTL + stale-while-revalidate ${per100(causes.expired)}, background refresh (stale-while-revalidate) ${per100(causes.background)}`,
    `gateway /mes staleness: ${formatInt(labelled.stale)} answers labelled stale by the gateway (Cache-Status fwd=stale, MES call refused or failed; p99 ${ms(labelled.staleMs.p99)} ms) and ${formatInt(current.stale)} stale answers presented as current (p99 ${ms(current.staleMs.p99)} ms, max ${ms(current.staleMs.max)} ms)`,
    `ratios: MES calls gateway/direct ${pct(g.mesCalls / Math.max(1, r.direct.mesCalls))}, gateway/nginx ${pct(g.mesCalls / Math.max(1, r.nginx.mesCalls))}, gateway /mes/direct ${pct(p.mesCalls / Math.max(1, r.direct.mesCalls))}, gateway /mes/nginx ${pct(p.mesCalls / Math.max(1, r.nginx.mesCalls))}`,
    `gateway /mes cache: ${outcomes(p)}`,
    `nginx cache: ${outcomes(r.nginx)}`,
  ].join('\n');
}

export function part3Growth(r: Part3Result) {
  const first = r.levels[0]!;
  const last = r.levels.at(-1)!;
  return {
    gateway: last.gateway.latencyMs.p99 / first.gateway.latencyMs.p99,
    direct: last.direct.latencyMs.p99 / first.direct.latencyMs.p99,
  };
}

export function printPart3(r: Part3Result): string {
  const rows = r.levels.map((l) => [
    `×${l.multiplier}`,
    formatInt(l.rate),
    ms(l.gateway.latencyMs.p50),
    ms(l.gateway.latencyMs.p99),
    l.gateway.mesCallsPerSecond.toFixed(1),
    ms(l.direct.latencyMs.p50),
    ms(l.direct.latencyMs.p99),
    String(
      Object.values(l.gateway.failures).reduce((a, b) => a + b, 0) +
        Object.values(l.direct.failures).reduce((a, b) => a + b, 0),
    ),
    ms(Math.max(l.gateway.generatorLagMs.p99Ms, l.direct.generatorLagMs.p99Ms)),
  ]);
  const growth = part3Growth(r);
  const flat = growth.gateway <= part3FlatFactor;
  return [
    '3. MES slowdown: partner read latency as partner load grows (gateway = its read model, GET /v1/orders/{id})',
    table(
      [
        'load',
        'reads/s',
        'gateway p50 ms',
        'gateway p99 ms',
        'gateway MES calls/s',
        'direct p50 ms',
        'direct p99 ms',
        'failed',
        'client lag p99 ms',
      ],
      rows,
    ),
    `p99 from ×${r.levels[0]!.multiplier} to ×${r.levels.at(-1)!.multiplier}: gateway ×${growth.gateway.toFixed(2)}, direct ×${growth.direct.toFixed(2)} (flat = at most ×${part3FlatFactor}: ${flat ? 'flat' : 'NOT flat'})`,
  ].join('\n');
}

/**
 * Which gateway answers went to the MES, by cause, from their Cache-Status; background refreshes
 * (stale-while-revalidate) leave no mark on the answer, so they are what the MES counted beyond the rest.
 */
export function gatewayCallCauses(m: Part2Mode) {
  const firstRead = m.cache['fwd=miss'] ?? 0;
  const afterChange = m.cache['fwd=stale invalidated'] ?? 0;
  const expired = m.cache['fwd=stale'] ?? 0;
  return { firstRead, afterChange, expired, background: Math.max(0, m.mesCalls - firstRead - afterChange - expired) };
}

/** Each goal of issue 4 item 6 and whether this run met it, for the --json line. */
export function goalVerdicts(figures: { part1?: Part1Result; part2?: Part2Result; part3?: Part3Result }) {
  const { part1, part2, part3 } = figures;
  return {
    ...(part1
      ? {
          part1ThroughputAtLeast70PercentOfBare: part1.ratio >= part1Goals.ratio,
          part1P99AtMost5MsAtMeasuredRate: part1.gateway.latencyMs.p99 <= part1Goals.p99Ms,
          part1P99AtMost5MsAtSteadyRate: part1.paced.gateway.p99 <= part1Goals.p99Ms,
          part1TracingCostAtMost15Percent: part1.tracingCost <= tracingCostGoals.everyTrace,
          part1TracingCostAtMost5PercentSampled: part1.sampledTracingCost <= tracingCostGoals.sampled,
        }
      : {}),
    ...(part2
      ? {
          part2AtMost2MesCallsPer100Reads: part2.gateway.mesCallsPer100Reads <= part2Goals.mesCallsPer100Reads,
          part2StaleP99AtMost100Ms: part2.gateway.staleness.staleMs.p99 <= part2Goals.staleP99Ms,
        }
      : {}),
    ...(part3 ? { part3GatewayP99Flat: part3Growth(part3).gateway <= part3FlatFactor } : {}),
  };
}
