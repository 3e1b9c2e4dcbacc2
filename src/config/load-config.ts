import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { GatewayConfig } from '../contracts/generated/config/gateway.js';
import type { DialectConfig } from '../contracts/generated/config/dialect.js';
import type { SchemaProblem } from '../contracts/explain-errors.js';
import { schemaCompileError, validatorFor } from '../contracts/validate.js';
import { applyEnvOverrides, type AppliedOverride, type Env } from './env-overrides.js';
import { yamlLocator, type YamlLocator } from './yaml-locator.js';
import { yamlTypeTrap } from './yaml-traps.js';
import { errorMessage } from '../shared/error-message.js';

export interface Config {
  readonly dir: string;
  readonly gateway: GatewayConfig;
  /** The MES dialect: how its events are read, what its states mean, how its commands are written. */
  readonly dialect: DialectConfig;
  /** The JSON Schemas the dialect names, read from their files. */
  readonly dialectSchemas: { readonly event: object; readonly command: object };
  /**
   * Secrets named by the config (e.g. webhooks' secretEnv), read from the environment at load; empty
   * when loaded with `secrets: 'skip'`. Never printed.
   */
  readonly secrets: Readonly<Record<string, string>>;
}

/** One problem in a config file, with everything needed to find and fix it. */
export interface ConfigProblem {
  /** The file (relative to the working directory) or the environment variable that holds the bad value. */
  source: string;
  /** 1-based line and column of the bad value in `source` (of the object that lacks it, for a missing field). */
  line?: number;
  column?: number;
  /** JSON Pointer of the bad value in the file's document; '(syntax)' for a YAML syntax error. */
  pointer: string;
  message: string;
  fix: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  dir: string;
  env: Env;
  /**
   * `required` (the default): every secret the config names must be set, as the gateway signs with
   * them. `skip`: not read at all, for the commands that only read the ledger or the broker (report,
   * timeline, dead-letters), so an operator's shell needs no partner's secret.
   */
  secrets?: 'required' | 'skip';
}

/** The dialect a gateway.yaml without `dialect` speaks. */
export const defaultDialect = 'mes/reference';

/** Loads gateway.yaml and its dialect once, validated and frozen; throws ConfigError listing every problem. */
export function loadConfig({ dir, env, secrets: secretsNeeded = 'required' }: LoadConfigOptions): Config {
  const gatewayFile = join(dir, 'gateway.yaml');
  const gateway = readConfigFile<GatewayConfig>(gatewayFile, 'gatewayConfig', env);
  // A gateway.yaml with problems still names its dialect, whose problems are reported with them.
  const dialectFile = configFiles(dir, {
    dialect: typeof gateway.parsed?.dialect === 'string' ? gateway.parsed.dialect : undefined,
  }).dialect;
  const dialect = readConfigFile<DialectConfig>(dialectFile, 'dialectConfig', {});
  const schemas = dialect.value ? readDialectSchemas(dialectFile, dialect.value) : { problems: [] };
  const secrets =
    gateway.value && secretsNeeded === 'required' ? readSecrets(gateway.value, env) : { values: {}, problems: [] };
  const problems = [...gateway.problems, ...dialect.problems, ...schemas.problems, ...secrets.problems];
  if (problems.length || !gateway.value || !dialect.value || !schemas.value) throw new ConfigError(problems);
  return deepFreeze({
    dir,
    gateway: gateway.value,
    dialect: dialect.value,
    dialectSchemas: schemas.value,
    secrets: secrets.values,
  });
}

/** The files a config is read from; problems and lint findings name them as `displayPath` shows them. */
export function configFiles(
  dir: string,
  gateway?: { dialect?: string | undefined },
): { gateway: string; dialect: string } {
  return {
    gateway: join(dir, 'gateway.yaml'),
    dialect: join(resolve(dir, gateway?.dialect ?? defaultDialect), 'dialect.yaml'),
  };
}

/** The event and command schemas a dialect names (relative to its file), each a JSON Schema Ajv compiles. */
function readDialectSchemas(
  dialectFile: string,
  dialect: DialectConfig,
): { value?: Config['dialectSchemas']; problems: ConfigProblem[] } {
  const source = displayPath(dialectFile);
  const locator = yamlLocator(readFileSync(dialectFile, 'utf8'));
  const problems: ConfigProblem[] = [];
  const read = (pointer: string, name: string): object | undefined => {
    const file = resolve(dirname(dialectFile), name);
    const at = { source, ...locator.position(pointer), pointer };
    let schema: unknown;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      problems.push({
        ...at,
        message: missing
          ? `${displayPath(file)} not found`
          : `${displayPath(file)} is not JSON: ${errorMessage(error)}`,
        fix: missing ? 'name the schema file relative to the dialect file' : 'fix the schema file',
      });
      return undefined;
    }
    const invalid = schemaCompileError(schema);
    if (invalid)
      problems.push({
        ...at,
        message: `${displayPath(file)} is not a usable JSON Schema: ${invalid}`,
        fix: 'fix the schema (draft 2020-12)',
      });
    return invalid ? undefined : (schema as object);
  };
  const event = read('/events/schema', dialect.events.schema);
  const command = read('/commands/schema', dialect.commands.schema);
  return event && command ? { value: { event, command }, problems } : { problems };
}

const webhookSecretPattern = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;

/** Resolves every secretEnv the config names; a missing or malformed secret is a config problem, its value never shown. */
function readSecrets(gateway: GatewayConfig, env: Env): { values: Record<string, string>; problems: ConfigProblem[] } {
  const values: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const [p, partner] of gateway.partners.entries())
    for (const [w, webhook] of (partner.webhooks ?? []).entries()) {
      const name = webhook.secretEnv;
      const value = env[name];
      const pointer = `/partners/${p}/webhooks/${w}/secretEnv`;
      if (value === undefined || value === '')
        problems.push({
          source: `environment variable ${name}`,
          pointer,
          message: 'is not set',
          fix: `export ${name}=whsec_<base64 of 24 to 64 random bytes>, the secret shared with partner ${partner.id}`,
        });
      else if (!webhookSecretPattern.test(value))
        problems.push({
          source: `environment variable ${name}`,
          pointer,
          message: 'is not a Standard Webhooks secret',
          fix: 'use whsec_ followed by the base64 of 24 to 64 random bytes',
        });
      else values[name] = value;
    }
  return { values, problems };
}

/**
 * Reads one YAML config file and validates it against its schema: every problem (YAML syntax, schema)
 * at its file:line:column, with a fix. `value` only when there is none.
 */
export function readConfigFile<T>(
  file: string,
  schema: 'gatewayConfig' | 'dialectConfig' | 'dialectTests',
  env: Env,
): { value?: T; parsed?: Record<string, unknown>; problems: ConfigProblem[] } {
  const source = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      problems: [
        {
          source,
          pointer: '',
          message: missing ? 'file not found' : `cannot read: ${errorMessage(error)}`,
          fix: missing ? `create it; the defaults are in the repository's config/ folder` : 'check its permissions',
        },
      ],
    };
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const problems = document.errors.map((e) => syntaxProblem(source, e));
  let parsed: unknown;
  try {
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch {
    return { problems };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    if (!problems.length)
      problems.push({
        source,
        line: 1,
        pointer: '',
        message: 'the file is not a YAML mapping',
        fix: 'write key: value pairs at the top level, as in the default config/',
      });
    return { problems };
  }
  const overrides = schema === 'gatewayConfig' ? applyEnvOverrides(parsed as Record<string, unknown>, env) : [];
  const result = validatorFor<T>(schema, { maxProblems: Infinity })(parsed);
  if (!result.ok) {
    const locator = yamlLocator(document, lines);
    problems.push(...byPosition(result.problems.map((p) => locateProblem(p, source, locator, overrides))));
  }
  const fields = parsed as Record<string, unknown>;
  return problems.length
    ? { parsed: fields, problems }
    : { value: result.ok ? result.value : undefined, parsed: fields, problems };
}

/** A config file's path as problems show it: relative to the working directory when inside it, absolute otherwise. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function syntaxProblem(source: string, error: YAMLError): ConfigProblem {
  const [position] = error.linePos ?? [];
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return {
    source,
    line: position?.line,
    column: position?.col,
    pointer: '(syntax)',
    message: `YAML syntax: ${message}`,
    fix: syntaxFix[error.code] ?? 'check the indentation, colons and quotes on this line',
  };
}

const syntaxFix: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: 'indent this line like its siblings (spaces, not tabs)',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  DUPLICATE_KEY: 'remove or rename one of the two keys',
  MISSING_CHAR: 'close the bracket or quote opened before',
  BLOCK_AS_IMPLICIT_KEY: 'put a colon and a space after the key',
  MULTILINE_IMPLICIT_KEY: 'put a colon and a space after the key, or quote the value',
  UNEXPECTED_TOKEN: 'check the indentation and the colon on this line',
};

/**
 * A schema problem at its place in the file, its fix said for YAML: a value YAML typed by itself
 * (unquoted 10 where a string is wanted) is to be quoted. A value that an environment variable set
 * has no place in the file: the problem names the variable instead.
 */
export function locateProblem(
  problem: SchemaProblem,
  file: string,
  locator: YamlLocator,
  overrides: readonly AppliedOverride[] = [],
): ConfigProblem {
  const pointer = problem.pointer || '/';
  const override = overrides.find((o) => problem.pointer === o.pointer || problem.pointer.startsWith(`${o.pointer}/`));
  if (override) {
    const inFile = locator.position(problem.pointer)?.exact;
    const fix = problem.expected
      ? `set ${override.name} to ${problem.fix.replace(/^write /, '').replace(/ here\b/, '')}`
      : `change ${override.name}: ${problem.fix}`;
    return {
      source: `environment variable ${override.name}`,
      pointer,
      message: `${problem.message} (the value comes from the environment, not from ${file})`,
      fix: inFile ? `${fix}; or unset it to use the value in ${file}` : fix,
    };
  }
  const position = locator.position(problem.pointer, problem.anchor);
  const scalar = problem.expected && problem.anchor === 'value' ? locator.scalar(problem.pointer) : undefined;
  const trap = scalar && yamlTypeTrap(problem.expected!, scalar);
  return {
    source: file,
    line: position?.line,
    column: position?.column,
    pointer,
    message: trap ? `${problem.message} (${trap.because})` : problem.message,
    fix: trap ? trap.fix : problem.fix,
  };
}

/** Top to bottom, as a reader fixes them; problems with no line (set by the environment) last. Stable. */
export function byPosition<T extends Pick<ConfigProblem, 'line' | 'column'>>(problems: T[]): T[] {
  const line = (p: T) => p.line ?? Number.MAX_SAFE_INTEGER;
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => line(a.p) - line(b.p) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
