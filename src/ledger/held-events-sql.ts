// SQL both drivers share for an order's events going out in order (src/ledger/queue-order-events.ts).

/**
 * Whether an order event of row `m`'s order, written before it by another cause, is still
 * unconfirmed (pending): then `m` is held behind it. Events of one cause go out together, in order.
 * Standard SQL: SQLite and PostgreSQL read it alike.
 */
export function heldBehindAnother(m: string): string {
  return `${m}.channel = 'order.event' AND EXISTS (
    SELECT 1 FROM messages e WHERE e.order_id = ${m}.order_id AND e.channel = 'order.event' AND e.state = 'pending'
      AND e.id < ${m}.id AND e.cause_id IS DISTINCT FROM ${m}.cause_id)`;
}
