import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import type { GatewayConfig } from '../contracts/generated/config/gateway.js';
import type { MappingConfig } from '../contracts/generated/config/mapping.js';
import type { SchemaProblem } from '../contracts/explain-errors.js';
import { validatorFor } from '../contracts/validate.js';
import { applyEnvOverrides, type AppliedOverride, type Env } from './env-overrides.js';
import { yamlLocator, type YamlLocator } from './yaml-locator.js';
import { yamlTypeTrap } from './yaml-traps.js';
import { errorMessage } from '../shared/error-message.js';

export interface Config {
  readonly dir: string;
  readonly gateway: GatewayConfig;
  readonly mapping: MappingConfig;
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

/** Loads gateway.yaml and mapping.yaml once, validated and frozen; throws ConfigError listing every problem. */
export function loadConfig({ dir, env, secrets: secretsNeeded = 'required' }: LoadConfigOptions): Config {
  const files = configFiles(dir);
  const gateway = readConfigFile<GatewayConfig>(files.gateway, 'gatewayConfig', env);
  const mapping = readConfigFile<MappingConfig>(files.mapping, 'mappingConfig', {});
  const secrets = gateway.value && secretsNeeded === 'required' ? readSecrets(gateway.value, env) : { values: {}, problems: [] };
  const problems = [...gateway.problems, ...mapping.problems, ...secrets.problems];
  if (problems.length || !gateway.value || !mapping.value) throw new ConfigError(problems);
  return deepFreeze({ dir, gateway: gateway.value, mapping: mapping.value, secrets: secrets.values });
}

/** The files a config directory is read from; problems and lint findings name them as `displayPath` shows them. */
export function configFiles(dir: string): { gateway: string; mapping: string } {
  return { gateway: join(dir, 'gateway.yaml'), mapping: join(dir, 'mapping.yaml') };
}

const webhookSecretPattern = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;

/** Resolves every secretEnv the config names; a missing or malformed secret is a config problem, its value never shown. */
function readSecrets(gateway: GatewayConfig, env: Env): { values: Record<string, string>; problems: ConfigProblem[] } {
  const values: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  gateway.partners.forEach((partner, p) => (partner.webhooks ?? []).forEach((webhook, w) => {
    const name = webhook.secretEnv;
    const value = env[name];
    const pointer = `/partners/${p}/webhooks/${w}/secretEnv`;
    if (value === undefined || value === '') problems.push({ source: `environment variable ${name}`, pointer, message: 'is not set', fix: `export ${name}=whsec_<base64 of 24 to 64 random bytes>, the secret shared with partner ${partner.id}` });
    else if (!webhookSecretPattern.test(value)) problems.push({ source: `environment variable ${name}`, pointer, message: 'is not a Standard Webhooks secret', fix: 'use whsec_ followed by the base64 of 24 to 64 random bytes' });
    else values[name] = value;
  }));
  return { values, problems };
}

function readConfigFile<T>(file: string, schema: 'gatewayConfig' | 'mappingConfig', env: Env): { value?: T; problems: ConfigProblem[] } {
  const source = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { problems: [{ source, pointer: '', message: missing ? 'file not found' : `cannot read: ${errorMessage(error)}`, fix: missing ? `create it; the defaults are in the repository's config/ folder` : 'check its permissions' }] };
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
    if (!problems.length) problems.push({ source, line: 1, pointer: '', message: 'the file is not a YAML mapping', fix: 'write key: value pairs at the top level, as in the default config/' });
    return { problems };
  }
  const overrides = schema === 'gatewayConfig' ? applyEnvOverrides(parsed as Record<string, unknown>, env) : [];
  const result = validatorFor<T>(schema, { maxProblems: Infinity })(parsed);
  if (!result.ok) {
    const locator = yamlLocator(document, lines);
    problems.push(...byPosition(result.problems.map((p) => locateProblem(p, source, locator, overrides))));
  }
  return problems.length ? { problems } : { value: result.ok ? result.value : undefined, problems };
}

/** A config file's path as problems show it: relative to the working directory when inside it, absolute otherwise. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function syntaxProblem(source: string, error: YAMLError): ConfigProblem {
  const [position] = error.linePos ?? [];
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return { source, line: position?.line, column: position?.col, pointer: '(syntax)', message: `YAML syntax: ${message}`, fix: syntaxFix[error.code] ?? 'check the indentation, colons and quotes on this line' };
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
export function locateProblem(problem: SchemaProblem, file: string, locator: YamlLocator, overrides: readonly AppliedOverride[] = []): ConfigProblem {
  const pointer = problem.pointer || '/';
  const override = overrides.find((o) => problem.pointer === o.pointer);
  if (override) {
    const inFile = locator.position(problem.pointer)?.exact;
    const fix = problem.expected ? `set ${override.name} to ${problem.fix.replace(/^write /, '').replace(/ here\b/, '')}` : `change ${override.name}: ${problem.fix}`;
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
