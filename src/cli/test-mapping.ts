import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { diffLines } from 'diff';
import {
  byPosition,
  configFiles,
  displayPath,
  formatConfigProblem,
  formatLocation,
  readConfigFile,
  yamlLocator,
} from '../config/index.js';
import type { DialectTests } from '../contracts/generated/config/dialect-tests.js';
import { dialectRunner } from '../app/dialect-outcome.js';
import { runMappingCases, type CaseResult } from '../app/test-mapping.js';
import { configDirFrom, loadConfigOrReport } from './check-config.js';
import type { CliIo } from './io.js';
import { testMappingAgainstLedger } from './what-if.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';

export const testMappingExitCodes = { passed: 0, failed: 1, invalid: 2 } as const;

/** The test cases of a dialect, beside its dialect.yaml. */
export const testsFileName = 'tests.yaml';

export const testMappingUsage = `Usage: orderbridge test-mapping [--dialect mes/NAME] [--cases FILE] [--config DIR]
       orderbridge test-mapping --against-ledger --baseline mes/DEPLOYED [--since 7d] [--dialect mes/NAME] [--config DIR]
  Runs the dialect's test cases (${testsFileName} beside its dialect.yaml) through it as the gateway
  would: MES events in, statuses, acknowledgements and quarantine out; CRM commands in, MES commands
  out. One line per case and a diff for each failing one. Exit 0 all pass, 1 a case fails, 2 invalid.
  With --against-ledger: runs the changed dialect and the deployed one over the MES messages the
  ledger kept and lists the orders that would end differently (exit 0 none, 1 some, 2 invalid).
  --dialect mes/NAME   the dialect to test (default: the configured one, ORDERBRIDGE_DIALECT)
  --cases FILE         the test cases (default: ${testsFileName} beside the dialect's dialect.yaml)
  --against-ledger     compare with --baseline over the ledger's MES messages instead
  --baseline mes/NAME  the dialect deployed now (a copy of its folder, e.g. from git)
  --since DURATION     how far back the ledger is read (default 7d; e.g. 24h, 30d)
  ${configOptionUsage}`;

/**
 * `orderbridge test-mapping [--config DIR] [--dialect mes/NAME] [--cases FILE]`: runs the test
 * cases of the configured dialect (or the one named) through it, as the gateway would, and prints
 * one line per case and a diff for each failing one. Exit 0 all pass, 1 a case fails, 2 the config
 * or the cases file is invalid.
 */
export function testMapping(args: string[], io: CliIo): number | Promise<number> {
  const parsed = parseCommandLine(
    {
      command: 'test-mapping',
      usage: testMappingUsage,
      options: {
        config: { type: 'string' },
        dialect: { type: 'string' },
        cases: { type: 'string' },
        'against-ledger': { type: 'boolean', default: false },
        baseline: { type: 'string' },
        since: { type: 'string', default: '7d' },
      },
    },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const configDir = configDirFrom(values.config, io);
  const env = values.dialect === undefined ? io.env : { ...io.env, ORDERBRIDGE_DIALECT: values.dialect };
  const config = loadConfigOrReport(configDir, { ...io, env }, { secrets: 'skip' });
  if (!config) return testMappingExitCodes.invalid;
  if (values['against-ledger'])
    return testMappingAgainstLedger(
      { configDir, candidate: config, baseline: values.baseline, since: values.since },
      io,
    );
  const dialectFile = configFiles(config.dir, config.gateway).dialect;
  const casesFile =
    values.cases === undefined ? join(dirname(dialectFile), testsFileName) : resolve(io.cwd, values.cases);
  const tests = readConfigFile<DialectTests>(casesFile, 'dialectTests', {});
  if (!tests.value) {
    io.err(`Invalid test cases in ${displayPath(casesFile)}: ${tests.problems.length} problem(s)`);
    for (const problem of byPosition(tests.problems)) io.err(formatConfigProblem(problem));
    return testMappingExitCodes.invalid;
  }
  const results = runMappingCases(dialectRunner(config), tests.value);
  io.out(`Test cases of ${config.dialect.mes.name} (${displayPath(dialectFile)}) in ${displayPath(casesFile)}:`);
  const locator = yamlLocator(readFileSync(casesFile, 'utf8'));
  for (const result of results) {
    io.out(`${result.passed ? 'ok    ' : 'FAILED'}  ${result.kind}: ${result.name}`);
    if (result.passed) continue;
    io.out(
      `        at ${formatLocation(displayPath(casesFile), locator.position(result.pointer))} (${result.pointer})`,
    );
    for (const line of explainFailure(result)) io.out(`        ${line}`);
  }
  const failed = results.filter((r) => !r.passed).length;
  io.out('');
  io.out(`${results.length} case(s): ${results.length - failed} passed, ${failed} failed`);
  return failed ? testMappingExitCodes.failed : testMappingExitCodes.passed;
}

/** Why a case failed: a note when there is one, then a line diff of expected (-) and actual (+) as JSON. */
export function explainFailure(result: CaseResult): string[] {
  return [
    ...(result.note ? [`${result.note}:`] : []),
    '- expected',
    '+ actual',
    ...jsonDiff(result.expected, result.actual),
  ];
}

/** Lines kept around a change; longer unchanged runs are cut to `…`. */
const context = 3;

/** A line diff of two values as pretty-printed JSON: `-` expected only, `+` actual only, `  ` both. */
export function jsonDiff(expected: unknown, actual: unknown): string[] {
  const lines = diffLines(pretty(expected), pretty(actual)).flatMap((part) => {
    const mark = part.added ? '+ ' : part.removed ? '- ' : '  ';
    return part.value
      .replace(/\n$/, '')
      .split('\n')
      .map((text) => ({ changed: part.added || part.removed, text: mark + text }));
  });
  const near = (i: number) => lines.slice(Math.max(0, i - context), i + context + 1).some((l) => l.changed);
  const shown: string[] = [];
  lines.forEach((line, i) => {
    if (near(i)) shown.push(line.text);
    else if (shown.at(-1) !== '  …') shown.push('  …');
  });
  return shown;
}

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2) ?? 'undefined'}\n`;
