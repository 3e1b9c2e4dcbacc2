-- Messages and journal partitioned by day (UTC), so that retention drops a day at a time instead of
-- deleting rows (src/ledger/postgres/partitions.ts, retention.ts). Existing rows are moved over.
--
-- messages is partitioned on its id, and the id says the day: id = day * 2^37 + a sequence number
-- (day = created_at / 86400000). Looking a message up by id (every write of the pipeline does) then
-- reads one partition; partitioned on created_at, each look-up would plan and probe every partition
-- (measured 1.1 ms against 0.085 ms with 40 partitions). A window on created_at is the id range of
-- its days. 2^37 keeps ids below 2^53 (JS numbers) until the year 2149.
-- journal is partitioned on its time, `at`: nothing looks it up by id.
--
-- A unique constraint of a partitioned table must include the partition key, so the duplicate
-- check of (channel, message_id) moves to message_keys, one narrow row per message, unpartitioned.
--
-- Each table keeps a DEFAULT partition. It holds (1) the rows retention kept when it dropped their
-- day (an open command, an unconfirmed event, a flagged order's timeline): older than every day
-- partition, pruned row by row as before; (2) rows of a day that had no partition when written
-- (the gateway creates them days ahead; a write never fails for want of one): making that day's
-- partition moves them into it, and the gateway warns when it does.

CREATE SEQUENCE message_rows;
CREATE SEQUENCE journal_rows;

-- The day partition of `parent` ('messages' or 'journal') for UTC day `day` (days since 1970), made
-- if missing. Rows of that day in the DEFAULT partition are moved into it. Returns how many rows
-- were moved, or -1 when the partition was already there. Callers hold the partition lock.
CREATE FUNCTION ledger_day_partition(parent TEXT, day INTEGER) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  part TEXT := parent || '_p' || to_char(to_timestamp(day::bigint * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
  key TEXT := CASE parent WHEN 'messages' THEN 'id' WHEN 'journal' THEN 'at' END;
  span BIGINT := CASE parent WHEN 'messages' THEN 137438953472 ELSE 86400000 END;
  lo BIGINT := day::bigint * span;
  hi BIGINT := (day::bigint + 1) * span;
  strays BOOLEAN;
  moved BIGINT;
BEGIN
  IF key IS NULL THEN RAISE EXCEPTION 'not a partitioned ledger table: %', parent; END IF;
  IF to_regclass(part) IS NOT NULL THEN RETURN -1; END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %s AND %I < %s)', parent || '_default', key, lo, key, hi)
    INTO strays;
  IF NOT strays THEN
    EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%s) TO (%s)', part, parent, lo, hi);
    RETURN 0;
  END IF;
  -- A partition cannot be made over rows the DEFAULT partition holds: they move first, in this transaction.
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('WITH gone AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) INSERT INTO %I SELECT * FROM gone',
    parent || '_default', key, lo, key, hi, part);
  GET DIAGNOSTICS moved = ROW_COUNT;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, lo, hi);
  RETURN moved;
END $$;

ALTER TABLE messages RENAME TO messages_unpartitioned;
ALTER TABLE journal RENAME TO journal_unpartitioned;

CREATE TABLE messages (
  id          BIGINT NOT NULL,          -- day * 2^37 + nextval('message_rows'): see above
  direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  channel     TEXT COLLATE "C" NOT NULL,
  type        TEXT NOT NULL,
  message_id  TEXT COLLATE "C" NOT NULL,
  cause_id    BIGINT,                   -- no foreign key: retention keeps a kept message's causes itself
  order_id    TEXT COLLATE "C",
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  deliveries  INTEGER NOT NULL DEFAULT 1,
  reason      TEXT,
  trace_id    TEXT,
  routing_key TEXT,
  payload     TEXT,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  due_at      BIGINT
) PARTITION BY RANGE (id);
CREATE TABLE messages_default PARTITION OF messages DEFAULT;

CREATE TABLE journal (
  id          BIGINT NOT NULL DEFAULT nextval('journal_rows'),
  at          BIGINT NOT NULL,
  order_id    TEXT COLLATE "C",
  message_row BIGINT,
  kind        TEXT NOT NULL,
  detail      TEXT
) PARTITION BY RANGE (at);
CREATE TABLE journal_default PARTITION OF journal DEFAULT;

-- One row per message: (channel, message_id) is unique across every partition; row_id finds it.
CREATE TABLE message_keys (
  channel    TEXT COLLATE "C" NOT NULL,
  message_id TEXT COLLATE "C" NOT NULL,
  row_id     BIGINT NOT NULL,
  PRIMARY KEY (channel, message_id)
);
CREATE INDEX message_keys_row ON message_keys (row_id);

-- Every day the old ledger has rows for gets its partition; the rows follow, ids renumbered.
SELECT ledger_day_partition('messages', d::integer) FROM (SELECT DISTINCT created_at / 86400000 AS d FROM messages_unpartitioned) AS days;
SELECT ledger_day_partition('journal', d::integer) FROM (SELECT DISTINCT at / 86400000 AS d FROM journal_unpartitioned) AS days;

SELECT setval('message_rows', COALESCE((SELECT MAX(id) FROM messages_unpartitioned), 0) + 1, false);
SELECT setval('journal_rows', COALESCE((SELECT MAX(id) FROM journal_unpartitioned), 0) + 1, false);

INSERT INTO messages
SELECT (m.created_at / 86400000) * 137438953472 + m.id, m.direction, m.channel, m.type, m.message_id,
  (c.created_at / 86400000) * 137438953472 + c.id, m.order_id, m.state, m.attempts, m.deliveries, m.reason,
  m.trace_id, m.routing_key, m.payload, m.created_at, m.updated_at, m.due_at
FROM messages_unpartitioned m LEFT JOIN messages_unpartitioned c ON c.id = m.cause_id;

INSERT INTO journal
SELECT j.id, j.at, j.order_id, (m.created_at / 86400000) * 137438953472 + m.id, j.kind, j.detail
FROM journal_unpartitioned j LEFT JOIN messages_unpartitioned m ON m.id = j.message_row;

INSERT INTO message_keys SELECT channel, message_id, id FROM messages;

DROP TABLE journal_unpartitioned;
DROP TABLE messages_unpartitioned;

ALTER TABLE messages ADD PRIMARY KEY (id);
CREATE INDEX messages_order ON messages (order_id, id);
CREATE INDEX messages_due ON messages (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX messages_unpublished ON messages (created_at) WHERE state = 'pending';
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_cause ON messages (cause_id) WHERE cause_id IS NOT NULL;
CREATE INDEX journal_order ON journal (order_id, id);
CREATE INDEX journal_at ON journal (at);
