import type { TimelineEntry } from '../../ledger/index.js';
import { reportCsv } from './report-formats.js';
import { reportHtml } from './report-html.js';
import type { ReconciliationReport } from './report.js';
import type { Lang } from './texts.js';

export const reportFormats = ['json', 'csv', 'html'] as const;
export type ReportFormat = (typeof reportFormats)[number];

export const contentTypeOf: Record<ReportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** The report as /ops serves it, encoded: the JSON document, the CSV, or the self-contained HTML page. */
export function reportPage(
  produced: { report: ReconciliationReport; timelines: Record<string, TimelineEntry[]> },
  format: ReportFormat,
  lang: Lang,
): Uint8Array {
  const { report, timelines } = produced;
  const text =
    format === 'json'
      ? JSON.stringify(report)
      : format === 'csv'
        ? reportCsv(report)
        : reportHtml(report, lang, timelines);
  // An exact-size buffer of its own: the page worker hands it over without a copy.
  return new TextEncoder().encode(text);
}
