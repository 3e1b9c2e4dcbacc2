import { isTerminal, orderStatuses } from '../../mapping/index.js';
import type { Pruned, RetentionPort } from '../store.js';
import type { PgGroupCommit } from './group-commit.js';

const open = "('received', 'forwarded', 'redelivered', 'pending')";
const terminal = orderStatuses
  .filter(isTerminal)
  .map((s) => `'${s}'`)
  .join(', ');
/** The order of `alias`'s row is flagged lost or stuck: its evidence stays until the flag clears. */
const ofFlaggedOrder = (alias: string) =>
  `EXISTS (SELECT 1 FROM orders o WHERE o.order_id = ${alias}.order_id AND o.attention IS NOT NULL)`;
const finalMessage = `m.created_at < $1 AND m.state NOT IN ${open} AND m.due_at IS NULL AND NOT ${ofFlaggedOrder('m')}`;

// $1 cutoff, $2 batch. The same rules as the SQLite pruner (src/ledger/sqlite/retention.ts).
const statements = {
  // Only messages nothing else was caused by: a chain (CRM command → MES command → the order event
  // flagging it lost) goes from its end, one link per step, and a batch boundary can never leave a
  // kept message pointing at a removed one.
  messages: `DELETE FROM messages WHERE id IN (
    SELECT m.id FROM messages m WHERE ${finalMessage} AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.cause_id = m.id)
    ORDER BY m.created_at LIMIT $2)`,
  journal: `DELETE FROM journal WHERE id IN (
    SELECT j.id FROM journal j WHERE j.at < $1 AND NOT ${ofFlaggedOrder('j')} ORDER BY j.at LIMIT $2)`,
  orders: `DELETE FROM orders WHERE order_id IN (
    SELECT order_id FROM orders WHERE updated_at < $1 AND status IN (${terminal}) AND attention IS NULL ORDER BY updated_at LIMIT $2)`,
  webhookDeliveries: `DELETE FROM webhook_deliveries WHERE id IN (
    SELECT id FROM webhook_deliveries WHERE updated_at < $1 AND state <> 'pending' LIMIT $2)`,
  idempotencyKeys: `DELETE FROM idempotency_keys WHERE (partner, key) IN (
    SELECT partner, key FROM idempotency_keys WHERE created_at < $1 LIMIT $2)`,
} as const;

/**
 * Removes ledger rows older than the retention in small batches, each batch its own group-commit
 * unit, so the pipeline's units go between them and nothing waits long. Never removed: commands
 * still waiting for the MES, messages not yet confirmed by the broker, a message another kept
 * message was caused by, orders not in a final status, and an order flagged lost or stuck with its
 * messages and journal (the timeline an operator needs to resolve it).
 */
export class PgRetentionPruner implements RetentionPort {
  constructor(private readonly commits: PgGroupCommit) {}

  /** One batch per table (at most `batch` rows each). */
  step(cutoff: number, batch: number): Promise<Pruned> {
    return this.commits.run({}, async (tx) => {
      const run = async (text: string) => (await tx.query(text, [cutoff, batch])).rowCount ?? 0;
      return {
        messages: await run(statements.messages),
        journal: await run(statements.journal),
        orders: await run(statements.orders),
        webhookDeliveries: await run(statements.webhookDeliveries),
        idempotencyKeys: await run(statements.idempotencyKeys),
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
