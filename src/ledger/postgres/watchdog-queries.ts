import { decideOverdueCommand, decideStuck } from '../decide-watchdog.js';
import type { OpenCommand } from '../model.js';
import { type MessageRow, type OrderRow, toOrderRecord, toOut } from '../rows.js';
import type { OutMessage } from '../store.js';
import type { PgContext } from './context.js';
import { sql } from './statements.js';

type OverdueCommand = OpenCommand & { dueAt: number | null; orderId: string; routingKey: string; payload: string };

/** What the watchdog asks and writes: overdue commands, orders past their deadline, unconfirmed events. */
export class PgWatchdogQueries {
  constructor(private readonly ctx: PgContext) {}

  async overdueCommands(now: number, limit: number) {
    return this.ctx.rows<{ rowId: number; orderId: string; attempts: number }>(sql.overdue, [now, limit]);
  }

  resolveOverdueCommand(rowId: number, now: number, knownToMes: boolean | undefined): Promise<OutMessage[]> {
    return this.ctx.commits.run({}, async (tx) => {
      const lock = (await tx.query<{ locked: boolean }>(sql.tryLockOrderOfMessage, [rowId])).rows[0];
      // Its order is busy in another gateway's transaction: the next tick finds the command again.
      if (!lock?.locked) return [];
      const command = (await tx.query<OverdueCommand>(sql.openCommandByRow, [rowId])).rows[0];
      // Answered (or resolved by another replica) since it was listed: nothing to do.
      if (!command || command.dueAt === null || command.dueAt > now) return [];
      const order = (await this.ctx.loadOrder(tx, command.orderId))!;
      const decision = decideOverdueCommand(command, order, now, this.ctx.policy.ack, knownToMes);
      if (decision.kind === 'accepted_by_evidence') {
        tx.send(sql.closeCommand, [command.sourceRowId, 'acknowledged', decision.reason, now]);
        tx.send(sql.clearDue, [now, command.rowId]);
        for (const entry of decision.journal) this.ctx.journal(tx, now, order.orderId, command.rowId, entry);
        return this.ctx.queueChanges(tx, decision.changes, command.rowId, `evidence:${command.mesMessageId}`, now);
      }
      if (decision.kind === 'reforward') {
        tx.send(sql.reforward, [command.rowId, decision.dueAt, now]);
        tx.send(sql.closeCommand, [command.sourceRowId, 'redelivered', null, now]);
        this.ctx.journal(tx, now, order.orderId, command.rowId, decision.journal);
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
      tx.send(sql.closeCommand, [command.sourceRowId, 'lost', decision.attention.reason, now]);
      tx.send(sql.clearDue, [now, command.rowId]);
      await this.ctx.updateOrder(
        tx,
        order,
        {
          state: order.state,
          statusEnteredAt: order.statusEnteredAt,
          stuckAt: order.stuckAt,
          attention: decision.attention,
        },
        now,
      );
      for (const entry of decision.journal) this.ctx.journal(tx, now, order.orderId, command.rowId, entry);
      return this.ctx.queueChanges(tx, decision.changes, command.rowId, `lost:${command.mesMessageId}`, now);
    });
  }

  async flagStuckOrders(now: number, limit: number): Promise<OutMessage[]> {
    // Every watchdog tick asks; a write unit only when one is due. The unit locks those of them
    // nobody else is working on, and reads them again under the locks.
    const due = (await this.ctx.rows<{ order_id: string }>(sql.stuckOrderIds, [now, limit])).map((row) => row.order_id);
    if (!due.length) return [];
    return this.ctx.commits.run({}, async (tx) => {
      const free = (await tx.query<{ id: string }>(sql.tryLockOrders, [due])).rows.map((row) => row.id);
      const out: OutMessage[] = [];
      for (const row of (await tx.query<OrderRow>(sql.stuckOrdersAmong, [free, now])).rows) {
        const order = toOrderRecord(row);
        const decision = decideStuck(order, now);
        await this.ctx.updateOrder(
          tx,
          order,
          {
            state: order.state,
            statusEnteredAt: order.statusEnteredAt,
            stuckAt: order.stuckAt,
            attention: decision.attention,
          },
          now,
        );
        this.ctx.journal(tx, now, order.orderId, null, decision.journal);
        out.push(
          ...(await this.ctx.queueChanges(
            tx,
            [decision.change],
            null,
            `stuck:${order.orderId}:${order.statusEnteredAt}`,
            now,
          )),
        );
      }
      return out;
    });
  }

  async unpublished(createdBefore: number, limit: number, now = createdBefore): Promise<OutMessage[]> {
    // A read every tick; a write unit only when something is due.
    if (!(await this.ctx.rows(sql.unpublished, [createdBefore])).length) return [];
    const claimed = await this.ctx.commits.run(
      {},
      async (tx) => (await tx.query<MessageRow>(sql.claimUnpublished, [createdBefore, limit, now])).rows,
    );
    return claimed.sort((a, b) => a.id - b.id).map(toOut);
  }
}
