import type { CrmCommand } from '../../contracts/generated/crm/command.js';
import type { CrmFact } from '../../contracts/generated/crm/fact.js';
import type { Config } from '../../config/index.js';
import { validatorFor, validatorForSchema, type Validator } from '../../contracts/validate.js';
import { mesEventReader as dialectEventReader, type MesChange } from '../../mapping/index.js';
import { stringField } from '../../app/message-input.js';
import type { ReadResult } from './consumer.js';

type Problems = { pointer: string; message: string; fix: string }[];

/** Problems of a schema validation, one line each, for the dead-letter header. */
export function describeProblems(problems: Problems): string {
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

/** A CRM command, checked against the schema of its type. */
export function readCrmCommand(body: unknown): ReadResult<CrmCommand> {
  const type = stringField(body, 'type');
  if (type !== undefined && Object.hasOwn(crmCommandReaders, type)) return crmCommandReaders[type as CrmCommand['type']](body);
  return { ok: false, error: `/type: ${JSON.stringify(type ?? null)} is not a CRM command (fix: use order.create, order.cancel or order.update)` };
}

/** A CRM fact (delivered, cancelled). */
export const readCrmFact: (body: unknown) => ReadResult<CrmFact> = readerOf(validatorFor<CrmFact>('crmFact'));

/** An MES message, checked against the dialect's event schema and read by its paths into its state changes. */
export function mesEventReader({ dialect, dialectSchemas }: Pick<Config, 'dialect' | 'dialectSchemas'>): (body: unknown) => ReadResult<MesChange[]> {
  const readSchema = readerOf(validatorForSchema(dialectSchemas.event));
  const readChanges = dialectEventReader(dialect.events);
  return (body) => {
    const valid = readSchema(body);
    if (!valid.ok) return valid;
    const read = readChanges(valid.value);
    return read.ok ? { ok: true, value: read.changes } : { ok: false, error: read.problems.join('; ') };
  };
}
