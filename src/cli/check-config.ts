import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  byPosition,
  ConfigError,
  configFiles,
  displayPath,
  formatConfigProblem,
  loadConfig,
  yamlLocator,
  type Config,
  type ConfigProblem,
  type LoadConfigOptions,
} from '../config/index.js';
import { schemas } from '../contracts/schemas.js';
import { validatorForSchema } from '../contracts/validate.js';
import {
  checkDialect,
  dialectErrors,
  lintMapping,
  orderStatuses,
  type DialectFinding,
  type LintFinding,
} from '../mapping/index.js';
import { formatTable, type CliIo } from './io.js';
import { configOptionUsage, parseCommandLine } from '../shared/command-line.js';

export const exitCodes = { clean: 0, lintFindings: 1, invalid: 2 } as const;

export const checkConfigUsage = `Usage: orderbridge check-config [--config DIR]
  Validates gateway.yaml and its MES dialect (against the schemas the dialect names and the CRM's
  commands), shows the MES state → external status mapping and lints it. Each problem on one line
  as file:line:column. Exit 0 clean, 1 lint findings, 2 invalid.
  ${configOptionUsage}`;

/** `orderbridge check-config [--config DIR]`. */
export function checkConfigCommand(args: string[], io: CliIo): number {
  const parsed = parseCommandLine(
    { command: 'check-config', usage: checkConfigUsage, options: { config: { type: 'string' } } },
    args,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  return checkConfig(configDirFrom(parsed.values.config, io), io);
}

/** `orderbridge check-config`: validates gateway.yaml and the MES dialect, shows the MES → external mapping, lints it. */
export function checkConfig(configDir: string, io: CliIo): number {
  const config = loadConfigOrReport(configDir, io);
  if (!config) return exitCodes.invalid;
  const { dialect: dialectFile } = configFiles(config.dir, config.gateway);
  const checked = checkDialectOf(config);
  if (!dialectWorks(configDir, dialectFile, checked, io, lintMapping(config.dialect))) return exitCodes.invalid;
  io.out(
    `Configuration in ${configDir} is valid (gateway.yaml, ${displayPath(dialectFile)}; MES: ${config.dialect.mes.name}).`,
  );
  io.out('');
  printMappingTable(config, io);
  const findings = [...lintMapping(config.dialect), ...checked];
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
export function formatFindings(
  findings: readonly (Omit<LintFinding, 'code'> & { code: string; anchor?: 'value' | 'key' })[],
  dialectFile: string,
): string[] {
  const locator = yamlLocator(readFileSync(dialectFile, 'utf8'));
  const source = displayPath(dialectFile);
  const located = findings.map((f) => {
    const position = locator.position(f.path, f.anchor);
    return {
      source,
      line: position?.line,
      column: position?.column,
      pointer: f.path,
      message: f.message,
      fix: f.fix,
      code: f.code,
    };
  });
  return byPosition(located).map((f) => formatConfigProblem(f, f.code));
}

/** The dialect checked against the schemas it names and the CRM's commands (what check-config and serve check). */
export function checkDialectOf({
  dialect,
  dialectSchemas,
}: Pick<Config, 'dialect' | 'dialectSchemas'>): DialectFinding[] {
  const validate = validatorForSchema(dialectSchemas.command, { maxProblems: 20 });
  return checkDialect(dialect, {
    event: dialectSchemas.event,
    command: dialectSchemas.command,
    crm: {
      'order.create': schemas.crmOrderCreate,
      'order.cancel': schemas.crmOrderCancel,
      'order.update': schemas.crmOrderUpdate,
    },
    registry: Object.fromEntries(Object.values(schemas).map((schema) => [schema.$id, schema])),
    validateCommand: (message) => {
      const result = validate(message);
      return result.ok ? [] : result.problems;
    },
  });
}

/**
 * Prints the dialect's errors — with them no event can be read, or no command of a type can be
 * valid — as invalid configuration, and says whether there were none.
 */
function dialectWorks(
  configDir: string,
  dialectFile: string,
  checked: readonly DialectFinding[],
  io: CliIo,
  lint?: readonly LintFinding[],
): boolean {
  const errors = dialectErrors(checked);
  if (!errors.length) return true;
  io.err(
    `Invalid configuration in ${configDir}: the MES dialect does not fit the schemas it names: ${errors.length} problem(s)`,
  );
  for (const line of formatFindings(errors, dialectFile)) io.err(line);
  // check-config shows every finding at once, as a reader fixes them; serve only why it refuses.
  const others = lint && [...lint, ...checked.filter((f) => f.severity !== 'error')];
  if (others?.length) {
    io.err(`Lint: ${others.length} more finding(s) in ${displayPath(dialectFile)}`);
    for (const line of formatFindings(others, dialectFile)) io.err(line);
  }
  return false;
}

/** The config as serve needs it: valid, and a dialect that can read the MES's events and write its commands. */
export function loadWorkingConfigOrReport(configDir: string, io: CliIo): Config | undefined {
  const config = loadConfigOrReport(configDir, io);
  if (!config) return undefined;
  return dialectWorks(configDir, configFiles(config.dir, config.gateway).dialect, checkDialectOf(config), io)
    ? config
    : undefined;
}

/** The config directory: --config, else ORDERBRIDGE_CONFIG, else ./config. */
export function configDirFrom(given: string | undefined, io: CliIo): string {
  return given ?? io.env.ORDERBRIDGE_CONFIG ?? 'config';
}

/**
 * Loads the config; prints every problem and returns undefined when it is invalid. Commands that
 * never sign or send to partners pass `secrets: 'skip'`; check-config, serve and demo need them.
 */
export function loadConfigOrReport(
  configDir: string,
  io: CliIo,
  options: Pick<LoadConfigOptions, 'secrets'> = {},
): Config | undefined {
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
  for (const line of formatTable([['MES state', 'External status', 'Acknowledges', 'Description'], ...rows]))
    io.out(line);
  io.out('');
  io.out('External status reached by:');
  for (const status of orderStatuses) {
    const states = rows.filter((row) => row[1] === status).map((row) => row[0]);
    const owners = [...(dialect.crmOwned.includes(status) ? ['CRM'] : []), ...states];
    io.out(`  ${status.padEnd(14)} ${owners.length ? owners.join(', ') : '(nothing)'}`);
  }
}
