import { performance } from 'node:perf_hooks';
import { durationMs, type Config } from '../../config/index.js';
import type { OpsLedger, TimelineEntry } from '../../ledger/index.js';
import { readOrderAnswer, translate, type OrderLookup } from '../../mapping/index.js';
import type { TextRule } from '../../contracts/generated/config/dialect.js';
import { buildReport, type MesAnswer, type ReconciliationReport } from './report.js';
import type { Lang } from './texts.js';

/** What the report asks the MES about an order: its answer as the MES read proxy gives it (breaker and cache included). */
/** The read proxy's answer about one order; `unanswered` says why when the MES could not be asked. */
export interface MesOrderAnswer {
  status: number;
  body: Uint8Array;
  unanswered?: string;
}

export interface MesOrderReader {
  readOrder(orderId: string): Promise<MesOrderAnswer>;
}

/** The share of a CPU a report takes while reading the ledger next to a running gateway. */
export const reportCpuShare = 0.6;

/** Timelines the HTML page embeds, fetched this many at a time (two queries each: within a PostgreSQL ledger's pool of 8). */
const timelinesAtOnce = 3;

/** A report is background work next to a running gateway: it gives way to it for the CPU. */
export const reportNiceness = 19;

/** What a report reads from the ledger, and the one thing it notes there (what the MES said). */
export type ReportLedger = Pick<OpsLedger, 'reportRows' | 'needsActionRows' | 'timeline' | 'recordReconciliation'>;

export interface ProduceReportOptions {
  config: Config;
  ledger: ReportLedger;
  from: number;
  to: number;
  lang: Lang;
  now?: number;
  /** Ask the MES about open discrepancies through this reader (and note its answers in the ledger); without one, nothing is asked. */
  mes?: MesOrderReader;
  maxLookups?: number;
  /** MES look-ups per second at most: reconciliation must not become the MES's load problem. */
  lookupsPerSecond?: number;
  /** An event published this long ago and still unconfirmed is a discrepancy. */
  unconfirmedAfterMs?: number;
  /** Timelines are embedded for the first this many orders: the action list's, then the discrepancies' (the HTML page). */
  timelines?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * The share of one CPU the report may take while it reads the ledger (0–1, default 1): it pauses
   * between queries so the gateway beside it keeps its throughput (bench/RESULTS.md, report benchmark).
   */
  cpuShare?: number;
}

/** Reads the ledger, reconciles with the MES, and returns the report with the timelines the HTML page embeds. */
export async function produceReport(
  options: ProduceReportOptions,
): Promise<{ report: ReconciliationReport; timelines: Record<string, TimelineEntry[]> }> {
  const { config, ledger, from, to, lang } = options;
  const now = options.now ?? Date.now();
  const yieldCpu = cpuPacer(options.cpuShare ?? 1);
  const rows = await ledger.reportRows(from, to, now - (options.unconfirmedAfterMs ?? 60_000), yieldCpu);
  const actionRows = await ledger.needsActionRows(from, to);
  await yieldCpu();
  const { mes } = options;
  const lookup = config.dialect.api?.orderLookup;
  const pace = pacer(options.lookupsPerSecond ?? 20);
  // Without an order look-up the MES's answers could not be read: nothing is asked.
  const ask =
    mes && lookup?.statePointer !== undefined
      ? async (orderId: string) => {
          await pace();
          return askMes(mes, orderId, lookup, config.dialect.events.values?.state);
        }
      : undefined;
  const report = await buildReport({
    rows,
    actionRows,
    from,
    to,
    now,
    lang,
    retentionDays: durationMs(config.gateway.ledger.retention) / 86_400_000,
    statusOfMesState: (state) => {
      const translation = translateState(config, state);
      return translation.kind === 'translated' ? translation.status : undefined;
    },
    answersCommand: (state) => {
      const translation = translateState(config, state);
      return translation.kind === 'translated' && translation.ack !== undefined;
    },
    maxLookups: options.maxLookups ?? 200,
    ...(ask ? { askMes: ask } : {}),
    recordAnswer: (orderId, answer) =>
      void ledger.recordReconciliation(orderId, { by: 'report', ...answer }, Date.now()).catch(() => undefined),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const timelines: Record<string, TimelineEntry[]> = {};
  const orders = [...report.needsAction.items, ...report.discrepancies, ...report.informational.items];
  const orderIds = [...new Set(orders.slice(0, options.timelines ?? 200).map((d) => d.orderId))];
  // A few at once: a ledger server answers them side by side (200 one by one took 0.2 s on PostgreSQL).
  for (let first = 0; first < orderIds.length; first += timelinesAtOnce) {
    const some = orderIds.slice(first, first + timelinesAtOnce);
    const fetched = await Promise.all(some.map((orderId) => ledger.timeline(orderId)));
    for (const [i, orderId] of some.entries()) timelines[orderId] = fetched[i]!;
    await yieldCpu();
  }
  return { report, timelines };
}

function translateState(config: Config, state: string) {
  return translate({ orderId: '', eventId: '', state, occurredAt: '' }, config.dialect.states);
}

async function askMes(
  proxy: MesOrderReader,
  orderId: string,
  lookup: OrderLookup,
  stateRule: TextRule | undefined,
): Promise<MesAnswer> {
  const answer = await proxy.readOrder(orderId);
  // The proxy's own 502/503/504, not the MES's: its status would read as the MES's answer.
  if (answer.unanswered) return { error: answer.unanswered };
  const read = readOrderAnswer(
    lookup,
    answer.status,
    () => JSON.parse(Buffer.from(answer.body).toString('utf8')),
    stateRule,
  );
  if ('error' in read) return read;
  return read.knows ? { knows: true, state: read.state! } : { knows: false };
}

/** After a stretch of work, sleeps long enough that the work took `share` of the time since the last pause. */
function cpuPacer(share: number): () => Promise<void> {
  let since = performance.now();
  return async () => {
    const worked = performance.now() - since;
    if (share < 1 && worked > 1) await new Promise((resolve) => setTimeout(resolve, (worked * (1 - share)) / share));
    since = performance.now();
  };
}

/** Resolves at most `perSecond` times a second. */
function pacer(perSecond: number): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, next);
    next = at + 1000 / perSecond;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  };
}
