import { runAwaiting } from '../plan.js';
import { flagStuck, resolveOverdueCommand } from '../record-watchdog.js';
import { type MessageRow, type OrderRow, toOrderRecord, toOut } from '../rows.js';
import type { OutMessage } from '../store.js';
import type { PgContext } from './context.js';
import { pgRows } from './rows-port.js';
import { sql } from './statements.js';

/** What the watchdog asks and writes (src/ledger/record-watchdog.ts): overdue commands, orders past their deadline, unconfirmed events. */
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
      return runAwaiting(resolveOverdueCommand(pgRows(this.ctx, tx), rowId, now, knownToMes, this.ctx.policy));
    });
  }

  async flagStuckOrders(now: number, limit: number, dueBy = now): Promise<OutMessage[]> {
    // Every watchdog tick asks; a write unit only when one is due. The unit locks those of them
    // nobody else is working on, and reads them again under the locks.
    const due = (await this.ctx.rows<{ order_id: string }>(sql.stuckOrderIds, [dueBy, limit])).map(
      (row) => row.order_id,
    );
    if (!due.length) return [];
    return this.ctx.commits.run({}, async (tx) => {
      const free = (await tx.query<{ id: string }>(sql.tryLockOrders, [due])).rows.map((row) => row.id);
      const rows = pgRows(this.ctx, tx);
      const out: OutMessage[] = [];
      for (const row of (await tx.query<OrderRow>(sql.stuckOrdersAmong, [free, dueBy])).rows)
        out.push(...(await runAwaiting(flagStuck(rows, toOrderRecord(row), now))));
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
