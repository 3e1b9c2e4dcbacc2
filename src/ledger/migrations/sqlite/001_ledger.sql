-- One row per order: its external status, attention flag and the deadlines the watchdog checks.
CREATE TABLE orders (
  order_id          TEXT PRIMARY KEY,
  partner           TEXT NOT NULL,
  status            TEXT NOT NULL,
  status_since      TEXT NOT NULL,      -- time of the fact that set the status (its source's clock)
  status_entered_at INTEGER NOT NULL,   -- gateway clock (ms): deadlines count from here
  last_fact_at      TEXT NOT NULL,      -- JSON: newest fact time per source, for out-of-order checks
  attention         TEXT CHECK (attention IN ('lost', 'stuck')),
  attention_since   INTEGER,
  attention_reason  TEXT,
  stuck_at          INTEGER,            -- when the current status's deadline passes; NULL: none
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX orders_stuck_at ON orders (stuck_at) WHERE stuck_at IS NOT NULL AND attention IS NULL;
CREATE INDEX orders_updated ON orders (updated_at, order_id);
CREATE INDEX orders_partner_updated ON orders (partner, updated_at, order_id);

-- One row per message in each direction. (channel, message_id) is unique: a redelivered or
-- duplicated message finds its row instead of making a second one.
CREATE TABLE messages (
  id          INTEGER PRIMARY KEY,
  direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  channel     TEXT NOT NULL,            -- crm.command | crm.fact | mes.event | mes.command | order.event
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
  due_at      INTEGER,                  -- forwarded commands: when the watchdog acts next
  UNIQUE (channel, message_id)
);
CREATE INDEX messages_order ON messages (order_id, id);
CREATE INDEX messages_due ON messages (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX messages_unpublished ON messages (created_at) WHERE state = 'pending';
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_cause ON messages (cause_id) WHERE cause_id IS NOT NULL;

-- What happened to an order besides message arrivals: status changes, acknowledgements,
-- re-forwards, attention flags, duplicates. The order timeline reads it with messages.
CREATE TABLE journal (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  order_id    TEXT,
  message_row INTEGER,
  kind        TEXT NOT NULL,
  detail      TEXT
);
CREATE INDEX journal_order ON journal (order_id, id);
CREATE INDEX journal_at ON journal (at);
