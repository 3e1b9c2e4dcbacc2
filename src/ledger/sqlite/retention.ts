import type { Database, Statement } from 'better-sqlite3';
import { finalUnflaggedOrder, ofFlaggedOrder, openMessageStates } from '../retention-rules.js';
import type { GroupCommit } from './group-commit.js';
import type { Pruned, RetentionPort } from '../store.js';

const open = openMessageStates;

/**
 * Removes ledger rows older than the retention in small batches, each batch its own group-commit
 * unit, so the pipeline's units go between them and nothing waits long. Never removed: commands
 * still waiting for the MES, messages not yet confirmed by the broker, a message another kept
 * message was caused by, orders not in a final status, and an order flagged lost or stuck with its
 * messages and journal (the timeline an operator needs to resolve it).
 */
export class RetentionPruner implements RetentionPort {
  private readonly sql: Record<'messages' | 'journal' | 'orders' | 'webhookDeliveries' | 'idempotencyKeys', Statement>;

  constructor(
    db: Database,
    private readonly commits: GroupCommit,
  ) {
    const finalMessage = `m.created_at < @cutoff AND m.state NOT IN ${open} AND m.due_at IS NULL AND NOT ${ofFlaggedOrder('m')}`;
    this.sql = {
      // Only messages nothing else was caused by: a chain (CRM command → MES command → the order
      // event flagging it lost) goes from its end, one link per step, and a batch boundary can
      // never leave a kept message pointing at a removed one.
      messages: db.prepare(`DELETE FROM messages WHERE id IN (
        SELECT m.id FROM messages m WHERE ${finalMessage} AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.cause_id = m.id) ORDER BY m.created_at LIMIT @batch)`),
      journal: db.prepare(
        `DELETE FROM journal WHERE id IN (SELECT j.id FROM journal j WHERE j.at < @cutoff AND NOT ${ofFlaggedOrder('j')} ORDER BY j.at LIMIT @batch)`,
      ),
      // INDEXED BY: a status model (contracts/) whose final statuses left migration 008's behind fails
      // here, at open ("no query solution"), in every ledger test.
      orders: db.prepare(`DELETE FROM orders WHERE order_id IN (
        SELECT order_id FROM orders INDEXED BY orders_final WHERE updated_at < @cutoff AND ${finalUnflaggedOrder} ORDER BY updated_at LIMIT @batch)`),
      webhookDeliveries: db.prepare(
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE updated_at < @cutoff AND state <> 'pending' LIMIT @batch)",
      ),
      idempotencyKeys: db.prepare(
        'DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < @cutoff LIMIT @batch)',
      ),
    };
  }

  /** One batch per table (at most `batch` rows each). */
  step(cutoff: number, batch: number): Promise<Pruned> {
    return this.commits.run(() => {
      const run = (statement: Statement) => statement.run({ cutoff, batch }).changes;
      return {
        messages: run(this.sql.messages),
        journal: run(this.sql.journal),
        orders: run(this.sql.orders),
        webhookDeliveries: run(this.sql.webhookDeliveries),
        idempotencyKeys: run(this.sql.idempotencyKeys),
      };
    });
  }

  /**
   * Steps until no table fills a batch and no message was removed (whose cause may now be free to
   * go); yields to other work between steps.
   */
  async pruneOlderThan(cutoff: number, batch = 500): Promise<Pruned> {
    const total: Pruned = { messages: 0, journal: 0, orders: 0, webhookDeliveries: 0, idempotencyKeys: 0 };
    for (;;) {
      const step = await this.step(cutoff, batch);
      for (const key of Object.keys(total) as (keyof Pruned)[]) total[key] += step[key];
      if (step.messages === 0 && Object.values(step).every((n) => n < batch)) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
