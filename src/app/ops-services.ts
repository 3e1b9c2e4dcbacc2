import type { Config } from '../config/index.js';
import type { OpsLedger, TimelineEntry } from '../ledger/index.js';
import {
  listDeadLetters,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterQueue,
  type ReplayResult,
} from './replay-dead-letters.js';
import { produceReport, reportCpuShare, type MesOrderReader } from './report/produce-report.js';
import type { ReconciliationReport } from './report/report.js';
import type { Lang } from './report/texts.js';

/** Runs work on the dead-letter queue (over whichever broker connection the caller holds). */
export type WithDeadLetterQueue = <T>(use: (queue: DeadLetterQueue) => Promise<T>) => Promise<T>;

export interface ReportOptions {
  /** MES look-ups at most (each through the read proxy, paced). */
  maxLookups?: number;
  onProgress?: (done: number, total: number) => void;
}

/** What an operator runs, from the CLI or from /ops: the same services over the same ports. */
export interface OpsServices {
  report(
    window: { from: number; to: number },
    lang: Lang,
    options?: ReportOptions,
  ): Promise<{ report: ReconciliationReport; timelines: Record<string, TimelineEntry[]> }>;
  timeline(orderId: string): Promise<TimelineEntry[]>;
  deadLetters(): Promise<DeadLetter[]>;
  replay(match: (letter: DeadLetter) => boolean): Promise<ReplayResult>;
}

export interface OpsPorts {
  config: Config;
  /** Absent for the commands that only read the broker (listing dead letters). */
  ledger?: OpsLedger;
  /** The MES read proxy the report asks through; without one the report asks nothing. */
  mes?: MesOrderReader;
  deadLetterQueue?: WithDeadLetterQueue;
  clock?: () => number;
}

/** The ops services over the given ports; a service whose port is missing says which. */
export function createOpsServices({ config, ledger, mes, deadLetterQueue, clock = Date.now }: OpsPorts): OpsServices {
  const needLedger = () => ledger ?? missing('a ledger');
  const needQueue = () => deadLetterQueue ?? missing('a broker connection');
  return {
    report: (window, lang, options = {}) =>
      produceReport({
        config,
        ledger: needLedger(),
        ...window,
        lang,
        ...(mes ? { mes } : {}),
        maxLookups: options.maxLookups ?? 50,
        cpuShare: reportCpuShare,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    timeline: (orderId) => needLedger().timeline(orderId),
    deadLetters: () => needQueue()((queue) => listDeadLetters(queue, config)),
    replay: (match) =>
      needQueue()((queue) => replayDeadLetters({ queue, config, ledger: needLedger(), now: clock, match })),
  };
}

function missing(port: string): never {
  throw new Error(`this ops service needs ${port}, and none was given`);
}
