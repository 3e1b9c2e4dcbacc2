import type { Database } from 'better-sqlite3';
import { heldBehindAnother } from '../held-events-sql.js';

/**
 * The term two partial indexes of migration 006 share, messages_message_id (unique) and
 * messages_unpublished: they leave MES commands out. A query names it, or SQLite does not use them.
 */
export const notMesCommand = (table?: string) => `${table ? `${table}.` : ''}channel <> 'mes.command'`;

/** Every SQL statement of the SQLite ledger, prepared once. Table names are constants. */
export function prepareStatements(db: Database) {
  return {
    // Positional (newMessageValues, then updated_at) and without RETURNING (the row id from run()):
    // named parameters and RETURNING cost ~5 µs an insert, the pipeline's most frequent statement.
    insertMessage: db.prepare(`
      INSERT INTO messages (direction, channel, type, message_id, cause_id, order_id, state, attempts, reason, trace_id, routing_key, payload, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (channel, message_id) WHERE ${notMesCommand()} DO NOTHING`),
    findMessage: db.prepare(`SELECT * FROM messages WHERE channel = ? AND message_id = ? AND ${notMesCommand()}`),
    countDelivery: db.prepare('UPDATE messages SET deliveries = deliveries + 1, updated_at = ? WHERE id = ?'),
    setMessageState: db.prepare(
      'UPDATE messages SET state = @state, reason = @reason, order_id = COALESCE(@orderId, order_id), updated_at = @now WHERE id = @id',
    ),
    // Not an order event held behind another cause's unconfirmed one: that one's publisher sends it next.
    unpublishedCausedBy: db.prepare(`
      SELECT * FROM messages m WHERE cause_id = ? AND state = 'pending'
        AND NOT (${heldBehindAnother('m')})
      ORDER BY id`),
    outOfCommand: db.prepare(`SELECT * FROM messages WHERE cause_id = ? AND channel = 'mes.command'`),
    // Forwarded only if nothing answered in between: an acknowledgement may overtake this mark.
    // The CRM command's row; its MES command's acknowledgement is due only while it awaits one.
    markCommandForwarded: db.prepare(
      `UPDATE messages SET state = 'forwarded', updated_at = ? WHERE id = ? AND state = 'received'`,
    ),
    commandAwaitsAnswer: db.prepare(`SELECT 1 FROM messages WHERE id = ? AND state IN ('received', 'forwarded')`),
    markOutForwarded: db.prepare(
      `UPDATE messages SET state = 'published', attempts = MAX(attempts, 1), updated_at = ?, due_at = ? WHERE id = ?`,
    ),
    markPublished: db.prepare(
      `UPDATE messages SET state = 'published', updated_at = ? WHERE id = ? AND state = 'pending' RETURNING channel, order_id`,
    ),
    unconfirmedEventOf: db.prepare(
      `SELECT 1 FROM messages WHERE order_id = ? AND channel = 'order.event' AND state = 'pending' LIMIT 1`,
    ),
    // Left to itself SQLite reads every order event through the (channel, message_id) index.
    pendingEventsOf: db.prepare(`
      SELECT * FROM messages INDEXED BY messages_pending_events
      WHERE order_id IN (SELECT value FROM json_each(?)) AND channel = 'order.event' AND state = 'pending'
      ORDER BY id`),
    claim: db.prepare('UPDATE messages SET updated_at = ? WHERE id = ?'),
    closeCommand: db.prepare('UPDATE messages SET state = @state, reason = @reason, updated_at = @now WHERE id = @id'),
    clearDue: db.prepare('UPDATE messages SET due_at = NULL, updated_at = ? WHERE id = ?'),
    reforward: db.prepare(
      'UPDATE messages SET attempts = attempts + 1, due_at = @dueAt, updated_at = @now WHERE id = @id',
    ),
    // The gateway's own record of where a dead letter came from: replays trust nothing else.
    // A refused row keeps its state when a replay frees its id (renamed id#refused-N): a replay
    // that did not get through must still find it. Both halves use the (channel, message_id) index.
    // Inbound MES messages kept as they arrived (ledger.keepMesEventBodies), oldest first.
    mesEventBodies: db.prepare(`
      SELECT payload AS body, created_at AS receivedAt FROM messages
      WHERE channel = 'mes.event' AND direction = 'in' AND payload IS NOT NULL AND created_at >= @from AND created_at < @to
      ORDER BY id LIMIT @limit
    `),
    deadLetteredChannels: db.prepare(`
      SELECT channel FROM messages
      WHERE channel IN ('crm.command', 'mes.event', 'crm.fact') AND message_id IN (SELECT value FROM json_each(@ids))
        AND ${notMesCommand()} AND direction = 'in' AND state IN ('invalid', 'dead_lettered')
      UNION
      SELECT m.channel FROM json_each(@ids) AS id CROSS JOIN messages m
        ON m.channel IN ('crm.command', 'mes.event', 'crm.fact') AND m.message_id > id.value || '#refused-' AND m.message_id < id.value || '#refused.'
      WHERE ${notMesCommand('m')} AND m.direction = 'in' AND m.state = 'dead_lettered'`),
    releaseRefused: db.prepare(
      `UPDATE messages SET message_id = message_id || '#refused-' || id WHERE channel = @channel AND message_id = @messageId AND ${notMesCommand()} AND state = 'dead_lettered'`,
    ),
    // Once per MES event: its states compared one by one, as an IN list of more than two values costs
    // a temporary b-tree at every run (migration 005).
    openCommands: db.prepare(`
      SELECT o.id AS rowId, o.cause_id AS sourceRowId, i.message_id AS crmMessageId, o.message_id AS mesMessageId,
             i.type AS type, i.state AS state, o.attempts AS attempts, o.created_at AS queuedAt
      FROM messages o JOIN messages i ON i.id = o.cause_id
      WHERE o.order_id = ? AND o.channel = 'mes.command'
        AND (i.state = 'received' OR i.state = 'forwarded' OR i.state = 'redelivered' OR i.state = 'lost')
      ORDER BY o.id`),
    openCommandByRow: db.prepare(`
      SELECT o.id AS rowId, o.cause_id AS sourceRowId, i.message_id AS crmMessageId, o.message_id AS mesMessageId,
             i.type AS type, i.state AS state, o.attempts AS attempts, o.due_at AS dueAt, o.order_id AS orderId,
             o.routing_key AS routingKey, o.payload AS payload
      FROM messages o JOIN messages i ON i.id = o.cause_id
      WHERE o.id = ? AND i.state IN ('forwarded', 'redelivered')`),
    overdue: db.prepare(
      'SELECT id AS rowId, order_id AS orderId, attempts FROM messages WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?',
    ),
    // The watchdog runs this every tick. Left to itself SQLite walks the whole table in id order (to
    // skip a sort for ORDER BY … LIMIT): ~9 ms per tick on 30,000 rows, on the event loop, growing
    // with the ledger. The partial index holds only the pending rows, of the channels swept.
    // An order event held behind an earlier unconfirmed one of its order is not due: that one's
    // publisher releases it (queue-order-events.ts), and one released since the cutoff is in flight.
    unpublished: db.prepare(`
      SELECT * FROM messages m INDEXED BY messages_unpublished
      WHERE state = 'pending' AND ${notMesCommand()} AND channel IN ('order.event', 'crm.request') AND created_at <= @cutoff AND updated_at <= @cutoff
        AND NOT (${heldBehindAnother('m')})
      ORDER BY id LIMIT @limit`),

    selectOrder: db.prepare('SELECT * FROM orders WHERE order_id = ?'),
    // Positional (newOrderValues, then created_at and updated_at), as insertMessage: once for every new order.
    insertOrder: db.prepare(`
      INSERT INTO orders (order_id, partner, status, status_since, last_fact_at, stuck_at, received_at, status_entered_at, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // Compare-and-set on version: a concurrent writer (another replica) makes this update miss.
    updateOrder: db.prepare(`
      UPDATE orders SET status = @status, status_since = @statusSince, status_entered_at = @statusEnteredAt, last_fact_at = @lastFactAt,
        attention = @attention, attention_since = @attentionSince, attention_reason = @attentionReason, stuck_at = @stuckAt,
        updated_at = @now, version = version + 1
      WHERE order_id = @orderId AND version = @version`),
    orderCreation: db.prepare('SELECT created_at, received_at FROM orders WHERE order_id = ?'),
    statusHistory: db.prepare(
      `SELECT at, detail FROM journal WHERE order_id = ? AND kind = 'status_changed' ORDER BY id LIMIT ?`,
    ),
    listOrders: db.prepare(`
      SELECT * FROM orders
      WHERE partner = @partner AND (@status IS NULL OR status = @status) AND updated_at >= @updatedSince
        AND (updated_at, order_id) > (@afterUpdatedAt, @afterOrderId)
      ORDER BY updated_at, order_id
      LIMIT @limit`),
    stuckOrders: db.prepare(
      'SELECT * FROM orders WHERE stuck_at IS NOT NULL AND stuck_at <= ? AND attention IS NULL ORDER BY stuck_at LIMIT ?',
    ),

    findIdempotencyKey: db.prepare('SELECT * FROM idempotency_keys WHERE partner = ? AND key = ?'),
    insertIdempotencyKey: db.prepare(
      `INSERT INTO idempotency_keys (partner, key, request_hash, state, created_at) VALUES (?, ?, ?, 'in_flight', ?)`,
    ),
    finishIdempotencyKey: db.prepare(
      `UPDATE idempotency_keys SET state = 'done', status_code = ?, response = ? WHERE partner = ? AND key = ?`,
    ),
    dropIdempotencyKey: db.prepare('DELETE FROM idempotency_keys WHERE partner = ? AND key = ?'),
    createsOfOrder: db.prepare(
      `SELECT COUNT(*) FROM messages WHERE order_id = ? AND channel = 'crm.command' AND type = 'order.create'`,
    ),
    journal: db.prepare('INSERT INTO journal (at, order_id, message_row, kind, detail) VALUES (?, ?, ?, ?, ?)'),
    timelineMessages: db.prepare(
      'SELECT id, created_at, channel, direction, type, message_id, state, reason, attempts, deliveries, trace_id FROM messages WHERE order_id = ? ORDER BY id',
    ),
    timelineJournal: db.prepare('SELECT at, kind, message_row, detail FROM journal WHERE order_id = ? ORDER BY id'),

    ordersByStatus: db.prepare('SELECT status, COUNT(*) AS n FROM orders GROUP BY status'),
    attentionCounts: db.prepare(
      'SELECT attention, COUNT(*) AS n FROM orders WHERE attention IS NOT NULL GROUP BY attention',
    ),
    messagesByState: db.prepare('SELECT channel, state, COUNT(*) AS n FROM messages GROUP BY channel, state'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

export type { MessageRow, OrderRow } from '../rows.js';
