import { runNow } from '../plan.js';
import { flagStuck, resolveOverdueCommand } from '../record-watchdog.js';
import { type MessageRow, type OrderRow, toOrderRecord, toOut } from '../rows.js';
import type { OutMessage } from '../store.js';
import type { SqliteContext } from './context.js';

/** What the watchdog asks and writes (src/ledger/record-watchdog.ts): overdue commands, orders past their deadline, unconfirmed events. */
export class SqliteWatchdogQueries {
  constructor(private readonly ctx: SqliteContext) {}

  async overdueCommands(now: number, limit: number) {
    return this.ctx.sql.overdue.all(now, limit) as { rowId: number; orderId: string; attempts: number }[];
  }

  resolveOverdueCommand(rowId: number, now: number, knownToMes: boolean | undefined): Promise<OutMessage[]> {
    return this.ctx.commits.run(() =>
      runNow(resolveOverdueCommand(this.ctx.rows, rowId, now, knownToMes, this.ctx.policy)),
    );
  }

  async flagStuckOrders(now: number, limit: number, dueBy = now): Promise<OutMessage[]> {
    // Every watchdog tick asks; a write unit (and, with synchronous FULL, its fsync) only when one is due.
    if (this.ctx.sql.stuckOrders.get(dueBy, 1) === undefined) return [];
    return this.ctx.commits.run(() =>
      (this.ctx.sql.stuckOrders.all(dueBy, limit) as OrderRow[]).flatMap((row) =>
        runNow(flagStuck(this.ctx.rows, toOrderRecord(row), now)),
      ),
    );
  }

  async unpublished(createdBefore: number, limit: number): Promise<OutMessage[]> {
    return (this.ctx.sql.unpublished.all({ cutoff: createdBefore, limit }) as MessageRow[]).map(toOut);
  }
}
