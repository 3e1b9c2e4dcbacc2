import type { Config } from '../config/index.js';
import {
  translate,
  type Acknowledgement,
  type BuiltCommand,
  type MesEventFields,
  type OrderStatus,
} from '../mapping/index.js';
import { dialectCommandWriter, mesCommandId } from './forward-crm-command.js';
import { dialectMessageReader, readCrmCommand } from './read-messages.js';

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
  const readMessage = dialectMessageReader(config);
  const writeCommand = dialectCommandWriter(config);
  return {
    event(body) {
      const read = readMessage(body);
      if (!read.ok) return read;
      return {
        ok: true,
        changes: read.value.map(({ fields, type }) => {
          const meaning = translate(fields, dialect.states);
          if (meaning.kind === 'quarantine') return { fields, type, quarantine: meaning.reason };
          return {
            fields,
            type,
            ...(meaning.status ? { status: meaning.status } : {}),
            ...(meaning.ack ? { ack: meaning.ack } : {}),
          };
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
