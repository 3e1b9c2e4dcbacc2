// Every SQL statement of the PostgreSQL ledger's pipeline and reads. Table names are constants; the
// statements mirror src/ledger/sqlite/statements.ts, parameters positional ($n) as pg wants them.
import { orderLockClass } from './group-commit.js';
import { heldBehindAnother } from '../held-events-sql.js';
import { dayMs, firstRowIdOfDay, rowIdsOfDayOf, rowIdsPerDay, rowIdsWithin } from './partitions.js';
import { prepared } from './prepared.js';

const openCommandColumns = `o.id AS "rowId", o.cause_id AS "sourceRowId", i.message_id AS "crmMessageId",
  o.message_id AS "mesMessageId", i.type AS type, i.state AS state, o.attempts AS attempts, o.created_at AS "queuedAt"`;

/** The order rows were written in: their ids' sequence part (the day part is the writer's clock). */
const writeOrder = (row: string) => `(${row}.id % ${rowIdsPerDay})`;

export const sql = prepared({
  // (channel, message_id) is unique in message_keys (a unique index of the partitioned messages could
  // only be unique within a day): a duplicate inserts nothing. The id names the day (partitions.ts).
  // $1 direction, $2 channel, $3 type, $4 message_id, $5 cause_id, $6 order_id, $7 state, $8 attempts,
  // $9 reason, $10 trace_id, $11 routing_key, $12 payload, $13 now
  insertMessage: `
    WITH key AS (
      INSERT INTO message_keys (channel, message_id, row_id)
      VALUES ($2, $4, ${firstRowIdOfDay('$13')} + nextval('message_rows') % ${rowIdsPerDay})
      ON CONFLICT (channel, message_id) DO NOTHING
      RETURNING row_id)
    INSERT INTO messages (id, direction, channel, type, message_id, cause_id, order_id, state, attempts, reason, trace_id, routing_key, payload, created_at, updated_at)
    SELECT row_id, $1, $2, $3, $4, $5::bigint, $6, $7, $8::integer, $9, $10, $11, $12, $13::bigint, $13::bigint FROM key
    RETURNING id`,
  // Two look-ups, not one join: a join would plan every partition of messages.
  findMessageRow: 'SELECT row_id AS id FROM message_keys WHERE channel = $1 AND message_id = $2',
  messageById: 'SELECT * FROM messages WHERE id = $1',
  countDelivery: 'UPDATE messages SET deliveries = deliveries + 1, updated_at = $1 WHERE id = $2',
  countDeliveryOf: `UPDATE messages SET deliveries = deliveries + 1, updated_at = $1
    WHERE id = (SELECT row_id FROM message_keys WHERE channel = $2 AND message_id = $3)`,
  // $1 id, $2 state, $3 reason, $4 now
  setMessageState: 'UPDATE messages SET state = $2, reason = $3, updated_at = $4 WHERE id = $1',
  // What a message caused was written with it or after it: days before its own are not read.
  // Not an order event held behind another cause's unconfirmed one: that one's publisher sends it next.
  unpublishedCausedBy: `
    SELECT * FROM messages m WHERE cause_id = $1 AND id >= $1::bigint / ${rowIdsPerDay} * ${rowIdsPerDay} AND state = 'pending'
      AND NOT (${heldBehindAnother('m', writeOrder)})
    ORDER BY id`,
  outOfCommand: `SELECT * FROM messages WHERE cause_id = $1 AND ${rowIdsOfDayOf('id', '$1')} AND channel = 'mes.command'`,
  // Forwarded only if nothing answered in between: an acknowledgement may overtake this mark.
  // An MES command and its CRM command are written in one unit, so in one day: naming that day lets
  // PostgreSQL plan one partition instead of all. $1 out row, $2 now, $3 due at, $4 CRM command row
  markForwarded: `
    WITH command AS (
      UPDATE messages SET state = 'forwarded', updated_at = $2
      WHERE id = $4 AND ${rowIdsOfDayOf('id', '$1')} AND state = 'received'
      RETURNING id)
    UPDATE messages SET state = 'published', attempts = GREATEST(attempts, 1), updated_at = $2,
      due_at = CASE WHEN EXISTS (SELECT 1 FROM command)
        OR (SELECT state FROM messages c WHERE c.id = $4 AND ${rowIdsOfDayOf('c.id', '$1')}) IN ('received', 'forwarded') THEN $3::bigint ELSE NULL END
    WHERE id = $1`,
  // $1 now, $2 rows. Returns the orders whose pending order events these were.
  markPublished: `
    UPDATE messages SET state = 'published', updated_at = $1 WHERE id = ANY($2::bigint[]) AND state = 'pending'
    RETURNING CASE WHEN channel = 'order.event' THEN order_id END AS order_id`,
  // An order's events are no older than the order: the days before it are not read (as openCommands).
  // $1 order, $2 order created at
  unconfirmedEventOf: `
    SELECT 1 FROM messages WHERE order_id = $1 AND channel = 'order.event' AND state = 'pending'
      AND id >= ${firstRowIdOfDay('$2')} - ${rowIdsPerDay}
    LIMIT 1`,
  // In write order: the sequence part of the id (its day part is the writer's clock). An order's
  // events are no older than the order (a day earlier still, as openCommands). $1 orders
  pendingEventsOf: `
    SELECT * FROM messages
    WHERE order_id = ANY($1::text[]) AND channel = 'order.event' AND state = 'pending'
      AND id >= ${firstRowIdOfDay('(SELECT min(created_at) FROM orders WHERE order_id = ANY($1::text[]))')} - ${rowIdsPerDay}
    ORDER BY ${writeOrder('messages')}`,
  // $1 rows, $2 now
  claim: 'UPDATE messages SET updated_at = $2 WHERE id = ANY($1::bigint[])',
  // $1 id, $2 state, $3 reason, $4 now
  closeCommand: 'UPDATE messages SET state = $2, reason = $3, updated_at = $4 WHERE id = $1',
  clearDue: 'UPDATE messages SET due_at = NULL, updated_at = $1 WHERE id = $2',
  // $1 id, $2 due at, $3 now
  reforward: 'UPDATE messages SET attempts = attempts + 1, due_at = $2, updated_at = $3 WHERE id = $1',
  mesEventBodies: `
    SELECT payload AS body, created_at AS "receivedAt" FROM messages
    WHERE channel = 'mes.event' AND direction = 'in' AND payload IS NOT NULL AND created_at >= $1 AND created_at < $2
      AND ${rowIdsWithin('id', '$1', '$2')}
    ORDER BY id LIMIT $3`,
  // The gateway's own record of where a dead letter came from: replays trust nothing else. A
  // refused row keeps its state when a replay frees its id (renamed id#refused-N): a replay that did
  // not get through must still find it. Both halves find ids by message_keys' (channel, message_id).
  deadLetteredChannels: `
    SELECT m.channel FROM message_keys k JOIN messages m ON m.id = k.row_id
    WHERE k.channel IN ('crm.command', 'mes.event', 'crm.fact') AND k.message_id = ANY($1::text[])
      AND m.direction = 'in' AND m.state IN ('invalid', 'dead_lettered')
    UNION
    SELECT m.channel FROM unnest($1::text[]) AS id (value) JOIN message_keys k
      ON k.channel IN ('crm.command', 'mes.event', 'crm.fact')
        AND k.message_id > id.value || '#refused-' AND k.message_id < id.value || '#refused.'
      JOIN messages m ON m.id = k.row_id
    WHERE m.direction = 'in' AND m.state = 'dead_lettered'`,
  // The key is renamed with its message: the replayed copy takes the freed one.
  releaseRefused: `
    WITH renamed AS (
      UPDATE messages SET message_id = message_id || '#refused-' || id
      WHERE id IN (SELECT row_id FROM message_keys WHERE channel = $1 AND message_id = ANY($2::text[])) AND state = 'dead_lettered'
      RETURNING id, message_id)
    UPDATE message_keys k SET message_id = renamed.message_id FROM renamed WHERE k.row_id = renamed.id`,
  // An order's commands are no older than the order ($2: its created_at): the days before it are not
  // read. One day earlier still, so that a gateway whose clock is behind another's by less than a
  // day, writing around midnight, does not hide a command. $1 order, $2 order created at
  openCommands: `
    SELECT ${openCommandColumns}
    FROM messages o JOIN messages i ON i.id = o.cause_id
    WHERE o.order_id = $1 AND o.channel = 'mes.command' AND i.state IN ('received', 'forwarded', 'redelivered', 'lost')
      AND o.id >= ${firstRowIdOfDay('$2')} - ${rowIdsPerDay} AND i.id >= ${firstRowIdOfDay('$2')} - ${rowIdsPerDay}
    ORDER BY o.id`,
  openCommandByRow: `
    SELECT ${openCommandColumns}, o.due_at AS "dueAt", o.order_id AS "orderId", o.routing_key AS "routingKey", o.payload AS payload
    FROM messages o JOIN messages i ON i.id = o.cause_id
    WHERE o.id = $1 AND ${rowIdsOfDayOf('i.id', '$1')} AND i.state IN ('forwarded', 'redelivered')`,
  overdue: `SELECT id AS "rowId", order_id AS "orderId", attempts FROM messages WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at LIMIT $2`,
  unpublished: `
    SELECT id FROM messages m
    WHERE state = 'pending' AND channel IN ('order.event', 'crm.request') AND created_at <= $1 AND updated_at <= $1
      AND NOT (${heldBehindAnother('m', writeOrder)})
    LIMIT 1`,
  // Several gateways sweep: a row another is claiming is passed over (SKIP LOCKED), and a claimed row
  // is touched, so no gateway sweeps it again until it is as old as an unconfirmed one (the publish
  // and its confirmation happen after this commit, outside any lock). An order event held behind an
  // earlier unconfirmed one of its order is not due: that one's publisher releases it
  // (queue-order-events.ts). $1 cutoff, $2 limit, $3 now
  claimUnpublished: `
    WITH due AS (
      SELECT id FROM messages m
      WHERE state = 'pending' AND channel IN ('order.event', 'crm.request') AND created_at <= $1 AND updated_at <= $1
        AND NOT (${heldBehindAnother('m', writeOrder)})
      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
    UPDATE messages m SET updated_at = $3 FROM due WHERE m.id = due.id
    RETURNING m.*`,

  selectOrder: 'SELECT * FROM orders WHERE order_id = $1',
  // newOrderValues: $1 order, $2 partner, $3 status, $4 status since, $5 last fact at, $6 stuck at, $7 received at, $8 now
  insertOrder: `
    INSERT INTO orders (order_id, partner, status, status_since, status_entered_at, last_fact_at, stuck_at, received_at, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $8, $5, $6, $7, $8, $8)`,
  // Compare-and-set on version: a concurrent writer (another replica) makes this update miss.
  // $1 order, $2 version, $3 status, $4 status since, $5 status entered at, $6 last fact at,
  // $7 attention, $8 attention since, $9 attention reason, $10 stuck at, $11 now
  updateOrder: `
    UPDATE orders SET status = $3, status_since = $4, status_entered_at = $5, last_fact_at = $6,
      attention = $7, attention_since = $8, attention_reason = $9, stuck_at = $10,
      updated_at = $11, version = version + 1
    WHERE order_id = $1 AND version = $2`,
  // Not before the order was made ($3, its created_at; a day earlier for clocks apart around
  // midnight, as openCommands): the journal's older days are not read. An unknown order has none.
  statusHistory: `
    SELECT at, detail FROM journal
    WHERE order_id = $1 AND kind = 'status_changed' AND at >= $3::bigint - ${dayMs}
    ORDER BY id LIMIT $2`,
  orderCreation: 'SELECT created_at, received_at FROM orders WHERE order_id = $1',
  // $1 partner, $2 status, $3 updated since, $4 after updated at, $5 after order id, $6 limit
  listOrders: `
    SELECT * FROM orders
    WHERE partner = $1 AND ($2::text IS NULL OR status = $2) AND updated_at >= $3
      AND (updated_at, order_id) > ($4, $5)
    ORDER BY updated_at, order_id
    LIMIT $6`,
  // The watchdog's sweeps take an order's lock only if nobody holds it (another gateway working on
  // that order): they pass over it this tick instead of waiting, as SKIP LOCKED does for rows.
  // Try-locks never wait, so they need no place in the sorted order the batch's locks are taken in.
  tryLockOrders: `SELECT id FROM unnest($1::text[]) AS id WHERE pg_try_advisory_xact_lock(${orderLockClass}, hashtext(id))`,
  tryLockOrderOfMessage: `SELECT pg_try_advisory_xact_lock(${orderLockClass}, hashtext(order_id)) AS locked FROM messages WHERE id = $1 AND order_id IS NOT NULL`,
  stuckOrderIds: `SELECT order_id FROM orders WHERE stuck_at IS NOT NULL AND stuck_at <= $1 AND attention IS NULL ORDER BY stuck_at LIMIT $2`,
  // Re-read under the locks: another writer may have moved or flagged them meanwhile.
  stuckOrdersAmong: `
    SELECT * FROM orders WHERE order_id = ANY($1::text[]) AND stuck_at IS NOT NULL AND stuck_at <= $2 AND attention IS NULL
    ORDER BY stuck_at, order_id`,

  findIdempotencyKey: 'SELECT * FROM idempotency_keys WHERE partner = $1 AND key = $2',
  insertIdempotencyKey: `INSERT INTO idempotency_keys (partner, key, request_hash, state, created_at) VALUES ($1, $2, $3, 'in_flight', $4)`,
  finishIdempotencyKey: `UPDATE idempotency_keys SET state = 'done', status_code = $1, response = $2 WHERE partner = $3 AND key = $4`,
  dropIdempotencyKey: 'DELETE FROM idempotency_keys WHERE partner = $1 AND key = $2',
  createsOfOrder: `SELECT COUNT(*)::int AS n FROM messages WHERE order_id = $1 AND channel = 'crm.command' AND type = 'order.create'`,
  journal: 'INSERT INTO journal (at, order_id, message_row, kind, detail) VALUES ($1, $2, $3, $4, $5)',
  timelineMessages:
    'SELECT id, created_at, channel, direction, type, message_id, state, reason, attempts, deliveries, trace_id FROM messages WHERE order_id = $1 ORDER BY id',
  timelineJournal: 'SELECT at, kind, message_row, detail FROM journal WHERE order_id = $1 ORDER BY id',

  ordersByStatus: 'SELECT status, COUNT(*)::int AS n FROM orders GROUP BY status',
  attentionCounts: 'SELECT attention, COUNT(*)::int AS n FROM orders WHERE attention IS NOT NULL GROUP BY attention',
  messagesByState: 'SELECT channel, state, COUNT(*)::int AS n FROM messages GROUP BY channel, state',
} as const);
