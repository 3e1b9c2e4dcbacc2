import type { ReconciliationReport } from '../../contracts/generated/ops/report.js';
import type { NeedsActionRows } from '../../ledger/index.js';
import { type ReportRows, seriesBuckets } from '../../ledger/report-rows.js';
import { canMove, isOrderStatus, type OrderStatus } from '../../mapping/index.js';
import { buildActionList } from './needs-action.js';
import { texts, type Lang } from './texts.js';

export type { ReconciliationReport };
export type Discrepancy = ReconciliationReport['discrepancies'][number];
export type InformationalKind = keyof ReconciliationReport['informational']['byKind'];
/** Kinds that need no action (the ledger absorbed them): counted, each listed only on demand. */
export const informationalKinds: readonly InformationalKind[] = ['duplicate_seen', 'acknowledged_out_of_order'];
const isInformational = (kind: Discrepancy['kind']): kind is InformationalKind =>
  (informationalKinds as readonly string[]).includes(kind);
type MesView = NonNullable<Discrepancy['mes']>;

/** What the MES API says about an order: it has it (in this state), it does not, or it could not be asked. */
export type MesAnswer = { knows: true; state: string } | { knows: false } | { error: string };

export interface ReportInput {
  rows: ReportRows;
  /** What may make an order need a person (the report's action list). */
  actionRows: NeedsActionRows;
  from: number;
  to: number;
  now: number;
  retentionDays: number;
  lang: Lang;
  /** Active reconciliation: asks the MES API (through the breaker, paced); absent = not asked. */
  askMes?: (orderId: string) => Promise<MesAnswer>;
  /** The external status an MES state maps to (the dialect's states). */
  statusOfMesState: (state: string) => OrderStatus | undefined;
  /** Whether an MES state answers a command (its `ack` in the dialect). */
  answersCommand: (state: string) => boolean;
  /** At most this many MES look-ups per report. */
  maxLookups: number;
  /** Records each MES answer in the ledger, so the timeline shows what reconciliation found. */
  recordAnswer?: (orderId: string, answer: MesAnswer) => void;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The order the report lists discrepancies in, the most urgent first: an order the MES lost is
 * worse than one it never got (the CRM may still re-send that), and both are worse than late news.
 */
const urgency: Record<Discrepancy['kind'], number> = {
  missing_in_mes: 0,
  command_never_acknowledged: 1,
  unknown_mes_state: 2,
  status_diverged: 3,
  crm_not_informed: 4,
  acknowledgement_lost: 5,
  duplicate_seen: 6,
  acknowledged_out_of_order: 7,
};

export async function buildReport(input: ReportInput): Promise<ReconciliationReport> {
  const { rows, from, to, now, lang } = input;
  const t = texts[lang];
  const iso = (ms: number) => new Date(ms).toISOString();
  const byState = rows.commandsByState;
  const n = (state: string) => byState[state] ?? 0;
  const answered = ['acknowledged', 'rejected', 'failed'].reduce((sum, s) => sum + n(s), 0);
  const open = n('forwarded') + n('redelivered');

  const candidates = mesCandidates(rows);
  const mes = await reconcile(input, candidates);
  const discrepancies: Discrepancy[] = [];
  const add = (
    kind: Discrepancy['kind'],
    orderId: string,
    at: number,
    detail: string,
    status: string,
    view?: MesView,
  ) =>
    discrepancies.push({
      kind,
      orderId,
      since: iso(at),
      detail,
      action: t.actions[kind],
      ...(isOrderStatus(status) ? { status } : {}),
      ...(view ? { mes: view } : {}),
    });

  for (const lost of rows.lostCommands) {
    const answer = mes.get(lost.orderId);
    add(
      answer && 'knows' in answer && answer.knows ? 'acknowledgement_lost' : 'command_never_acknowledged',
      lost.orderId,
      lost.at,
      t.details.lost(lost.reason ?? ''),
      lost.status,
      mesView(answer, input),
    );
  }
  for (const closed of rows.ackedByEvidence) {
    if (closed.mesState === null) {
      add('acknowledgement_lost', closed.orderId, closed.at, t.details.ackByEvidence(closed.reason), closed.status);
      continue;
    }
    // A later state acknowledged the command; the answer itself either came after it (reordered on
    // the way: nothing was lost) or never came (lost on the MES → gateway path).
    const answer = closed.laterOutOfOrder.find(input.answersCommand);
    if (answer === undefined)
      add('acknowledgement_lost', closed.orderId, closed.at, t.details.ackByLaterState(closed.mesState), closed.status);
    else
      add(
        'acknowledged_out_of_order',
        closed.orderId,
        closed.at,
        t.details.ackOutOfOrder(closed.mesState, answer),
        closed.status,
      );
  }
  const lostOrders = new Set(rows.lostCommands.map((c) => c.orderId));
  for (const flagged of rows.attention) {
    // A lost command's order is already classified above: its status lags for that reason.
    if (lostOrders.has(flagged.orderId)) continue;
    const answer = mes.get(flagged.orderId);
    if (!answer || !('knows' in answer)) continue;
    if (!answer.knows) {
      add(
        'missing_in_mes',
        flagged.orderId,
        flagged.since,
        t.details.missingInMes(flagged.status, flagged.attention),
        flagged.status,
        mesView(answer, input),
      );
      continue;
    }
    const mesStatus = input.statusOfMesState(answer.state);
    if (
      mesStatus &&
      isOrderStatus(flagged.status) &&
      mesStatus !== flagged.status &&
      canMove(flagged.status, mesStatus)
    ) {
      add(
        'status_diverged',
        flagged.orderId,
        flagged.since,
        t.details.diverged(flagged.status, mesStatus, answer.state),
        flagged.status,
        mesView(answer, input),
      );
    }
  }
  for (const events of rows.unconfirmedEvents)
    add(
      'crm_not_informed',
      events.orderId,
      events.at,
      t.details.unconfirmed(events.count, events.types),
      events.status,
    );
  for (const duplicate of rows.duplicateDeliveries)
    add('duplicate_seen', duplicate.orderId, duplicate.at, t.details.duplicates(duplicate.count), '');
  for (const unknown of rows.unknownStates)
    if (unknown.reason.startsWith('unknown MES state'))
      add('unknown_mes_state', unknown.orderId, unknown.at, t.details.unknownState(unknown.mesState), '');

  // Stable: within a kind, the order each was found in (the oldest first).
  discrepancies.sort((a, b) => urgency[a.kind] - urgency[b.kind]);
  const informational = discrepancies.filter((d) => isInformational(d.kind));
  const byKind: ReconciliationReport['informational']['byKind'] = {};
  for (const { kind } of informational) if (isInformational(kind)) byKind[kind] = (byKind[kind] ?? 0) + 1;

  return {
    generatedAt: iso(now),
    needsAction: buildActionList({
      rows: input.actionRows,
      now,
      lang,
      answers: mes,
      notAskedBecause: () => (input.askMes ? 'over_limit' : 'reconciliation_off'),
      statusOfMesState: input.statusOfMesState,
    }),
    window: { from: iso(from), to: iso(to) },
    coverage: {
      oldestRecord: rows.oldestRecord === null ? null : iso(rows.oldestRecord),
      retentionDays: input.retentionDays,
      complete:
        rows.oldestRecord === null || rows.oldestRecord <= from || from >= now - input.retentionDays * 86_400_000,
    },
    commands: {
      received: Object.values(byState).reduce((a, b) => a + b, 0),
      forwarded: answered + open + n('lost'),
      acknowledged: n('acknowledged'),
      rejected: n('rejected'),
      failed: n('failed'),
      redelivered: rows.reforwarded,
      lost: n('lost'),
      open,
    },
    events: {
      consumed: rows.eventsConsumed,
      duplicates: rows.duplicates,
      outOfOrder: rows.eventsByState.out_of_order ?? 0,
      quarantined: rows.eventsByState.quarantined ?? 0,
      invalid: rows.invalid,
      deadLettered: rows.deadLettered,
    },
    ordersByStatus: statusCounts(rows.ordersByStatus),
    stuckByStatus: statusCounts(rows.stuckByStatus),
    ackLatencyMs: {
      count: rows.acks.count,
      p50: rows.acks.p50,
      p90: rows.acks.p90,
      p99: rows.acks.p99,
      max: rows.acks.max,
    },
    series: series(rows.acks, from, to),
    discrepancies: discrepancies.filter((d) => !isInformational(d.kind)),
    informational: { total: informational.length, byKind, items: informational },
    reconciliation: {
      asked: mes.size,
      answered: [...mes.values()].filter((a) => !('error' in a)).length,
      notAsked: candidates.length - mes.size,
      limit: input.askMes ? input.maxLookups : null,
    },
  };
}

/** Orders whose discrepancy only the MES can classify: lost commands, then orders flagged lost or stuck. */
function mesCandidates(rows: ReportRows): string[] {
  return [...new Set([...rows.lostCommands.map((c) => c.orderId), ...rows.attention.map((a) => a.orderId)])];
}

/** Asks the MES about each candidate, one after another (the caller paces and breaks), up to the limit. */
async function reconcile(input: ReportInput, candidates: string[]): Promise<Map<string, MesAnswer>> {
  const answers = new Map<string, MesAnswer>();
  if (!input.askMes) return answers;
  const asking = candidates.slice(0, input.maxLookups);
  for (const [i, orderId] of asking.entries()) {
    const answer = await input.askMes(orderId);
    answers.set(orderId, answer);
    input.recordAnswer?.(orderId, answer);
    input.onProgress?.(i + 1, asking.length);
  }
  return answers;
}

function mesView(answer: MesAnswer | undefined, input: ReportInput): MesView {
  if (!answer) return { asked: false };
  if ('error' in answer) return { asked: true, error: answer.error.slice(0, 500) };
  if (!answer.knows) return { asked: true, knows: false };
  const status = input.statusOfMesState(answer.state);
  return { asked: true, knows: true, state: answer.state, ...(status ? { status } : {}) };
}

function statusCounts(counts: Record<string, number>): Partial<Record<OrderStatus, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([status]) => isOrderStatus(status)));
}

function series(acks: ReportRows['acks'], from: number, to: number): ReconciliationReport['series'] {
  const { bucketMs } = seriesBuckets(from, to);
  return {
    bucketMs,
    buckets: acks.buckets.map((bucket, i) => ({
      start: new Date(from + i * bucketMs).toISOString(),
      acknowledged: bucket.count,
      p50Ms: bucket.p50,
      p99Ms: bucket.p99,
    })),
  };
}
