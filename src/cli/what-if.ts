import { durationMs } from '../config/index.js';
import type { Config } from '../config/index.js';
import { whatIf, type OrderOutcome } from '../app/what-if.js';
import { loadConfigOrReport } from './check-config.js';
import type { CliIo } from './io.js';
import { ledgerNotFoundExitCode, openExistingLedger } from './open-ledger.js';

/** Messages read at most in one run (the ledger keeps them for the retention). */
const maxMessages = 500_000;

export interface WhatIfArgs {
  configDir: string;
  /** The changed dialect (the configured one unless named). */
  candidate: Config;
  baseline: string | undefined;
  since: string;
}

/**
 * `test-mapping --against-ledger --baseline mes/DEPLOYED [--since 7d]`: runs the candidate dialect
 * and the deployed one over the MES messages the ledger kept and lists the orders whose final
 * status, first acknowledgement or quarantined states would differ. Exit 0 none differ, 1 some do,
 * 2 invalid arguments or config.
 */
export async function testMappingAgainstLedger(
  { configDir, candidate, baseline: baselineDialect, since }: WhatIfArgs,
  io: CliIo,
): Promise<number> {
  if (baselineDialect === undefined) {
    io.err(
      'Name the dialect deployed now with --baseline mes/NAME (a copy of its folder, e.g. from git), to compare the changed one against.',
    );
    return 2;
  }
  let sinceMs: number;
  try {
    sinceMs = durationMs(since);
  } catch {
    io.err(`--since ${JSON.stringify(since)} is not a duration (fix: e.g. 24h, 7d, 30d)`);
    return 2;
  }
  const baseline = loadConfigOrReport(
    configDir,
    { ...io, env: { ...io.env, ORDERBRIDGE_DIALECT: baselineDialect } },
    { secrets: 'skip' },
  );
  if (!baseline) return 2;
  const ledger = await openExistingLedger(candidate, io, 'read');
  if (!ledger) return ledgerNotFoundExitCode;
  try {
    const to = Date.now();
    const result = await whatIf(ledger, baseline, candidate, { from: to - sinceMs, to, limit: maxMessages });
    io.out(
      `${result.messages} MES message(s) of the last ${since} kept in the ledger, ${result.orders} order(s): ${baseline.dialect.mes.name} (${baselineDialect}) → ${candidate.dialect.mes.name}.`,
    );
    if (result.messages === maxMessages) io.out(`(only the first ${maxMessages}: use a shorter --since for the rest)`);
    if (result.unattributed) io.out(`${result.unattributed} message(s) neither dialect could read.`);
    if (!result.differences.length) {
      io.out('No order would end differently.');
      return 0;
    }
    io.out(`${result.differences.length} order(s) would end differently:`);
    for (const { orderId, current, candidate: changed } of result.differences)
      io.out(`  ${orderId}  ${describeChange(current, changed)}`);
    return 1;
  } finally {
    await ledger.close();
  }
}

function describeChange(before: OrderOutcome, after: OrderOutcome): string {
  const parts: string[] = [];
  const show = (value: unknown) =>
    value === undefined ? '—' : Array.isArray(value) ? (value.length ? value.join(',') : 'none') : String(value);
  for (const field of ['status', 'ack', 'quarantined', 'unreadable'] as const) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field]))
      parts.push(`${field} ${show(before[field])} → ${show(after[field])}`);
  }
  return parts.join('; ');
}
