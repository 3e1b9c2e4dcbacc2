import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { schemas, type SchemaName } from './schemas.js';
import { explainErrors, type SchemaProblem } from './explain-errors.js';
import { getOrCreate } from '../shared/get-or-create.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: SchemaProblem[] };

export type Validator<T> = (value: unknown) => Validation<T>;

function createAjv(): Ajv2020 {
  // allErrors: a user fixing a file wants every problem at once, not one per run.
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
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

let shared: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function compile(name: SchemaName): ValidateFunction {
  shared ??= createAjv();
  const ajv = shared;
  return getOrCreate(compiled, name, () => ajv.getSchema(schemas[name].$id) as ValidateFunction);
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
  const validate = compile(name);
  return (value) =>
    validate(value)
      ? { ok: true, value: value as T }
      : { ok: false, problems: explainErrors(validate.errors as ErrorObject[], maxProblems) };
}

/**
 * A validator for a schema that is not one of the contracts (an MES dialect's event or command
 * schema, read from its file at start-up). It may refer to the contracts by their $id.
 */
export function validatorForSchema<T>(
  schema: object,
  { maxProblems = defaultMaxProblems }: { maxProblems?: number } = {},
): Validator<T> {
  const validate = createAjv().compile(schema);
  return (value) =>
    validate(value)
      ? { ok: true, value: value as T }
      : { ok: false, problems: explainErrors(validate.errors as ErrorObject[], maxProblems) };
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
