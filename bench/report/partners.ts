/**
 * The report beside partners (issue 18): the gateway (`orderbridge serve` as startGateway runs it, in
 * its own process) on the big ledger, partners reading their orders (GET /v1/orders/{id}, cached) at a
 * fixed open-loop rate, latency measured per request from its scheduled send (bench/proxy/paced.ts,
 * in a process of its own). Windows alternate: partners alone, then partners while an operator
 * renders the 24 h report page (GET /ops?since=24h) back to back. Goal: partner p99 with the report
 * ≤ 1.2× without. Measured with the page rendered on the gateway's report page thread (as shipped)
 * and, for comparison, all of it on the event loop (ORDERBRIDGE_BENCH_REPORT_ON_LOOP=1).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createVhost } from '../../test/helpers/vhost.js';
import type { Cleanup } from '../shared/cleanup.js';
import { median, round } from '../shared/figures.js';
import { pacedInChild, type PacedFigures } from '../proxy/paced.js';
import { startChild, type ChildServer } from '../proxy/process.js';
import type { PartnerSpec } from '../proxy/protocol.js';

export const partnerGoal = { p99Ratio: 1.2 };

export interface PartnersOptions {
  /** Partner reads per second, open loop. */
  rate: number;
  /** Length of each measured window. */
  seconds: number;
  /** Alone/with-report window pairs per mode. */
  rounds: number;
  /** Distinct orders the partner reads (spread over the whole ledger, each read once before measuring). */
  orders: number;
  /** Also measure with the report rendered on the event loop. */
  onLoop: boolean;
  /** Where to write a CPU profile of the gateway's main thread during each first window with the report. */
  cpuProfDir?: string;
}

type Mode = 'thread' | 'loop';

export interface Window {
  p50: number;
  p99: number;
  max: number;
  failed: number;
  generatorLagP99: number;
  /** The gateway's event loop during the window: the longest it could not run a 1 ms timer, beyond it. */
  loopStallMaxMs: number;
  loopUtilization: number;
  /** Reports rendered during the window (with report only), and their times. */
  reports?: number;
  reportMs?: number[];
}

export interface ModeFigures {
  alone: Window[];
  withReport: Window[];
  /** Medians over the rounds. */
  p50Alone: number;
  p99Alone: number;
  p50WithReport: number;
  p99WithReport: number;
  /** p99 with the report ÷ p99 alone (the medians). */
  p99Ratio: number;
  met: boolean;
  firstReportMs: number;
}

export interface PartnersFigures {
  rate: number;
  seconds: number;
  rounds: number;
  orders: number;
  thread: ModeFigures;
  loop?: ModeFigures;
}

const key = () => randomBytes(24).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** One render of the 24 h report page by the operator; its time in ms. Anything but a 200 page fails. */
async function renderReport(port: number, operatorKey: string): Promise<number> {
  const started = performance.now();
  const answer = await fetch(`http://127.0.0.1:${port}/ops?since=24h`, {
    headers: { authorization: `Bearer ${operatorKey}`, 'accept-language': 'en' },
  });
  const body = await answer.text();
  if (answer.status !== 200) throw new Error(`/ops answered ${answer.status}: ${body.slice(0, 300)}`);
  return performance.now() - started;
}

/** Report renders back to back until stopped; their times in ms. */
function reportLoop(port: number, operatorKey: string): { stop(): Promise<number[]> } {
  const times: number[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) times.push(await renderReport(port, operatorKey));
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
      return times;
    },
  };
}

/** Reads every path once, a few at a time, so that each order's resource is in the gateway's cache. */
async function readAll(port: number, paths: string[], partnerKey: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < paths.length) {
        const path = paths[next++]!;
        const answer = await fetch(`http://127.0.0.1:${port}${path}`, {
          headers: { authorization: `Bearer ${partnerKey}` },
        });
        await answer.arrayBuffer();
        if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`);
      }
    }),
  );
}

export async function runBesidePartners(
  options: PartnersOptions,
  ledger: { path: string; orders: number },
  context: { cleanup: Cleanup; dir: string; log: (line: string) => void },
): Promise<PartnersFigures> {
  const { cleanup, dir, log } = context;
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  // The seeded ledger's orders all belong to partner "shop" (bench/report/seed.ts).
  const shopKey = key();
  const operatorKey = key();
  const partners: PartnerSpec[] = [
    { id: 'shop', apiKeySha256: sha256(shopKey) },
    { id: 'ops', apiKeySha256: sha256(operatorKey), role: 'operator' },
  ];
  const step = Math.max(1, Math.floor(ledger.orders / options.orders));
  const paths = Array.from(
    { length: Math.min(options.orders, ledger.orders) },
    (_, i) => `/v1/orders/BIG-${String(i * step).padStart(7, '0')}`,
  );
  const vhost = await createVhost('ob-bench-report');
  const removeVhost = cleanup.add(() => vhost.remove());
  const measure = async (mode: Mode): Promise<ModeFigures> => {
    const gateway = await startChild(
      // Nothing listens on port 9: the report's few MES look-ups fail fast and the breaker opens.
      { role: 'gateway', amqpUrl: vhost.url, ledgerPath: ledger.path, mesUrl: 'http://127.0.0.1:9', partners },
      mode === 'loop' ? { env: { ORDERBRIDGE_BENCH_REPORT_ON_LOOP: '1' } } : {},
    );
    try {
      await readAll(gateway.port, paths, shopKey);
      // The first report warms the page cache of the ledger file and starts the page thread.
      const firstReportMs = await renderReport(gateway.port, operatorKey);
      log(
        `partners (${mode}): gateway up, ${paths.length} orders cached, first report ${Math.round(firstReportMs)} ms`,
      );
      const spec = {
        port: gateway.port,
        requests: paths.map((path) => ({ path, key: shopKey })),
        rate: options.rate,
        seconds: options.seconds,
        connections: 8,
      };
      const alone: Window[] = [];
      const withReport: Window[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        alone.push(await window(gateway, () => pacedInChild(spec, join(dir, 'paced.json'))));
        const profile =
          options.cpuProfDir && round === 1
            ? join(options.cpuProfDir, `report-beside-partners-${mode}.cpuprofile`)
            : undefined;
        if (profile) {
          gateway.profileStart();
          // Starting the profiler stalls the gateway's loop for tens of ms: not inside the window.
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        const reports = reportLoop(gateway.port, operatorKey);
        const busy = await window(gateway, () => pacedInChild(spec, join(dir, 'paced.json')));
        const reportMs = await reports.stop();
        if (profile) {
          await gateway.profileStop(profile);
          log(
            `partners (${mode}): CPU profile of the gateway in ${profile} (node dist-bench/bench/proxy/profile.js ${profile})`,
          );
        }
        withReport.push({ ...busy, reports: reportMs.length, reportMs: reportMs.map((ms) => round2(ms)) });
        const [a, b] = [alone.at(-1)!, withReport.at(-1)!];
        log(
          `partners (${mode}) round ${round}: alone p50 ${a.p50.toFixed(2)} / p99 ${a.p99.toFixed(2)} ms; with the report p50 ${b.p50.toFixed(2)} / p99 ${b.p99.toFixed(2)} ms (${reportMs.length} reports, gateway loop stall max ${b.loopStallMaxMs.toFixed(0)} ms)`,
        );
      }
      const p99Alone = median(alone.map((w) => w.p99));
      const p99WithReport = median(withReport.map((w) => w.p99));
      const p99Ratio = p99WithReport / p99Alone;
      return {
        alone,
        withReport,
        p50Alone: round2(median(alone.map((w) => w.p50))),
        p99Alone: round2(p99Alone),
        p50WithReport: round2(median(withReport.map((w) => w.p50))),
        p99WithReport: round2(p99WithReport),
        p99Ratio: round(p99Ratio, 3),
        met: p99Ratio <= partnerGoal.p99Ratio,
        firstReportMs: Math.round(firstReportMs),
      };
    } finally {
      await gateway.stop();
    }
  };
  try {
    const thread = await measure('thread');
    const loop = options.onLoop ? await measure('loop') : undefined;
    return {
      rate: options.rate,
      seconds: options.seconds,
      rounds: options.rounds,
      orders: paths.length,
      thread,
      ...(loop ? { loop } : {}),
    };
  } finally {
    removeVhost();
  }
}

const round2 = (value: number) => round(value, 2);

/** One paced run, with what the gateway's event loop went through meanwhile. */
async function window(gateway: ChildServer, run: () => Promise<PacedFigures>): Promise<Window> {
  await gateway.stats();
  const figures = await run();
  const { eventLoop } = await gateway.stats();
  return {
    p50: round2(figures.p50),
    p99: round2(figures.p99),
    max: round2(figures.max),
    failed: figures.failed,
    generatorLagP99: round2(figures.generatorLagP99),
    loopStallMaxMs: round2(eventLoop.maxMs),
    loopUtilization: round(eventLoop.utilization, 3),
  };
}
