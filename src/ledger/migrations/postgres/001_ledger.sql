-- The PostgreSQL ledger: the same tables as the SQLite one (src/ledger/migrations/sqlite/), times as
-- epoch milliseconds (BIGINT). Keys compare byte-wise (COLLATE "C"), as in SQLite: keyset pages, the
-- order in which rows are locked and the '#refused-' range of a freed message id depend on it.

-- One row per order: its external status, attention flag and the deadlines the watchdog checks.
CREATE TABLE orders (
  order_id          TEXT COLLATE "C" PRIMARY KEY,
  partner           TEXT COLLATE "C" NOT NULL,
  status            TEXT NOT NULL,
  status_since      TEXT NOT NULL,      -- time of the fact that set the status (its source's clock)
  status_entered_at BIGINT NOT NULL,    -- gateway clock (ms): deadlines count from here
  last_fact_at      TEXT NOT NULL,      -- JSON: newest fact time per source, for out-of-order checks
  attention         TEXT CHECK (attention IN ('lost', 'stuck')),
  attention_since   BIGINT,
  attention_reason  TEXT,
  stuck_at          BIGINT,             -- when the current status's deadline passes; NULL: none
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  version           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX orders_stuck_at ON orders (stuck_at) WHERE stuck_at IS NOT NULL AND attention IS NULL;
CREATE INDEX orders_updated ON orders (updated_at, order_id);
CREATE INDEX orders_partner_updated ON orders (partner, updated_at, order_id);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_attention ON orders (attention_since) WHERE attention IS NOT NULL;

-- One row per message in each direction. (channel, message_id) is unique: a redelivered or
-- duplicated message finds its row instead of making a second one.
CREATE TABLE messages (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  channel     TEXT COLLATE "C" NOT NULL,
  type        TEXT NOT NULL,
  message_id  TEXT COLLATE "C" NOT NULL,
  cause_id    BIGINT REFERENCES messages (id),
  order_id    TEXT COLLATE "C",
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  deliveries  INTEGER NOT NULL DEFAULT 1,
  reason      TEXT,
  trace_id    TEXT,
  routing_key TEXT,
  payload     TEXT,                     -- out messages: the exact bytes to (re)publish
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  due_at      BIGINT,                   -- forwarded commands: when the watchdog acts next
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
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          BIGINT NOT NULL,
  order_id    TEXT COLLATE "C",
  message_row BIGINT,
  kind        TEXT NOT NULL,
  detail      TEXT                      -- JSON
);
CREATE INDEX journal_order ON journal (order_id, id);
CREATE INDEX journal_at ON journal (at);
