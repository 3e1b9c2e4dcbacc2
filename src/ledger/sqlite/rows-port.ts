import type { OpenCommand } from '../model.js';
import type { IdempotencyKeyRow } from '../record-partner-order.js';
import type { OverdueCommand } from '../record-watchdog.js';
import type { LedgerRows } from '../rows-port.js';
import type { MessageRow } from '../rows.js';
import type { SqliteContext } from './context.js';

/** The rows port on the connection: every answer at once, inside the group commit's transaction. */
export function sqliteRows(ctx: SqliteContext): LedgerRows {
  const { sql } = ctx;
  return {
    insertMessage: (m, now) => ctx.insertMessage(m, now),
    findMessage: (channel, messageId) => sql.findMessage.get(channel, messageId) as MessageRow,
    loadOrder: (orderId) => ctx.loadOrder(orderId),
    createsOfOrder: (orderId) => sql.createsOfOrder.pluck().get(orderId) as number,
    openCommands: (order) => sql.openCommands.all(order.orderId) as OpenCommand[],
    outOfCommand: (commandRowId) => sql.outOfCommand.get(commandRowId) as MessageRow,
    unpublishedCausedBy: (rowId) => sql.unpublishedCausedBy.all(rowId) as MessageRow[],
    updateOrder: (order, update, now) => ctx.updateOrder(order, update, now),
    insertOrder: (input, now) => ctx.insertOrder(input, now),
    setMessageState: (id, state, reason, now) => {
      sql.setMessageState.run({ id, state, reason: reason ?? null, orderId: null, now });
    },
    journal: (now, orderId, rowId, entry) => ctx.journal(now, orderId, rowId, entry),
    countDelivery: (rowId, now) => {
      sql.countDelivery.run(now, rowId);
    },
    countDeliveryOf: (channel, messageId, now) => {
      const row = sql.findMessage.get(channel, messageId) as MessageRow;
      sql.countDelivery.run(now, row.id);
    },
    closeCommand: (id, state, reason, now) => {
      sql.closeCommand.run({ id, state, reason: reason ?? null, now });
    },
    clearDue: (rowId, now) => {
      sql.clearDue.run(now, rowId);
    },
    markForwarded: (commandRowId, outRowId, now, dueAt) => {
      const forwardedNow = sql.markCommandForwarded.run(now, commandRowId).changes === 1;
      const due = forwardedNow || sql.commandAwaitsAnswer.get(commandRowId) !== undefined;
      sql.markOutForwarded.run(now, due ? dueAt : null, outRowId);
    },
    markPublished: (rowIds, now) => {
      const orders = new Set<string>();
      for (const id of rowIds) {
        const marked = sql.markPublished.get(now, id) as Pick<MessageRow, 'channel' | 'order_id'> | undefined;
        if (marked?.channel === 'order.event' && marked.order_id !== null) orders.add(marked.order_id);
      }
      return [...orders];
    },
    unconfirmedEventOf: (order) => sql.unconfirmedEventOf.get(order.orderId) !== undefined,
    pendingEventsOf: (orderIds) => sql.pendingEventsOf.all(JSON.stringify(orderIds)) as MessageRow[],
    claim: (rowIds, now) => {
      for (const id of rowIds) sql.claim.run(now, id);
    },
    orderEventDeliveries: ctx.orderEventDeliveries,
    enqueueDeliveries: (deliveries, now) => {
      ctx.webhooks.enqueueNow(deliveries, now);
    },
    overdueCommandByRow: (rowId) => sql.openCommandByRow.get(rowId) as OverdueCommand | undefined,
    reforward: (id, dueAt, now) => {
      sql.reforward.run({ id, dueAt, now });
    },
    findIdempotencyKey: (partner, key) => sql.findIdempotencyKey.get(partner, key) as IdempotencyKeyRow | undefined,
    insertIdempotencyKey: (partner, key, requestHash, now) => {
      sql.insertIdempotencyKey.run(partner, key, requestHash, now);
    },
  };
}
