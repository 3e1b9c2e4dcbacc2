// What retention keeps, as SQL both drivers' retention share (standard SQL, the same on both).
import { isTerminal, orderStatuses } from '../mapping/index.js';

/** Message states that still wait for something: a command for the MES, an event for the broker. */
export const openMessageStates = "('received', 'forwarded', 'redelivered', 'pending')";

/** The order statuses after which nothing more happens to an order. */
const finalStatuses = orderStatuses.filter(isTerminal);

/** Those statuses as an SQL list. */
export const terminalStatuses = finalStatuses.map((s) => `'${s}'`).join(', ');

/**
 * An order in a final status and not flagged, as SQLite's partial index orders_final states it
 * (migration 008): retention's query names this very term, or SQLite cannot use the index.
 */
export const finalUnflaggedOrder = `attention IS NULL AND (${finalStatuses.map((s) => `status = '${s}'`).join(' OR ')})`;

/** The order of `alias`'s row is flagged lost or stuck: its evidence stays until the flag clears. */
export const ofFlaggedOrder = (alias: string) =>
  `EXISTS (SELECT 1 FROM orders o WHERE o.order_id = ${alias}.order_id AND o.attention IS NOT NULL)`;
