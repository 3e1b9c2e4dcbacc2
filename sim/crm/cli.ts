import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliIo } from '../../src/shared/cli-io.js';
import { crmUsage, parseCrmArgs } from './options.js';
import { progressLine, type CrmReport } from './report.js';
import { startCrmSimulator } from './simulator.js';
import { errorMessage } from '../../src/shared/error-message.js';

export interface CrmCliHooks {
  stopRequested: Promise<unknown>;
  /** Progress every second on a terminal, every five seconds into a log. */
  isTTY: boolean;
}

const listedAtMost = 10;

/** `sim crm`: sends the orders, follows them to their final answer, prints and writes the report. */
export async function runCrmCli(args: string[], io: CliIo, hooks: CrmCliHooks): Promise<number> {
  const settings = parseCrmArgs(args, io.env);
  if (settings === 'help') {
    io.out(crmUsage);
    return 0;
  }
  const sim = await startCrmSimulator({ ...settings, log: io.err });
  const progress = setInterval(() => io.out(progressLine(sim.stats(), settings.orders)), hooks.isTTY ? 1000 : 5000);
  let report: CrmReport;
  try {
    report = await Promise.race([sim.done, hooks.stopRequested.then(() => sim.stop())]);
  } finally {
    clearInterval(progress);
  }
  for (const line of finalSummary(report, settings.orders)) io.out(line);
  if (settings.reportFile) {
    const file = resolve(io.cwd, settings.reportFile);
    try {
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    } catch (error) {
      io.err(`could not write the report to ${file}: ${errorMessage(error)}`);
      return 1;
    }
    io.out(`report written to ${file}`);
  }
  return 0;
}

function finalSummary(report: CrmReport, total: number): string[] {
  const ending = {
    settled: 'every order has a final answer',
    published: 'everything published (--no-settle)',
    timeout: `timed out with ${report.unanswered.length} order(s) unanswered`,
    stopped: 'stopped',
  }[report.finishedBy ?? 'stopped'];
  const lines = [
    `CRM run ${report.runId}: ${ending}`,
    progressLine(report, total),
    `duplicate events heard: ${report.duplicateEventsHeard}, invalid events: ${report.invalidEventsHeard}`,
  ];
  for (const [label, ids] of [
    ['lost', report.lost],
    ['stuck', report.stuck],
    ['unanswered', report.unanswered],
  ] as const) {
    if (ids.length)
      lines.push(
        `${label}: ${ids.slice(0, listedAtMost).join(', ')}${ids.length > listedAtMost ? ` and ${ids.length - listedAtMost} more` : ''}`,
      );
  }
  return lines;
}
