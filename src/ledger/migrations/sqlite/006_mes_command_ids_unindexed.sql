-- messages again, without its table-wide UNIQUE (channel, message_id): the same uniqueness now
-- comes from a partial index that leaves out MES commands. An MES command's id is a hash of its CRM
-- command's id (src/app/forward-crm-command.ts), whose own entry is unique, and nothing looks a
-- command up by it; but as a random key it put one more random page of that index into every
-- commit: ~3.3 KiB more written to the WAL and its checkpoint a command, ~15 µs of CPU (bench/RESULTS.md,
-- 2026-12-07). The lookups by id name the index's term (messageIdIndexed in statements.ts).
-- SQLite cannot drop a table constraint, so the table is rebuilt (migrateSqlite runs this with
-- foreign keys off and checks them before it commits).
CREATE TABLE messages_rebuilt (
  id          INTEGER PRIMARY KEY,
  direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  channel     TEXT NOT NULL,            -- crm.command | crm.fact | mes.event | mes.command | order.event | crm.request
  type        TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  cause_id    INTEGER REFERENCES messages (id),
  order_id    TEXT,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  deliveries  INTEGER NOT NULL DEFAULT 1,
  reason      TEXT,
  trace_id    TEXT,
  routing_key TEXT,
  payload     TEXT,                     -- out messages: the exact bytes to (re)publish
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  due_at      INTEGER                   -- forwarded commands: when the watchdog acts next
);
INSERT INTO messages_rebuilt (id, direction, channel, type, message_id, cause_id, order_id, state, attempts, deliveries,
                              reason, trace_id, routing_key, payload, created_at, updated_at, due_at)
  SELECT id, direction, channel, type, message_id, cause_id, order_id, state, attempts, deliveries,
         reason, trace_id, routing_key, payload, created_at, updated_at, due_at
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;

CREATE UNIQUE INDEX messages_message_id ON messages (channel, message_id) WHERE channel <> 'mes.command';
-- The indexes migrations 001, 004 and 005 made, as they were.
CREATE INDEX messages_order ON messages (order_id, id);
CREATE INDEX messages_due ON messages (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX messages_unpublished ON messages (created_at) WHERE state = 'pending';
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_cause ON messages (cause_id) WHERE cause_id IS NOT NULL;
CREATE INDEX messages_pending_events ON messages (order_id, id) WHERE channel = 'order.event' AND state = 'pending';
CREATE INDEX messages_needs_action ON messages (created_at)
  WHERE (state = 'rejected' OR state = 'failed' OR state = 'lost' OR state = 'invalid' OR state = 'dead_lettered');
