import type { ErrorObject } from 'ajv';

/** One schema violation, said so that the reader knows where it is and what would fix it. */
export interface SchemaProblem {
  /** JSON Pointer of the bad (or missing) field. */
  pointer: string;
  /** Where the problem sits in the document: the value itself, its key, or the object that lacks it. */
  anchor: 'value' | 'key' | 'parent';
  message: string;
  fix: string;
  /** For a value of the wrong type: the JSON types the schema allows there (a YAML reader uses it to say "quote it"). */
  expected?: string[];
}

/** `partOfInput`: the errors are those of a cut copy of the input, so there may be more than counted. */
export function explainErrors(errors: ErrorObject[], maxProblems = Infinity, partOfInput = false): SchemaProblem[] {
  const grouped = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  // Branch errors under an anyOf/oneOf are noise once the group itself is explained.
  const visible = errors
    .filter((e) => !grouped.some((g) => e !== g && e.schemaPath.startsWith(`${g.schemaPath}/`)))
    .filter((e) => e.keyword !== 'propertyNames' && e.keyword !== 'if');
  const explained = visible.slice(0, maxProblems).map((e) => explain(e, errors));
  const more = visible.length - explained.length;
  return more > 0
    ? [
        ...explained,
        {
          pointer: '',
          anchor: 'parent',
          message: `and ${partOfInput ? 'at least ' : ''}${more} more problem${more === 1 ? '' : 's'} not listed`,
          fix: 'fix the ones listed and validate again',
        },
      ]
    : explained;
}

function explain(error: ErrorObject, all: ErrorObject[]): SchemaProblem {
  const at = error.instancePath;
  const found = preview(error.data);
  const params = error.params as Record<string, unknown>;
  const described = describedAs(error.parentSchema);
  switch (error.keyword) {
    case 'required': {
      const field = String(params.missingProperty);
      const about = describedAs(
        (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties?.[field],
      );
      return {
        pointer: `${at}/${escapeSegment(field)}`,
        anchor: 'parent',
        message: `missing required field "${field}"`,
        fix: `add ${field}${about ? ` (${about})` : ''}`,
      };
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        pointer: `${at}/${escapeSegment(field)}`,
        anchor: 'key',
        message: `unknown field "${field}"`,
        fix: suggest(field, known, `remove it; allowed fields: ${known.join(', ')}`),
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const key = propertyNameOf(error, all);
      const value = key ?? String(error.data);
      return {
        pointer: key === undefined ? at : `${at}/${escapeSegment(key)}`,
        anchor: key === undefined ? 'value' : 'key',
        message: `${preview(value)} is not one of the allowed values`,
        fix: suggest(value, allowed, `use one of: ${allowed.join(', ')}`),
      };
    }
    case 'const':
      return {
        pointer: at,
        anchor: 'value',
        message: `must be ${JSON.stringify(params.allowedValue)}, found ${found}`,
        fix: `set it to ${JSON.stringify(params.allowedValue)}`,
      };
    case 'type': {
      const expected = [params.type].flat().map(String);
      const wanted = expected.map((type) => (type === 'null' ? 'null' : withArticle(type))).join(' or ');
      return {
        pointer: at,
        anchor: 'value',
        message: `must be ${wanted}, found ${typeName(error.data)}`,
        fix: `write ${wanted} here${described ? ` (${described})` : ''}`,
        expected,
      };
    }
    case 'pattern': {
      const key = propertyNameOf(error, all);
      return {
        pointer: key === undefined ? at : `${at}/${escapeSegment(key)}`,
        anchor: key === undefined ? 'value' : 'key',
        message: `${key === undefined ? found : JSON.stringify(key)} does not have the expected form`,
        fix: described ? `write ${lowerFirst(described)}` : `match the pattern ${String(params.pattern)}`,
      };
    }
    case 'format':
      return {
        pointer: at,
        anchor: 'value',
        message: `${found} is not a valid ${String(params.format)}`,
        fix: `write a ${String(params.format)}${params.format === 'date-time' ? ' such as 2026-11-25T10:00:00Z' : ''}`,
      };
    case 'anyOf':
    case 'oneOf': {
      // Only this value's branches: in an array, every item's branch errors share the schema path.
      const branches = all.filter(
        (e) => e.instancePath === at && e.schemaPath.startsWith(`${error.schemaPath}/`) && e.keyword === 'required',
      );
      const options = [
        ...new Set(branches.map((b) => String((b.params as { missingProperty: string }).missingProperty))),
      ];
      return options.length
        ? {
            pointer: at,
            anchor: 'value',
            message: `needs at least one of: ${options.join(', ')}`,
            fix: `add ${options.join(' or ')}`,
          }
        : {
            pointer: at,
            anchor: 'value',
            message: `does not match any allowed shape`,
            fix: described ? `make it ${lowerFirst(described)}` : 'check the schema for the allowed shapes',
          };
    }
    default:
      return {
        pointer: at,
        anchor: 'value',
        message: `${error.message ?? 'is invalid'}${error.data === undefined ? '' : `, found ${found}`}`,
        fix: described ? `make it ${lowerFirst(described)}` : `change it to satisfy "${error.keyword}"`,
      };
  }
}

/** Ajv reports an invalid property name as an error of the name schema, beside a propertyNames error. */
function propertyNameOf(error: ErrorObject, all: ErrorObject[]): string | undefined {
  const owner = all.find(
    (e) =>
      e.keyword === 'propertyNames' &&
      e.instancePath === error.instancePath &&
      error.schemaPath.startsWith(`${e.schemaPath}/`),
  );
  // Under a $ref the name schema's path does not start with the propertyNames path: ajv names the property on the error.
  const name =
    error.propertyName ??
    (error.params as { propertyName?: string }).propertyName ??
    (owner?.params as { propertyName?: string } | undefined)?.propertyName;
  return owner === undefined && name === undefined ? undefined : name;
}

function describedAs(schema: unknown): string | undefined {
  const description = (schema as { description?: unknown } | undefined)?.description;
  return typeof description === 'string' ? description.replace(/\.$/, '') : undefined;
}

function suggest(value: string, options: string[], otherwise: string): string {
  const best = options
    .map((option) => ({ option, distance: editDistance(value.toLowerCase(), option.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return best && best.distance <= Math.max(2, Math.floor(value.length / 3))
    ? `did you mean "${best.option}"? Otherwise ${otherwise}`
    : otherwise;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The offending value, short: a hostile value may be huge or deep, and describing it must stay
 * bounded (a JSON.stringify of a 9,000-deep value overflows the stack).
 */
export function preview(value: unknown): string {
  if (typeof value === 'string') {
    const shown = withoutPasswords(value);
    return JSON.stringify(shown.length > previewLength ? `${shown.slice(0, previewLength)}…` : shown);
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

const previewLength = 80;
/** A URL's password (scheme://user:password@host) is a secret even in a value that is wrong. */
const withoutPasswords = (text: string) => text.replace(/(:\/\/[^/:@\s]*:)[^@\s]*@/g, '$1***@');
const escapeSegment = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');
const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
const withArticle = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const typeName = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : withArticle(typeof value);
