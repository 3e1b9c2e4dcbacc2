import type { ActionItem } from './needs-action.js';
import { informationalKinds, type Discrepancy, type ReconciliationReport } from './report.js';
import { texts, type Lang } from './texts.js';

/** `details`: list each informational discrepancy too, not only their counts by kind. */
export interface ReportFormatOptions {
  details?: boolean;
}

/**
 * The report as terminal text: headline counts, latency, one block per discrepancy needing action,
 * then the informational ones counted by kind (each one with `details`).
 */
export function reportText(
  report: ReconciliationReport,
  lang: Lang,
  { details = false }: ReportFormatOptions = {},
): string[] {
  const t = texts[lang];
  const counts = <K extends string>(labels: Record<K, string>, values: Record<K, number>) =>
    (Object.keys(labels) as K[]).map((k) => `${labels[k]} ${values[k]}`).join(' · ');
  const ms = (value: number | null) => (value === null ? t.none : `${Math.round(value)} ms`);
  const byStatus = (values: Record<string, number | undefined>) =>
    Object.entries(values)
      .map(([status, n]) => `${status} ${n}`)
      .join(' · ') || t.none;
  const lines = [
    t.title,
    t.window(report.window.from, report.window.to),
    ...(report.coverage.complete ? [] : [t.coverageIncomplete(report.coverage.oldestRecord ?? t.none)]),
    '',
    ...needsActionText(report, lang),
    '',
    `${t.sections.commands}: ${counts(t.commands, report.commands)}`,
    `${t.sections.events}: ${counts(t.events, report.events)}`,
    `${t.sections.orders}: ${byStatus(report.ordersByStatus)}`,
    `${t.sections.stuck}: ${byStatus(report.stuckByStatus)}`,
    `${t.sections.latency}: ${t.latency.count} ${report.ackLatencyMs.count} · p50 ${ms(report.ackLatencyMs.p50)} · p90 ${ms(report.ackLatencyMs.p90)} · p99 ${ms(report.ackLatencyMs.p99)} · ${t.latency.max} ${ms(report.ackLatencyMs.max)}`,
    `${t.sections.reconciliation}: ${t.reconciliation(report.reconciliation.asked, report.reconciliation.answered, report.reconciliation.notAsked, report.reconciliation.limit)}`,
    '',
    `${t.sections.discrepancies} (${report.discrepancies.length})`,
  ];
  if (!report.discrepancies.length) lines.push(`  ${t.table.none}`);
  const block = (d: Discrepancy) => {
    lines.push(`  [${t.kinds[d.kind]}] ${d.orderId}  ${d.since}${d.status ? `  ${d.status}` : ''}`, `    ${d.detail}`);
    if (d.mes) lines.push(`    ${t.table.mes}: ${mesText(d.mes, lang)}`);
    lines.push(`    → ${d.action}`);
  };
  report.discrepancies.forEach(block);
  const { informational } = report;
  if (informational.total) {
    const counts = informationalKinds
      .filter((k) => informational.byKind[k])
      .map((k) => `${t.kinds[k]} ${informational.byKind[k]}`)
      .join(' · ');
    lines.push(
      '',
      `${t.sections.informational} (${informational.total}): ${counts}${details ? '' : ` (${t.informationalDetails})`}`,
    );
    if (details) informational.items.forEach(block);
  }
  return lines;
}

/** The action list alone: its headline, then one block per order, the most urgent first. */
export function needsActionText(report: ReconciliationReport, lang: Lang): string[] {
  const t = texts[lang];
  const { total, items } = report.needsAction;
  const lines = [`${t.needsAction.headline(total)}${total ? ` — ${reasonCounts(report, lang)}` : ''}`];
  if (!total) return [...lines, `  ${t.needsAction.none}`];
  for (const [i, item] of items.entries()) {
    lines.push(
      `  ${i + 1}. ${item.orderId}  ${item.reasons.map((r) => t.needsAction.reasons[r]).join(' · ')}  ${t.needsAction.since(item.since, t.duration(item.forMs))}`,
      `     ${item.status ?? t.none} · ${t.needsAction.lastMesState(item.mesState)} · ${t.table.mes}: ${actionMesText(item, lang)}`,
    );
    if (item.deadLetterReason !== undefined) lines.push(`     ${t.needsAction.deadLetter(item.deadLetterReason)}`);
    if (item.detail) lines.push(`     ${item.detail}`);
    lines.push(`     → ${item.action}`);
  }
  return lines;
}

/** The action list's orders by reason, e.g. "lost 2 · stuck 8". */
export function reasonCounts(report: ReconciliationReport, lang: Lang): string {
  const t = texts[lang].needsAction;
  return (Object.keys(t.reasons) as (keyof typeof t.reasons)[])
    .filter((reason) => report.needsAction.byReason[reason])
    .map((reason) => `${t.reasons[reason]} ${report.needsAction.byReason[reason]}`)
    .join(' · ');
}

/** What the MES said about an order of the action list, or why it was not asked. */
export function actionMesText(item: ActionItem, lang: Lang): string {
  const t = texts[lang];
  const { mes } = item;
  if (!mes.asked) return `${t.mes.notAsked} (${t.needsAction.notAsked[mes.notAskedBecause ?? 'not_lost_or_stuck']})`;
  return mesText(mes, lang);
}

export function mesText(mes: { asked: boolean; knows?: boolean; state?: string; error?: string }, lang: Lang): string {
  const t = texts[lang].mes;
  if (!mes.asked) return t.notAsked;
  if (mes.error) return t.failed(mes.error);
  return mes.knows ? t.knows(mes.state ?? '') : t.unknown;
}

/**
 * First one row per order that needs a person (class `needs_action`, kind `needs_action`, with its
 * reasons, for_ms, last MES state, dead-letter reason, why the MES was not asked and the suggestion),
 * then one row per discrepancy needing action (class `action`, count 1), then one row per informational
 * kind with its count and no order (class `info`), or with `details` one row per informational
 * discrepancy. RFC 4180 quoting; the headline counts are in the JSON and HTML forms.
 */
export function reportCsv(
  report: ReconciliationReport,
  { details = false, needsActionOnly = false }: ReportFormatOptions & { needsActionOnly?: boolean } = {},
): string {
  const header = [
    'kind',
    'order_id',
    'since',
    'status',
    'detail',
    'action',
    'mes_asked',
    'mes_knows',
    'mes_state',
    'mes_status',
    'mes_error',
    'class',
    'count',
    ...actionColumns,
  ];
  const actions = report.needsAction.items.map(actionRow);
  if (needsActionOnly) return csvText([header, ...actions]);
  const row = (d: Discrepancy, kind: 'action' | 'info') => [
    d.kind,
    d.orderId,
    d.since,
    d.status ?? '',
    d.detail,
    d.action,
    String(d.mes?.asked ?? false),
    d.mes?.knows === undefined ? '' : String(d.mes.knows),
    d.mes?.state ?? '',
    d.mes?.status ?? '',
    d.mes?.error ?? '',
    kind,
    '1',
    ...actionColumns.map(() => ''),
  ];
  const { informational } = report;
  const info = details
    ? informational.items.map((d) => row(d, 'info'))
    : informationalKinds.flatMap((kind) => {
        const items = informational.items.filter((d) => d.kind === kind);
        // Since the oldest of them; one action stands for the kind.
        const since = items.map((d) => d.since).sort()[0];
        return since === undefined
          ? []
          : [
              [
                kind,
                '',
                since,
                '',
                '',
                items[0]!.action,
                '',
                '',
                '',
                '',
                '',
                'info',
                String(items.length),
                ...actionColumns.map(() => ''),
              ],
            ];
      });
  return csvText([header, ...actions, ...report.discrepancies.map((d) => row(d, 'action')), ...info]);
}

const actionColumns = [
  'reasons',
  'for_ms',
  'last_mes_state',
  'dead_letter_reason',
  'mes_not_asked_because',
  'suggestion',
];

function actionRow(item: ActionItem): string[] {
  const { mes } = item;
  return [
    'needs_action',
    item.orderId,
    item.since,
    item.status ?? '',
    item.detail ?? '',
    item.action,
    String(mes.asked),
    mes.knows === undefined ? '' : String(mes.knows),
    mes.state ?? '',
    mes.status ?? '',
    mes.error ?? '',
    'needs_action',
    '1',
    item.reasons.join(' '),
    String(item.forMs),
    item.mesState ?? '',
    item.deadLetterReason ?? '',
    mes.notAskedBecause ?? '',
    item.suggestion,
  ];
}

/** RFC 4180: CRLF line ends, a field with a comma, quote or line break quoted. */
function csvText(rows: string[][]): string {
  const quote = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return rows.map((cells) => `${cells.map(quote).join(',')}\r\n`).join('');
}
