import { SingleBar } from 'cli-progress';
import { writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { resolve } from 'node:path';
import { createMesReadProxy } from '../adapters/mes/index.js';
import { createOpsServices } from '../app/ops-services.js';
import { reportNiceness } from '../app/report/produce-report.js';
import { needsActionText, reportCsv, reportText } from '../app/report/report-formats.js';
import { reportHtml } from '../app/report/report-html.js';
import type { ReconciliationReport } from '../app/report/report.js';
import { langs, pickLang, texts, type Lang } from '../app/report/texts.js';
import { windowOf } from '../app/report/window.js';
import { configDirFrom, loadConfigOrReport } from './check-config.js';
import type { CliIo } from './io.js';
import { ledgerNotFoundExitCode, openExistingLedger } from './open-ledger.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';

export const reportUsage = `Usage: orderbridge report [--since 24h | --from T --to T] [--format text|html|json|csv] [--out FILE]
                         [--lang en|ru] [--no-reconcile] [--max-lookups N] [--details] [--needs-action]
                         [--config DIR]
  The ledger reconciliation report for a window (default: the last 24 h). First the orders that need
  a person, each once, the most urgent first (the MES does not know the order, lost, stuck by age,
  then a quarantined MES event, a dead letter, a rejection or failure the CRM has not answered),
  with what the MES says and one suggested action; their count is the report's headline. Then counts of commands and
  events, orders by status, stuck orders, acknowledgement latency, and every discrepancy with a
  suggested action, the most urgent first; the informational ones (duplicates, acknowledgements
  overtaken by a later MES state: nothing to do) are counted by kind. Lost and flagged orders are
  checked against the MES API (through the circuit breaker, at most 20 look-ups a second, at most
  --max-lookups N, default 200; --no-reconcile skips it) and the answers noted in the ledger.
  --format  text (default on a terminal), html (one self-contained page), json (contracts/ops/report.schema.json), csv
  --out     write to FILE instead of stdout (the format follows a .html/.json/.csv name unless given)
  --details text and csv: each informational discrepancy too, not only their counts (json has them
            in informational.items, the html page in a collapsed section)
  --needs-action  only the list of orders that need a person (text, json or csv); exit 1 when it
            is not empty, so a cron job or a CI smoke can use it
  T is an ISO 8601 time, e.g. 2026-11-25T00:00:00Z; --since takes 30m, 24h, 7d.
  ${configOptionUsage}
  Exit 0 with the report (with --needs-action: 0 when no order needs a person, 1 when some do), 2 on
  bad usage, an invalid config or no ledger at the configured path.`;

type Format = 'text' | 'html' | 'json' | 'csv';

const formats: readonly Format[] = ['text', 'html', 'json', 'csv'];

/**
 * `orderbridge report`: exit 0 with the report (with --needs-action 1 when an order needs a person),
 * 2 on bad usage, an invalid config or no ledger at the configured path.
 */
export async function report(args: string[], io: CliIo, isTerminal = process.stderr.isTTY === true): Promise<number> {
  const parsed = parseCommandLine(
    {
      command: 'report',
      usage: reportUsage,
      options: {
        since: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        lang: { type: 'string' },
        'no-reconcile': { type: 'boolean', default: false },
        'max-lookups': { type: 'string' },
        details: { type: 'boolean', default: false },
        'needs-action': { type: 'boolean', default: false },
        config: { type: 'string' },
      },
    },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const window = windowOf(values, Date.now());
  if ('error' in window) {
    io.err(`${window.error}\n\n${reportUsage}`);
    return 2;
  }
  const format = (values.format ?? formatOfFile(values.out) ?? 'text') as Format;
  if (!formats.includes(format)) {
    io.err(`--format must be one of ${formats.join(', ')}, not ${JSON.stringify(values.format)}`);
    return 2;
  }
  const needsActionOnly = values['needs-action'];
  if (needsActionOnly && format === 'html') {
    io.err('--needs-action prints text, json or csv; the html page shows the list first anyway');
    return 2;
  }
  if (values.lang !== undefined && !(langs as readonly string[]).includes(values.lang)) {
    io.err(`--lang must be one of ${langs.join(', ')}, not ${JSON.stringify(values.lang)}`);
    return 2;
  }
  const maxLookups = values['max-lookups'] === undefined ? 200 : Number(values['max-lookups']);
  if (!Number.isInteger(maxLookups) || maxLookups < 0) {
    io.err(`--max-lookups must be a whole number >= 0, not ${JSON.stringify(values['max-lookups'])}`);
    return 2;
  }
  const lang = pickLang(values.lang);
  // A report is background work next to a running gateway: give way to it for the CPU.
  try {
    setPriority(process.pid, Math.max(getPriority(process.pid), reportNiceness));
  } catch {
    // Not allowed here (some containers): run at the normal priority.
  }
  const config = loadConfigOrReport(configDirFrom(values.config, io), io, { secrets: 'skip' });
  if (!config) return 2;

  // Written to only to note the MES's answers in the orders' timelines; never created here.
  const ledger = await openExistingLedger(config, io, 'write');
  if (!ledger) return ledgerNotFoundExitCode;
  const progress = progressReporter(io, lang, isTerminal);
  // The MES is asked through the same read proxy as the gateway's partners: breaker, budget, cache.
  const mes = values['no-reconcile']
    ? undefined
    : createMesReadProxy({ mesApi: config.gateway.mesApi, orderLookup: config.dialect.api?.orderLookup });
  try {
    const ops = createOpsServices({ config, ledger, ...(mes ? { mes } : {}) });
    const { report: result, timelines } = await ops.report(window, lang, { maxLookups, onProgress: progress.update });
    progress.stop();
    const details = { details: values.details };
    const output =
      needsActionOnly && format !== 'html'
        ? needsActionOutput(result, format, lang)
        : format === 'json'
          ? `${JSON.stringify(result, null, 2)}\n`
          : format === 'csv'
            ? reportCsv(result, details)
            : format === 'html'
              ? reportHtml(result, lang, timelines)
              : `${reportText(result, lang, details).join('\n')}\n`;
    if (values.out) {
      writeFileSync(resolve(io.cwd, values.out), output);
      io.err(
        `report written to ${values.out} (${result.needsAction.total} orders need a person; ${result.discrepancies.length} discrepancies needing action, ${result.informational.total} informational)`,
      );
    } else io.out(output.replace(/\n$/, ''));
    return needsActionOnly && result.needsAction.total > 0 ? 1 : 0;
  } finally {
    progress.stop();
    mes?.close();
    await ledger.close();
  }
}

/** Only the action list, in the chosen format. */
function needsActionOutput(result: ReconciliationReport, format: Exclude<Format, 'html'>, lang: Lang): string {
  if (format === 'json') return `${JSON.stringify(result.needsAction, null, 2)}\n`;
  if (format === 'csv') return reportCsv(result, { needsActionOnly: true });
  return `${needsActionText(result, lang).join('\n')}\n`;
}

function formatOfFile(out: string | undefined): Format | undefined {
  const extension = out?.match(/\.(html|json|csv)$/i)?.[1]?.toLowerCase();
  return extension as Format | undefined;
}

/** A progress bar on a terminal; plain lines (every 10%) otherwise, e.g. in CI logs. */
function progressReporter(io: CliIo, lang: 'en' | 'ru', isTerminal: boolean) {
  let bar: SingleBar | undefined;
  let lastDecile = -1;
  return {
    update: (done: number, total: number) => {
      if (isTerminal) {
        bar ??= new SingleBar({
          format: `${texts[lang].progress('{value}', '{total}')} [{bar}] {percentage}%`,
          stream: process.stderr,
          hideCursor: true,
        });
        if (done === 1) bar.start(total, 0);
        bar.update(done);
        return;
      }
      const decile = Math.floor((done / total) * 10);
      if (decile !== lastDecile || done === total) {
        lastDecile = decile;
        io.err(texts[lang].progress(String(done), String(total)));
      }
    },
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}
