import type { Config } from '../config/index.js';
import type { LedgerTarget, OpsLedger, TimelineEntry } from '../ledger/index.js';
import {
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterQueue,
  type ReplayResult,
} from './replay-dead-letters.js';
import { ReportPageThread } from './report/page-thread.js';
import { produceReport, reportCpuShare, type MesOrderReader } from './report/produce-report.js';
import { reportPage, type ReportFormat } from './report/report-page.js';
import type { ReconciliationReport } from './report/report.js';
import type { Lang } from './report/texts.js';

/** Runs work on the dead-letter queue (over whichever broker connection the caller holds). */
export type WithDeadLetterQueue = <T>(use: (queue: DeadLetterQueue) => Promise<T>) => Promise<T>;

export interface ReportOptions {
  /** MES look-ups at most (each through the read proxy, paced). */
  maxLookups?: number;
  onProgress?: (done: number, total: number) => void;
  /** The report's "now" (default: Date.now(), as the route's window). */
  now?: number;
}

/** What an operator runs, from the CLI or from /ops: the same services over the same ports. */
export interface OpsServices {
  report(
    window: { from: number; to: number },
    lang: Lang,
    options?: ReportOptions,
  ): Promise<{ report: ReconciliationReport; timelines: Record<string, TimelineEntry[]> }>;
  /** The report as /ops serves it, encoded; rendered on a thread of its own when the ports name the ledger's target. */
  reportPage(
    window: { from: number; to: number },
    lang: Lang,
    format: ReportFormat,
    options?: { maxLookups?: number },
  ): Promise<Uint8Array>;
  timeline(orderId: string): Promise<TimelineEntry[]>;
  deadLetters(): Promise<DeadLetter[]>;
  replay(match: (letter: DeadLetter) => boolean): Promise<ReplayResult>;
  /** Stops the report page thread, if one was started. */
  close(): Promise<void>;
}

export interface OpsPorts {
  config: Config;
  /** Absent for the commands that only read the broker (listing dead letters). */
  ledger?: OpsLedger;
  /**
   * Where `ledger` lives (a gateway's): report pages are then rendered on a worker thread that opens
   * it read-only, off the event loop that serves partners. Without it, they render in this thread.
   */
  ledgerTarget?: LedgerTarget;
  /** The MES read proxy the report asks through; without one the report asks nothing. */
  mes?: MesOrderReader;
  deadLetterQueue?: WithDeadLetterQueue;
  clock?: () => number;
}

/**
 * A benchmark comparison switch, not a setting (as in src/ledger/sqlite/open.ts): with
 * ORDERBRIDGE_BENCH_REPORT_ON_LOOP=1 report pages render on the event loop, as before the page thread.
 */
const pagesOnLoopForBench = process.env.ORDERBRIDGE_BENCH_REPORT_ON_LOOP === '1';

/** The ops services over the given ports; a service whose port is missing says which. */
export function createOpsServices(ports: OpsPorts): OpsServices {
  const { config, ledger, mes, deadLetterQueue, clock = Date.now } = ports;
  const needLedger = () => ledger ?? missing('a ledger');
  const needQueue = () => deadLetterQueue ?? missing('a broker connection');
  const report: OpsServices['report'] = (window, lang, options = {}) =>
    produceReport({
      config,
      ledger: needLedger(),
      ...window,
      lang,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(mes ? { mes } : {}),
      maxLookups: options.maxLookups ?? 50,
      cpuShare: reportCpuShare,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  const pageThread = pageThreadFor(ports);
  return {
    report,
    reportPage: async (window, lang, format, { maxLookups = 50 } = {}) => {
      const now = Date.now();
      return pageThread
        ? pageThread.render({ ...window, now, lang, format, maxLookups })
        : reportPage(await report(window, lang, { maxLookups, now }), format, lang);
    },
    timeline: (orderId) => needLedger().timeline(orderId),
    deadLetters: () => needQueue()((queue) => listDeadLetters(queue, config)),
    replay: (match) =>
      needQueue()((queue) => replayDeadLetters({ queue, config, ledger: needLedger(), now: clock, match })),
    close: async () => pageThread?.close(),
  };
}

function pageThreadFor({ config, ledger, ledgerTarget, mes }: OpsPorts): ReportPageThread | undefined {
  // An in-memory SQLite ledger cannot be opened again from another thread.
  if (!ledger || !ledgerTarget || pagesOnLoopForBench) return undefined;
  if (ledgerTarget.driver === 'sqlite' && ledgerTarget.path === ':memory:') return undefined;
  return new ReportPageThread({ config, target: ledgerTarget, ledger, ...(mes ? { mes } : {}) });
}

function missing(port: string): never {
  throw new Error(`this ops service needs ${port}, and none was given`);
}
