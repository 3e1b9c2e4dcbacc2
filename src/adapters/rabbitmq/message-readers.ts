import type { CrmCommand } from '../../contracts/generated/crm/command.js';
import type { CrmFact } from '../../contracts/generated/crm/fact.js';
import type { Config } from '../../config/index.js';
import { validatorFor, type Validator } from '../../contracts/validate.js';
import type { MesChange } from '../../mapping/index.js';
import { describeProblems, dialectMessageReader } from '../../app/read-mes-message.js';
import { stringField } from '../../app/message-input.js';
import type { ReadResult } from './consumer.js';

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
export const mesEventReader: (config: Pick<Config, 'dialect' | 'dialectSchemas'>) => (body: unknown) => ReadResult<MesChange[]> = dialectMessageReader;
