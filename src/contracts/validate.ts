import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { schemas, type SchemaName } from './schemas.js';
import { explainErrors, type SchemaProblem } from './explain-errors.js';
import { getOrCreate } from '../shared/get-or-create.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: SchemaProblem[] };

export type Validator<T> = (value: unknown) => Validation<T>;

/**
 * `find`: stop at the first problem (whether an input is valid: every input, once). `explain`: every
 * problem, with the data (for the problems of an input found invalid, and of a config file).
 */
function createAjv(mode: 'find' | 'explain' = 'explain'): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: mode === 'explain',
    verbose: mode === 'explain',
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
  });
  addFormats.default(ajv);
  ajv.addFormat('date-time', realDateTime);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  return ajv;
}

const rfc3339DateTime = fullFormats['date-time'] as { validate: (text: string) => boolean; compare: never };

/**
 * RFC 3339's date-time, as an instant JavaScript can hold: RFC 3339 allows a leap second
 * (23:59:60), which Date.parse cannot read, so every time after it (ordering, deadlines, the
 * partner API) would be NaN. The contracts promise times the gateway can compute with.
 */
const realDateTime = {
  type: 'string' as const,
  validate: (text: string) => rfc3339DateTime.validate(text) && Number.isFinite(Date.parse(text)),
  compare: rfc3339DateTime.compare,
};

/** One schema compiled twice: to find whether an input is valid, and to explain why it is not. */
interface Compiled {
  find: ValidateFunction;
  explain: () => ValidateFunction;
}

const shared: { find?: Ajv2020; explain?: Ajv2020 } = {};
const compiled = new Map<SchemaName, Compiled>();

function compile(name: SchemaName): Compiled {
  const compiledBy = (mode: 'find' | 'explain') => {
    shared[mode] ??= createAjv(mode);
    return shared[mode].getSchema(schemas[name].$id) as ValidateFunction;
  };
  return getOrCreate(compiled, name, () => ({ find: compiledBy('find'), explain: () => compiledBy('explain') }));
}

/**
 * Problems described per invalid input. Describing one costs far more than finding it: a 256 KiB
 * message of 18,000 unknown fields took 186 ms of the event loop to explain in full.
 */
export const defaultMaxProblems = 50;

/**
 * A validator for one contract; the value it returns is typed by the schema's generated type. At
 * most `maxProblems` problems are described (the last one says how many more there are): inputs
 * are hostile; a config file, whose author wants every problem at once, passes Infinity.
 */
export function validatorFor<T>(
  name: SchemaName,
  { maxProblems = defaultMaxProblems }: { maxProblems?: number } = {},
): Validator<T> {
  const { find, explain } = compile(name);
  return (value) => (find(value) ? { ok: true, value: value as T } : explained(find, explain(), value, maxProblems));
}

/**
 * A validator for a schema that is not one of the contracts (an MES dialect's event or command
 * schema, read from its file at start-up). It may refer to the contracts by their $id.
 */
export function validatorForSchema<T>(
  schema: object,
  { maxProblems = defaultMaxProblems }: { maxProblems?: number } = {},
): Validator<T> {
  const find = createAjv('find').compile(schema);
  let explain: ValidateFunction | undefined;
  return (value) => {
    if (find(value)) return { ok: true, value: value as T };
    explain ??= createAjv().compile(schema);
    return explained(find, explain, value, maxProblems);
  };
}

/**
 * Every problem explains an input only up to a point: an array (or object) of 25,000 bad items
 * held the event loop ~30–100 ms while each was checked, though 50 are described. So with a bound
 * on the problems, they are found in a copy cut to `keptItems` items and keys (more than any
 * contract allows, so a size limit still shows) down to `cutDepth` levels; should the cut hide
 * every problem, the first one found is told.
 */
function explained(
  find: ValidateFunction,
  explain: ValidateFunction,
  value: unknown,
  maxProblems: number,
): { ok: false; problems: SchemaProblem[] } {
  const dropped = { items: false };
  const examined = Number.isFinite(maxProblems) ? cut(value, cutDepth, dropped) : value;
  const errors = (explain(examined) ? find.errors : explain.errors) as ErrorObject[];
  // A size is the input's, not the cut copy's.
  if (dropped.items)
    for (const error of errors)
      if (error.keyword === 'maxItems' || error.keyword === 'maxProperties') error.data = at(value, error.instancePath);
  return { ok: false, problems: explainErrors(errors, maxProblems, dropped.items) };
}

/** The value at a JSON Pointer of `value` (ajv's instancePath). */
function at(value: unknown, pointer: string): unknown {
  let found = value;
  for (const token of pointer.split('/').slice(1))
    found = (found as Record<string, unknown> | undefined)?.[token.replaceAll('~1', '/').replaceAll('~0', '~')];
  return found;
}

const keptItems = 1001;
const cutDepth = 64;

function cut(value: unknown, depth: number, dropped: { items: boolean }): unknown {
  if (depth === 0 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  const kept: [unknown, unknown][] = [];
  for (const [key, item] of entries) {
    if (kept.length === keptItems) {
      dropped.items = true;
      break;
    }
    kept.push([key, cut(item, depth - 1, dropped)]);
  }
  return Array.isArray(value) ? kept.map(([, item]) => item) : Object.fromEntries(kept);
}

/** Why a schema cannot be compiled (unknown keywords, broken $ref), or undefined when it can. */
export function schemaCompileError(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'a schema is a JSON object';
  try {
    createAjv().compile(schema);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
