import type { Config } from '../config/index.js';
import type { CrmCommand } from '../contracts/generated/crm/command.js';
import type { CrmFact } from '../contracts/generated/crm/fact.js';
import type { SchemaProblem } from '../contracts/explain-errors.js';
import { validatorFor, validatorForSchema, type Validator } from '../contracts/validate.js';
import { describe, mesEventReader, type MesChange } from '../mapping/index.js';
import { stringField } from './message-input.js';

/** A message's body read into a use case's input, or what is wrong with it (the field and the fix). */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Schema problems on one line, as a dead letter's reason says them. */
export function describeProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.pointer || '/'}: ${p.message} (fix: ${p.fix})`).join('; ');
}

function readerOf<T>(validate: Validator<T>): (body: unknown) => ReadResult<T> {
  return (body) => {
    const valid = validate(body);
    return valid.ok ? valid : { ok: false, error: describeProblems(valid.problems) };
  };
}

const crmCommandReaders: Record<CrmCommand['type'], (body: unknown) => ReadResult<CrmCommand>> = {
  'order.create': readerOf(validatorFor('crmOrderCreate')),
  'order.cancel': readerOf(validatorFor('crmOrderCancel')),
  'order.update': readerOf(validatorFor('crmOrderUpdate')),
};

/** A CRM command (parsed JSON), checked against the contract of its type. */
export function readCrmCommand(body: unknown): ReadResult<CrmCommand> {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, error: `/: ${describe(body)} is not a CRM command (fix: send a JSON object)` };
  const type = stringField(body, 'type');
  if (type !== undefined && Object.hasOwn(crmCommandReaders, type))
    return crmCommandReaders[type as CrmCommand['type']](body);
  const given = (body as { type?: unknown }).type;
  return {
    ok: false,
    error: `/type: ${given === undefined ? 'nothing' : describe(given)} is not a CRM command type (fix: use order.create, order.cancel or order.update)`,
  };
}

/** A CRM fact (delivered, cancelled). */
export const readCrmFact: (body: unknown) => ReadResult<CrmFact> = readerOf(validatorFor<CrmFact>('crmFact'));

/** Reads an MES message (parsed JSON) by the dialect: checked against its event schema, then read by its paths into state changes. */
export function dialectMessageReader({
  dialect,
  dialectSchemas,
}: Pick<Config, 'dialect' | 'dialectSchemas'>): (body: unknown) => ReadResult<MesChange[]> {
  const readSchema = readerOf(validatorForSchema(dialectSchemas.event));
  const readChanges = mesEventReader(dialect.events);
  return (body) => {
    const valid = readSchema(body);
    if (!valid.ok) return valid;
    const read = readChanges(valid.value);
    return read.ok ? { ok: true, value: read.changes } : { ok: false, error: read.problems.join('; ') };
  };
}
