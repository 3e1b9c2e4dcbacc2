import type { MessageRow } from '../rows.js';
import {
  type IntakeRows,
  markForwarded,
  recordCommand,
  recordCrmFact,
  recordInvalid,
  recordMesEvent,
} from '../record-intake.js';
import { runAwaiting } from '../plan.js';
import type {
  CommandInput,
  CommandResult,
  CrmFactInput,
  EventResult,
  InvalidInput,
  MesEventInput,
  OutMessage,
} from '../store.js';
import type { OpenCommand } from '../model.js';
import type { PgContext } from './context.js';
import type { Tx } from './group-commit.js';
import { sql } from './statements.js';

/** The pipeline's writes (src/ledger/record-intake.ts), each in a unit that locks the orders it touches. */
export class PgIntake {
  constructor(private readonly ctx: PgContext) {}

  recordCommand(input: CommandInput, now: number): Promise<CommandResult> {
    return this.ctx.commits.run({ orders: [input.orderId] }, (tx) =>
      runAwaiting(recordCommand(this.rows(tx), input, now)),
    );
  }

  markForwarded(out: OutMessage, now: number): Promise<void> {
    return this.ctx.commits.run({ messageRows: [out.rowId] }, async (tx) =>
      markForwarded(this.rows(tx), out.rowId, now, this.ctx.policy),
    );
  }

  recordMesEvent(input: MesEventInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run({ orders: [input.fields.orderId] }, (tx) =>
      runAwaiting(recordMesEvent(this.rows(tx), input, now, this.ctx.policy)),
    );
  }

  recordCrmFact(input: CrmFactInput, now: number): Promise<EventResult> {
    return this.ctx.commits.run({ orders: [input.orderId] }, (tx) =>
      runAwaiting(recordCrmFact(this.rows(tx), input, now, this.ctx.policy)),
    );
  }

  recordInvalid(input: InvalidInput, now: number): Promise<void> {
    return this.ctx.commits.run({ orders: input.orderId ? [input.orderId] : [] }, (tx) =>
      runAwaiting(recordInvalid(this.rows(tx), input, now)),
    );
  }

  markPublished(rowIds: number[], now: number): Promise<void> {
    return this.ctx.commits.run({ messageRows: rowIds }, async (tx) => this.rows(tx).markPublished(rowIds, now));
  }

  /** The rows port on a unit's transaction: reads are awaited, writes whose answer is not needed are pipelined. */
  private rows(tx: Tx): IntakeRows {
    const { ctx } = this;
    const first = async <R extends object>(text: string, values: unknown[]) =>
      (await tx.query<R>(text, values)).rows[0]!;
    return {
      insertMessage: (m, now) => ctx.insertMessage(tx, m, now),
      findMessage: (channel, messageId) => ctx.findMessage(tx, channel, messageId),
      loadOrder: (orderId) => ctx.loadOrder(tx, orderId),
      createsOfOrder: async (orderId) => (await first<{ n: number }>(sql.createsOfOrder, [orderId])).n,
      openCommands: async (order) =>
        (await tx.query<OpenCommand>(sql.openCommands, [order.orderId, order.createdAt])).rows,
      outOfCommand: (commandRowId) => first<MessageRow>(sql.outOfCommand, [commandRowId]),
      unpublishedCausedBy: async (rowId) => (await tx.query<MessageRow>(sql.unpublishedCausedBy, [rowId])).rows,
      updateOrder: (order, update, now) => ctx.updateOrder(tx, order, update, now),
      queueChanges: (changes, causeId, idPrefix, now) => ctx.queueChanges(tx, changes, causeId, idPrefix, now),
      insertOrder: (input, now) => ctx.insertOrder(tx, input, now),
      setMessageState: (rowId, state, reason, now) => ctx.setMessageState(tx, rowId, state, reason, now),
      journal: (now, orderId, rowId, entry) => ctx.journal(tx, now, orderId, rowId, entry),
      countDelivery: (rowId, now) => tx.send(sql.countDelivery, [now, rowId]),
      countDeliveryOf: (channel, messageId, now) => tx.send(sql.countDeliveryOf, [now, channel, messageId]),
      closeCommand: (commandRowId, state, reason, now) => tx.send(sql.closeCommand, [commandRowId, state, reason, now]),
      clearDue: (rowId, now) => tx.send(sql.clearDue, [now, rowId]),
      markForwarded: (outRowId, now, dueAt) => tx.send(sql.markForwarded, [outRowId, now, dueAt]),
      markPublished: (rowIds, now) => tx.send(sql.markPublished, [now, rowIds]),
    };
  }
}
