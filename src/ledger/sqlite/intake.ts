import type { OpenCommand } from '../model.js';
import { runNow } from '../plan.js';
import {
  type IntakeRows,
  markForwarded,
  recordCommand,
  recordCrmFact,
  recordInvalid,
  recordMesEvent,
} from '../record-intake.js';
import type { MessageRow } from '../rows.js';
import type {
  CommandInput,
  CommandResult,
  CrmFactInput,
  EventResult,
  InvalidInput,
  MesEventInput,
  OutMessage,
} from '../store.js';
import type { SqliteContext } from './context.js';

/** The pipeline's writes (src/ledger/record-intake.ts), each a unit of the group commit. */
export class SqliteIntake {
  /** The rows port on the connection: every answer at once, inside the group commit's transaction. */
  private readonly rows: IntakeRows;

  constructor(private readonly ctx: SqliteContext) {
    const { sql } = ctx;
    this.rows = {
      insertMessage: (m, now) => ctx.insertMessage(m, now),
      findMessage: (channel, messageId) => sql.findMessage.get(channel, messageId) as MessageRow,
      loadOrder: (orderId) => ctx.loadOrder(orderId),
      createsOfOrder: (orderId) => sql.createsOfOrder.pluck().get(orderId) as number,
      openCommands: (order) => sql.openCommands.all(order.orderId) as OpenCommand[],
      outOfCommand: (commandRowId) => sql.outOfCommand.get(commandRowId) as MessageRow,
      unpublishedCausedBy: (rowId) => sql.unpublishedCausedBy.all(rowId) as MessageRow[],
      updateOrder: (order, update, now) => ctx.updateOrder(order, update, now),
      queueChanges: (changes, causeId, idPrefix, now) => ctx.queueChanges(changes, causeId, idPrefix, now),
      insertOrder: (input, now) => ctx.insertOrder(input, now),
      setMessageState: (id, state, reason, now) => {
        sql.setMessageState.run({ id, state, reason: reason ?? null, orderId: null, now });
      },
      journal: (now, orderId, rowId, entry) => ctx.journal(now, orderId, rowId, entry),
      countDelivery: (rowId, now) => {
        sql.countDelivery.run(now, rowId);
      },
      countDeliveryOf: (channel, messageId, now) => {
        const row = sql.findMessage.get(channel, messageId) as MessageRow;
        sql.countDelivery.run(now, row.id);
      },
      closeCommand: (id, state, reason, now) => {
        sql.closeCommand.run({ id, state, reason: reason ?? null, now });
      },
      clearDue: (rowId, now) => {
        sql.clearDue.run(now, rowId);
      },
      markForwarded: (outRowId, now, dueAt) => {
        const row = sql.messageById.get(outRowId) as MessageRow;
        sql.markCommandForwarded.run({ id: row.cause_id, now });
        sql.markOutForwarded.run({ id: row.id, causeId: row.cause_id, now, dueAt });
      },
      markPublished: (rowIds, now) => {
        for (const id of rowIds) sql.markPublished.run(now, id);
      },
    };
  }

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run(() => runNow(recordCommand(this.rows, input, now)));
  }

  markForwarded(out: OutMessage, now: number): Promise<void> {
    return this.ctx.commits.run(() => markForwarded(this.rows, out.rowId, now, this.ctx.policy));
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => runNow(recordMesEvent(this.rows, input, now, this.ctx.policy)));
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run(() => runNow(recordCrmFact(this.rows, input, now, this.ctx.policy)));
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run(() => runNow(recordInvalid(this.rows, input, now)));
  }

  markPublished(rowIds: number[], now: number): Promise<void> {
    return this.ctx.commits.run(() => this.rows.markPublished(rowIds, now));
  }
}
