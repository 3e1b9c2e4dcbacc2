import { describeLedger, ledgerTarget, type TimelineEntry } from '../ledger/index.js';
import { configDirFrom, loadConfigOrReport } from './check-config.js';
import type { CliIo } from './io.js';
import { ledgerNotFoundExitCode, openExistingLedger } from './open-ledger.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';

export const timelineUsage = `Usage: orderbridge timeline ORDER_ID [--json] [--config DIR]
  Every message, acknowledgement, redelivery, status change, attention flag and webhook attempt of
  one order, oldest first, with trace ids; read from the ledger (read-only, also while it runs).
  Exit 0 with the timeline, 1 if the ledger has no such order, 2 on bad usage.
  --json         one JSON object instead of lines
  ${configOptionUsage}`;

/** `orderbridge timeline ORDER_ID`: exit 0 with the timeline, 1 if the ledger has no such order, 2 on bad usage. */
export async function timeline(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(
    {
      command: 'timeline',
      usage: timelineUsage,
      options: { config: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
    },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [orderId] = positionals;
  if (!orderId || positionals.length > 1) {
    io.err(
      `orderbridge timeline: give one ORDER_ID${positionals.length > 1 ? `, not ${positionals.length}` : ''} (orderbridge timeline --help shows the usage)`,
    );
    return 2;
  }
  const config = loadConfigOrReport(configDirFrom(values.config, io), io, { secrets: 'skip' });
  if (!config) return 2;
  const ledger = await openExistingLedger(config, io, 'read');
  if (!ledger) return ledgerNotFoundExitCode;
  try {
    const entries = await ledger.timeline(orderId);
    if (!entries.length) {
      io.err(
        `The ledger (${describeLedger(ledgerTarget(config.gateway.ledger))}) has nothing about order ${JSON.stringify(orderId)}: check the id, or that this is the gateway's ledger.`,
      );
      return 1;
    }
    if (values.json)
      io.out(
        JSON.stringify({ orderId, entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) }, null, 2),
      );
    else for (const line of formatTimeline(entries)) io.out(line);
    return 0;
  } finally {
    await ledger.close();
  }
}

/** One line per entry: time, what happened, on which channel and message, its state, details, trace id. */
export function formatTimeline(entries: TimelineEntry[]): string[] {
  return entries.map((e) => {
    const message = e.messageId ? ` ${e.channel} ${e.messageId}${e.state ? ` → ${e.state}` : ''}` : '';
    const detail = e.detail && Object.keys(e.detail).length ? ` ${JSON.stringify(e.detail)}` : '';
    return `${new Date(e.at).toISOString()}  ${e.kind}${message}${detail}${e.traceId ? `  trace ${e.traceId}` : ''}`;
  });
}
