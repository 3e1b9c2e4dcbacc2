import type { OpenCommand } from '../model.js';
import type { IdempotencyKeyRow } from '../record-partner-order.js';
import type { OverdueCommand } from '../record-watchdog.js';
import type { LedgerRows } from '../rows-port.js';
import type { MessageRow } from '../rows.js';
import type { PgContext } from './context.js';
import type { Tx } from './group-commit.js';
import { sql } from './statements.js';
import { insertDeliveries } from './webhooks.js';

/** The rows port on a unit's transaction: reads are awaited, writes whose answer is not needed are pipelined. */
export function pgRows(ctx: PgContext, tx: Tx): LedgerRows {
  const first = async <R extends object>(text: string, values: unknown[]) => (await tx.query<R>(text, values)).rows[0]!;
  return {
    insertMessage: (m, now) => ctx.insertMessage(tx, m, now),
    findMessage: (channel, messageId) => ctx.findMessage(tx, channel, messageId),
    loadOrder: (orderId) => ctx.loadOrder(tx, orderId),
    createsOfOrder: async (orderId) => (await first<{ n: number }>(sql.createsOfOrder, [orderId])).n,
    openCommands: async (order) =>
      (await tx.query<OpenCommand>(sql.openCommands, [order.orderId, order.createdAt])).rows,
    outOfCommand: (commandRowId) => first<MessageRow>(sql.outOfCommand, [commandRowId]),
    unpublishedCausedBy: async (rowId) => (await tx.query<MessageRow>(sql.unpublishedCausedBy, [rowId])).rows,
    updateOrder: (order, update, now) => ctx.updateOrder(tx, order, update, now),
    insertOrder: (input, now) => ctx.insertOrder(tx, input, now),
    setMessageState: (rowId, state, reason, now) => ctx.setMessageState(tx, rowId, state, reason, now),
    journal: (now, orderId, rowId, entry) => ctx.journal(tx, now, orderId, rowId, entry),
    countDelivery: (rowId, now) => tx.send(sql.countDelivery, [now, rowId]),
    countDeliveryOf: (channel, messageId, now) => tx.send(sql.countDeliveryOf, [now, channel, messageId]),
    closeCommand: (commandRowId, state, reason, now) =>
      tx.send(sql.closeCommand, [commandRowId, state, reason ?? null, now]),
    clearDue: (rowId, now) => tx.send(sql.clearDue, [now, rowId]),
    markForwarded: (commandRowId, outRowId, now, dueAt) =>
      tx.send(sql.markForwarded, [outRowId, now, dueAt, commandRowId]),
    markPublished: async (rowIds, now) => {
      const marked = await tx.query<{ order_id: string | null }>(sql.markPublished, [now, rowIds]);
      return [...new Set(marked.rows.flatMap((row) => (row.order_id === null ? [] : [row.order_id])))];
    },
    unconfirmedEventOf: async (order) =>
      (await tx.query(sql.unconfirmedEventOf, [order.orderId, order.createdAt])).rows.length > 0,
    pendingEventsOf: async (orderIds) => (await tx.query<MessageRow>(sql.pendingEventsOf, [orderIds])).rows,
    claim: (rowIds, now) => tx.send(sql.claim, [rowIds, now]),
    orderEventDeliveries: ctx.orderEventDeliveries,
    enqueueDeliveries: (deliveries, now) => insertDeliveries(tx, deliveries, now),
    overdueCommandByRow: async (rowId) => (await tx.query<OverdueCommand>(sql.openCommandByRow, [rowId])).rows[0],
    reforward: (rowId, dueAt, now) => tx.send(sql.reforward, [rowId, dueAt, now]),
    findIdempotencyKey: async (partner, key) =>
      (await tx.query<IdempotencyKeyRow>(sql.findIdempotencyKey, [partner, key])).rows[0],
    insertIdempotencyKey: (partner, key, requestHash, now) =>
      tx.send(sql.insertIdempotencyKey, [partner, key, requestHash, now]),
  };
}
