import type { MesQueryParam, MesReadRoute } from '../../contracts/generated/config/gateway.js';
import { durationMs } from '../../config/index.js';
import type { FieldProblem } from '../http/problems.js';

export interface ReadRoute {
  name: string;
  path: string;
  ttlMs: number;
  staleWhileRevalidateMs: number;
  /**
   * The query to send to the MES, in one canonical form (the configured order, defaults filled in,
   * integers normalised), so that equal requests share one cache entry; or every bad parameter.
   */
  canonicalQuery(query: URLSearchParams): { ok: true; query: string } | { ok: false; errors: FieldProblem[] };
}

/** The configured MES read routes by name; throws on a name used twice (the schema cannot say so). */
export function compileReadRoutes(
  routes: readonly MesReadRoute[],
  defaultStaleWhileRevalidateMs: number,
): Map<string, ReadRoute> {
  const compiled = new Map<string, ReadRoute>();
  for (const route of routes) {
    if (compiled.has(route.name))
      throw new Error(`mesApi.routes: the name ${route.name} is used twice; give each route its own name`);
    compiled.set(route.name, {
      name: route.name,
      path: route.path,
      ttlMs: durationMs(route.ttl),
      staleWhileRevalidateMs: route.staleWhileRevalidate
        ? durationMs(route.staleWhileRevalidate)
        : defaultStaleWhileRevalidateMs,
      canonicalQuery: queryCanonicaliser(route.query),
    });
  }
  return compiled;
}

function queryCanonicaliser(params: readonly MesQueryParam[]): ReadRoute['canonicalQuery'] {
  const checks = params.map((param) => ({ param, check: valueCheck(param) }));
  const accepted = params.map((p) => p.name).join(', ') || 'none';
  return (query) => {
    const errors: FieldProblem[] = [];
    for (const name of new Set(query.keys())) {
      if (!params.some((p) => p.name === name))
        errors.push({
          pointer: pointerOf(name),
          message: 'not a parameter of this route',
          fix: `use only: ${accepted}`,
        });
      else if (query.getAll(name).length > 1)
        errors.push({ pointer: pointerOf(name), message: 'given more than once', fix: 'give it once' });
    }
    const canonical = new URLSearchParams();
    for (const { param, check } of checks) {
      const raw = query.get(param.name) ?? undefined;
      if (raw === undefined) {
        if (param.default !== undefined) canonical.set(param.name, String(param.default));
        continue;
      }
      const result = check(raw);
      if (result.ok) canonical.set(param.name, result.value);
      else if (!errors.some((e) => e.pointer === pointerOf(param.name)))
        errors.push({ pointer: pointerOf(param.name), message: result.detail, fix: result.fix });
    }
    return errors.length ? { ok: false, errors } : { ok: true, query: canonical.toString() };
  };
}

type Check = (raw: string) => { ok: true; value: string } | { ok: false; detail: string; fix: string };

function valueCheck(param: MesQueryParam): Check {
  if (param.type === 'integer') {
    const [minimum, maximum] = [given(param, 'minimum'), given(param, 'maximum')];
    const fix = `a whole number from ${minimum} to ${maximum}`;
    return (raw) => {
      const value = /^-?\d{1,15}$/.test(raw) ? Number(raw) : NaN;
      return Number.isSafeInteger(value) && value >= minimum && value <= maximum
        ? { ok: true, value: String(value) }
        : { ok: false, detail: `${quoted(raw)} is out of range or not a whole number`, fix };
    };
  }
  const [source, maxLength] = [given(param, 'pattern'), given(param, 'maxLength')];
  const pattern = new RegExp(wholeValue(source), 'u');
  const fix = `at most ${maxLength} characters matching ${source}`;
  return (raw) =>
    raw.length <= maxLength && pattern.test(raw)
      ? { ok: true, value: raw }
      : { ok: false, detail: `${quoted(raw)} is not accepted`, fix };
}

/** A configured pattern as the proxy applies it: to the whole value, not anywhere in it. */
export function wholeValue(pattern: string): string {
  return `^(?:${pattern})$`;
}

/** A field the schema requires for this type of parameter (its if/then is lost in the generated type). */
function given<K extends 'minimum' | 'maximum' | 'pattern' | 'maxLength'>(
  param: MesQueryParam,
  field: K,
): NonNullable<MesQueryParam[K]> {
  const value = param[field];
  if (value === undefined)
    throw new Error(`mesApi.routes: query parameter ${param.name} (${param.type}) needs ${field}`);
  return value as NonNullable<MesQueryParam[K]>;
}

/** A parameter's JSON Pointer within the query. */
const pointerOf = (name: string) => `/${name.slice(0, 64).replaceAll('~', '~0').replaceAll('/', '~1')}`;
const quoted = (raw: string) => JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
