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

export function mesText(mes: NonNullable<ReconciliationReport['discrepancies'][number]['mes']>, lang: Lang): string {
  const t = texts[lang].mes;
  if (!mes.asked) return t.notAsked;
  if (mes.error) return t.failed(mes.error);
  return mes.knows ? t.knows(mes.state ?? '') : t.unknown;
}

/**
 * One row per discrepancy needing action (class `action`, count 1), then one row per informational
 * kind with its count and no order (class `info`), or with `details` one row per informational
 * discrepancy. RFC 4180 quoting; the headline counts are in the JSON and HTML forms.
 */
export function reportCsv(report: ReconciliationReport, { details = false }: ReportFormatOptions = {}): string {
  const quote = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
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
  ];
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
          : [[kind, '', since, '', '', items[0]!.action, '', '', '', '', '', 'info', String(items.length)]];
      });
  const rows = [header, ...report.discrepancies.map((d) => row(d, 'action')), ...info];
  return rows.map((cells) => `${cells.map(quote).join(',')}\r\n`).join('');
}
