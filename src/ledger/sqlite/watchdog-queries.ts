import { decideOverdueCommand, decideStuck } from '../decide-watchdog.js';
import type { OpenCommand } from '../model.js';
import type { MessageRow, OrderRow } from './statements.js';
import type { OutMessage } from '../store.js';
import { toOrderRecord, toOut, type SqliteContext } from './context.js';

/** What the watchdog asks and writes: overdue commands, orders past their deadline, unconfirmed events. */
export class SqliteWatchdogQueries {
  constructor(private readonly ctx: SqliteContext) {}

  async overdueCommands(now: number, limit: number) {
    return this.ctx.sql.overdue.all(now, limit) as { rowId: number; orderId: string; attempts: number }[];
  }

  resolveOverdueCommand(rowId: number, now: number, knownToMes: boolean | undefined): Promise<OutMessage[]> {
    return this.ctx.commits.run(() => {
      const command = this.ctx.sql.openCommandByRow.get(rowId) as
        | (OpenCommand & { dueAt: number | null; orderId: string; routingKey: string; payload: string })
        | undefined;
      // Answered (or resolved by another replica) since it was listed: nothing to do.
      if (!command || command.dueAt === null || command.dueAt > now) return [];
      const order = this.ctx.loadOrder(command.orderId)!;
      const decision = decideOverdueCommand(command, order, now, this.ctx.policy.ack, knownToMes);
      if (decision.kind === 'accepted_by_evidence') {
        this.ctx.sql.closeCommand.run({ id: command.sourceRowId, state: 'acknowledged', reason: decision.reason, now });
        this.ctx.sql.clearDue.run(now, command.rowId);
        for (const entry of decision.journal) this.ctx.journal(now, order.orderId, command.rowId, entry);
        return this.ctx.queueChanges(decision.changes, command.rowId, `evidence:${command.mesMessageId}`, now);
      }
      if (decision.kind === 'reforward') {
        this.ctx.sql.reforward.run({ id: command.rowId, dueAt: decision.dueAt, now });
        this.ctx.sql.closeCommand.run({ id: command.sourceRowId, state: 'redelivered', reason: null, now });
        this.ctx.journal(now, order.orderId, command.rowId, decision.journal);
        return [
          {
            rowId: command.rowId,
            channel: 'mes.command',
            messageId: command.mesMessageId,
            routingKey: command.routingKey,
            payload: command.payload,
          },
        ];
      }
      this.ctx.sql.closeCommand.run({ id: command.sourceRowId, state: 'lost', reason: decision.attention.reason, now });
      this.ctx.sql.clearDue.run(now, command.rowId);
      this.ctx.updateOrder(
        order,
        {
          state: order.state,
          statusEnteredAt: order.statusEnteredAt,
          stuckAt: order.stuckAt,
          attention: decision.attention,
        },
        now,
      );
      for (const entry of decision.journal) this.ctx.journal(now, order.orderId, command.rowId, entry);
      return this.ctx.queueChanges(decision.changes, command.rowId, `lost:${command.mesMessageId}`, now);
    });
  }

  async flagStuckOrders(now: number, limit: number): Promise<OutMessage[]> {
    // Every watchdog tick asks; a write unit (and, with synchronous FULL, its fsync) only when one is due.
    if (this.ctx.sql.stuckOrders.get(now, 1) === undefined) return [];
    return this.ctx.commits.run(() =>
      (this.ctx.sql.stuckOrders.all(now, limit) as OrderRow[]).flatMap((row) => {
        const order = toOrderRecord(row);
        const decision = decideStuck(order, now);
        this.ctx.updateOrder(
          order,
          {
            state: order.state,
            statusEnteredAt: order.statusEnteredAt,
            stuckAt: order.stuckAt,
            attention: decision.attention,
          },
          now,
        );
        this.ctx.journal(now, order.orderId, null, decision.journal);
        return this.ctx.queueChanges([decision.change], null, `stuck:${order.orderId}:${order.statusEnteredAt}`, now);
      }),
    );
  }

  async unpublished(createdBefore: number, limit: number): Promise<OutMessage[]> {
    return (this.ctx.sql.unpublished.all(createdBefore, limit) as MessageRow[]).map(toOut);
  }
}
