/**
 * Parts 2 and 3 in one world (bench/proxy/world.ts), in this order:
 *   - part 3, direct MES access at ×1, ×4, ×10 (the ×10 run also stands for direct access in part 2);
 *   - part 2, nginx proxy_cache: warm-up, then measured;
 *   - part 3, the gateway's read model (GET /v1/orders/{id}) at ×1, ×4, ×10, each with a short warm-up;
 *   - part 2, the gateway's read model: more warm-up at part 2's rate, then measured;
 *   - part 2, the gateway's cached MES proxy (GET /mes/orders/{ref}, the MES's own representation):
 *     warm-up as long as its TTL, then measured.
 * The runs without a cache of their own come first, while the MES's change rate is still ramping
 * up (an order's first step comes 0.5–1.5 steps after its creation), so the gateway is measured
 * with the MES changing orders at full rate.
 */
import type { Config } from '../../src/config/index.js';
import type { Cleanup } from '../shared/cleanup.js';
import { runPhase, summarise, type Mode, type Phase, type PhaseSummary } from './phase.js';
import { staleness, type Staleness } from './staleness.js';
import { startWorld, type World, type WorldOptions } from './world.js';

export interface MesBenchOptions extends WorldOptions {
  zipfS: number;
  /** Part 2's partner read rate (reads per second, all partners together). */
  rate: number;
  seconds: number;
  gatewayWarmupSeconds: number;
  nginxWarmupSeconds: number;
  /** Part 3: ×1 rate and the multipliers. */
  baseRate: number;
  multipliers: number[];
  levelSeconds: number;
  levelWarmupSeconds: number;
  /** The MES proxy's warm-up from an empty cache (its TTL, so that it holds what the load keeps in it). */
  mesProxyWarmupSeconds: number;
}

export type Part2Mode = PhaseSummary & { staleness: Staleness };

export interface Part2Result {
  orders: number;
  zipfS: number;
  rate: number;
  stepMs: number;
  nginxTtlSeconds: number;
  /** The gateway's read model: GET /v1/orders/{id}. */
  gateway: Part2Mode;
  /** The gateway's cached MES proxy: GET /mes/orders/{ref}. */
  gatewayMes: Part2Mode;
  nginx: Part2Mode;
  direct: Part2Mode;
}

export interface Part3Level {
  multiplier: number;
  rate: number;
  gateway: PhaseSummary;
  direct: PhaseSummary;
}

export interface Part3Result {
  baseRate: number;
  levels: Part3Level[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The MES's latency follows its request count of the last second: let that window empty between runs. */
const mesQuietMs = 1500;

function describe(label: string, s: PhaseSummary): string {
  const failed = Object.values(s.failures).reduce((a, b) => a + b, 0);
  const loop = s.gatewayEventLoop;
  const other =
    s.otherCpuPercent === undefined
      ? ''
      : `, other CPU ${s.otherCpuPercent.toFixed(0)}%, VM steal ${s.stealPercent?.toFixed(0)}%`;
  return (
    `${label}: ${s.reads} reads at ${s.rate}/s, p50 ${s.latencyMs.p50.toFixed(1)} ms, p99 ${s.latencyMs.p99.toFixed(1)} ms (client lag p99 ${s.generatorLagMs.p99Ms.toFixed(1)} ms), ${s.mesCalls} MES calls (${s.mesCallsPer100Reads.toFixed(1)}/100 reads), ${s.changesPerSecond.toFixed(0)} MES changes/s, ${failed} failed ${JSON.stringify(s.failures)}` +
    ` | gateway CPU ${s.gatewayCpuPercent.toFixed(0)}%, loop busy ${(loop.utilization * 100).toFixed(0)}%, loop stalls p99 ${loop.p99Ms.toFixed(1)} ms max ${loop.maxMs.toFixed(0)} ms, ${loop.fullGcs.count} full GCs, MES CPU ${s.mesCpuPercent.toFixed(0)}%, poller CPU ${s.pollerCpuPercent.toFixed(0)}%${other}, event backlog ${s.eventBacklog}`
  );
}

export async function runMesBench(
  options: MesBenchOptions,
  config: Config,
  cleanup: Cleanup,
  tempDir: string,
): Promise<{ part2: Part2Result; part3: Part3Result }> {
  const world: World = await startWorld(options, config, cleanup, tempDir);
  try {
    const zipf = { s: options.zipfS, seed: options.seed };
    const phase = async (mode: Mode, rate: number, seconds: number, warmupSeconds: number, label: string) => {
      await sleep(mesQuietMs);
      const result = await runPhase(world, { mode, rate, seconds, warmupSeconds, zipf });
      log(`${label} ${describe(mode, summarise(result))}`);
      return result;
    };

    const direct: Phase[] = [];
    for (const multiplier of options.multipliers)
      direct.push(
        await phase('direct', options.baseRate * multiplier, options.levelSeconds, 0, `part 3 ×${multiplier}`),
      );
    const part2DirectAtLevel = options.multipliers.findIndex((m) => options.baseRate * m === options.rate);
    const part2Direct =
      part2DirectAtLevel >= 0
        ? direct[part2DirectAtLevel]!
        : await phase('direct', options.rate, options.levelSeconds, 0, 'part 2');
    const nginx = await phase('nginx', options.rate, options.seconds, options.nginxWarmupSeconds, 'part 2');
    const gateway: Phase[] = [];
    for (const multiplier of options.multipliers)
      gateway.push(
        await phase(
          'gateway',
          options.baseRate * multiplier,
          options.levelSeconds,
          options.levelWarmupSeconds,
          `part 3 ×${multiplier}`,
        ),
      );
    const part2Gateway = await phase('gateway', options.rate, options.seconds, options.gatewayWarmupSeconds, 'part 2');
    const part2GatewayMes = await phase(
      'gateway-mes',
      options.rate,
      options.seconds,
      options.mesProxyWarmupSeconds,
      'part 2',
    );

    // Events of the last changes may still be on their way to the change log.
    await sleep(1000);
    const refOf = (order: number) => world.orders[order]!.orderId;
    const withStaleness = (p: Phase): Part2Mode => ({
      ...summarise(p),
      staleness: staleness(p.reads, refOf, world.changes),
    });
    return {
      part2: {
        orders: world.orders.length,
        zipfS: options.zipfS,
        rate: options.rate,
        stepMs: options.stepMs,
        nginxTtlSeconds: options.nginxTtlSeconds,
        gateway: withStaleness(part2Gateway),
        gatewayMes: withStaleness(part2GatewayMes),
        nginx: withStaleness(nginx),
        direct: withStaleness(part2Direct),
      },
      part3: {
        baseRate: options.baseRate,
        levels: options.multipliers.map((multiplier, i) => ({
          multiplier,
          rate: options.baseRate * multiplier,
          gateway: summarise(gateway[i]!),
          direct: summarise(direct[i]!),
        })),
      },
    };
  } finally {
    await world.close();
  }
}
