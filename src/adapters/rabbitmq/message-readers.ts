import type { CrmCommand } from '../../contracts/generated/crm/command.js';
import type { CrmFact } from '../../contracts/generated/crm/fact.js';
import type { MesEvent } from '../../contracts/generated/mes/event.js';
import type { MappingConfig } from '../../contracts/generated/config/mapping.js';
import { validatorFor, type Validator } from '../../contracts/validate.js';
import { readMesEvent } from '../../mapping/index.js';
import type { MesEventInput } from '../../app/apply-mes-event.js';
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

/** An MES event, checked against the MES's schema and read by the mapping's paths. */
export function mesEventReader(paths: MappingConfig['paths']): (body: unknown) => ReadResult<MesEventInput> {
  const readSchema = readerOf(validatorFor<MesEvent>('mesEvent'));
  return (body) => {
    const valid = readSchema(body);
    if (!valid.ok) return valid;
    const read = readMesEvent(valid.value, paths);
    if (!read.ok) return { ok: false, error: read.problems.join('; ') };
    return { ok: true, value: { fields: read.fields, type: valid.value.header.eventType } };
  };
}
