import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { byPosition, ConfigError, configFiles, displayPath, formatConfigProblem, loadConfig, yamlLocator, type Config, type ConfigProblem, type LoadConfigOptions } from '../config/index.js';
import { lintMapping, orderStatuses, type LintFinding } from '../mapping/index.js';
import { formatTable, type CliIo } from './io.js';

export const exitCodes = { clean: 0, lintFindings: 1, invalid: 2 } as const;

/** `orderbridge check-config`: validates gateway.yaml and the MES dialect, shows the MES → external mapping, lints it. */
export function checkConfig(configDir: string, io: CliIo): number {
  const config = loadConfigOrReport(configDir, io);
  if (!config) return exitCodes.invalid;
  const { dialect: dialectFile } = configFiles(config.dir, config.gateway);
  io.out(`Configuration in ${configDir} is valid (gateway.yaml, ${displayPath(dialectFile)}; MES: ${config.dialect.mes.name}).`);
  io.out('');
  printMappingTable(config, io);
  const findings = lintMapping(config.dialect);
  io.out('');
  if (!findings.length) {
    io.out('Lint: no findings.');
    return exitCodes.clean;
  }
  io.out(`Lint: ${findings.length} finding(s) in ${displayPath(dialectFile)}`);
  for (const line of formatFindings(findings, dialectFile)) io.out(line);
  return exitCodes.lintFindings;
}

/** Each finding on one line at the place in the dialect file its pointer names, as compilers write them. */
export function formatFindings(findings: readonly LintFinding[], dialectFile: string): string[] {
  const locator = yamlLocator(readFileSync(dialectFile, 'utf8'));
  const source = displayPath(dialectFile);
  const located = findings.map((f) => {
    const position = locator.position(f.path);
    return { source, line: position?.line, column: position?.column, pointer: f.path, message: f.message, fix: f.fix, code: f.code };
  });
  return byPosition(located).map((f) => formatConfigProblem(f, f.code));
}

/** The config directory: --config, else ORDERBRIDGE_CONFIG, else ./config. */
export function configDirFrom(given: string | undefined, io: CliIo): string {
  return given ?? io.env.ORDERBRIDGE_CONFIG ?? 'config';
}

/**
 * Loads the config; prints every problem and returns undefined when it is invalid. Commands that
 * never sign or send to partners pass `secrets: 'skip'`; check-config, serve and demo need them.
 */
export function loadConfigOrReport(configDir: string, io: CliIo, options: Pick<LoadConfigOptions, 'secrets'> = {}): Config | undefined {
  try {
    return loadConfig({ dir: resolve(io.cwd, configDir), env: io.env, ...options });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`Invalid configuration in ${configDir}: ${error.problems.length} problem(s)`);
    for (const problem of error.problems) io.err(formatProblem(problem));
    return undefined;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  return formatConfigProblem(problem);
}

function printMappingTable({ dialect }: Config, io: CliIo): void {
  const rows = Object.entries(dialect.states).map(([state, m]) => [state, m.status ?? '—', m.ack ?? '', m.description]);
  for (const line of formatTable([['MES state', 'External status', 'Acknowledges', 'Description'], ...rows])) io.out(line);
  io.out('');
  io.out('External status reached by:');
  for (const status of orderStatuses) {
    const states = rows.filter((row) => row[1] === status).map((row) => row[0]);
    const owners = [...(dialect.crmOwned.includes(status) ? ['CRM'] : []), ...states];
    io.out(`  ${status.padEnd(14)} ${owners.length ? owners.join(', ') : '(nothing)'}`);
  }
}
