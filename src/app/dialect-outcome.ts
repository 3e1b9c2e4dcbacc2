import type { Config } from '../config/index.js';
import type { CrmCommand } from '../contracts/generated/crm/command.js';
import type { SchemaProblem } from '../contracts/explain-errors.js';
import { validatorFor, validatorForSchema, type Validator } from '../contracts/validate.js';
import { mesEventReader, translate, type Acknowledgement, type BuiltCommand, type MesEventFields, type OrderStatus } from '../mapping/index.js';
import { dialectCommandWriter, mesCommandId } from './forward-crm-command.js';

/** What one state change of an MES message means by a dialect: a status and/or an acknowledgement, or a quarantine. */
export interface ChangeOutcome {
  /** The fields read from the message by the dialect's paths and value rules. */
  fields: MesEventFields;
  /** The MES's own event type. */
  type: string;
  status?: OrderStatus;
  ack?: Acknowledgement;
  /** Why the state is quarantined (a state the dialect does not know); absent when it is translated. */
  quarantine?: string;
}

/** An MES message by a dialect: its state changes, or the error that dead-letters it as invalid. */
export type EventOutcome = { ok: true; changes: ChangeOutcome[] } | { ok: false; error: string };

/** A CRM command by a dialect: the MES command written (routing key, message), or the error that refuses it. */
export type CommandOutcome = BuiltCommand;

/** The gateway's values in a written command: its clock (epoch ms) and, unless given, the id derived from the CRM message id. */
export interface CommandContext {
  now: number;
  messageId?: string;
}

/**
 * One dialect, compiled once, applied to single messages as the gateway applies it, without a
 * broker or a ledger: for `test-mapping` and for any what-if over messages (e.g. a changed dialect
 * over the events the MES really sent). What depends on an order's history (which command an
 * acknowledgement answers, whether a status move is allowed) is not decided here.
 */
export interface DialectRunner {
  /** An MES message body (parsed JSON): checked against the event schema, read by the paths, translated by the states. */
  event(body: unknown): EventOutcome;
  /** A CRM command body (parsed JSON): checked against the CRM contract, written by the templates, checked against the command schema. */
  command(body: unknown, context: CommandContext): CommandOutcome;
}

export function dialectRunner(config: Pick<Config, 'dialect' | 'dialectSchemas'>): DialectRunner {
  const { dialect } = config;
  const validEvent = validatorForSchema(config.dialectSchemas.event);
  const readChanges = mesEventReader(dialect.events);
  const writeCommand = dialectCommandWriter(config);
  return {
    event(body) {
      const valid = validEvent(body);
      if (!valid.ok) return { ok: false, error: describeProblems(valid.problems) };
      const read = readChanges(valid.value);
      if (!read.ok) return { ok: false, error: read.problems.join('; ') };
      return {
        ok: true,
        changes: read.changes.map(({ fields, type }) => {
          const meaning = translate(fields, dialect.states);
          if (meaning.kind === 'quarantine') return { fields, type, quarantine: meaning.reason };
          return { fields, type, ...(meaning.status ? { status: meaning.status } : {}), ...(meaning.ack ? { ack: meaning.ack } : {}) };
        }),
      };
    },
    command(body, { now, messageId }) {
      const command = readCrmCommand(body);
      if (!command.ok) return command;
      return writeCommand(command.value, messageId ?? mesCommandId(command.value.messageId), now);
    },
  };
}

const crmCommandValidators: Record<CrmCommand['type'], Validator<CrmCommand>> = {
  'order.create': validatorFor('crmOrderCreate'),
  'order.cancel': validatorFor('crmOrderCancel'),
  'order.update': validatorFor('crmOrderUpdate'),
};

/** A CRM command checked against the contract of its type; the error says what the gateway's dead letter says. */
function readCrmCommand(body: unknown): { ok: true; value: CrmCommand } | { ok: false; error: string } {
  const type = body !== null && typeof body === 'object' ? (body as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(crmCommandValidators, type)) {
    return { ok: false, error: `/type: ${JSON.stringify(type ?? null)} is not a CRM command (fix: use order.create, order.cancel or order.update)` };
  }
  const valid = crmCommandValidators[type as CrmCommand['type']](body);
  return valid.ok ? valid : { ok: false, error: describeProblems(valid.problems) };
}

/** Schema problems on one line, as the gateway writes them in a dead letter's reason. */
function describeProblems(problems: readonly SchemaProblem[]): string {
  return problems.map((p) => `${p.pointer || '/'}: ${p.message} (fix: ${p.fix})`).join('; ');
}
