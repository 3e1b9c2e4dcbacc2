// SQL both drivers share for an order's events going out in order (src/ledger/queue-order-events.ts).

/**
 * Whether an order event of row `m`'s order, written before it by another cause, is still
 * unconfirmed (pending): then `m` is held behind it. Events of one cause go out together, in order.
 * `written(alias)` is the driver's write order of a row: SQLite's rowid; on PostgreSQL the id's
 * sequence part, since its day part is the writer's clock. Standard SQL otherwise.
 */
export function heldBehindAnother(m: string, written = (row: string) => `${row}.id`): string {
  return `${m}.channel = 'order.event' AND EXISTS (
    SELECT 1 FROM messages e WHERE e.order_id = ${m}.order_id AND e.channel = 'order.event' AND e.state = 'pending'
      AND ${written('e')} < ${written(m)} AND e.cause_id IS DISTINCT FROM ${m}.cause_id)`;
}
