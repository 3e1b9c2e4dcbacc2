-- The report's counts by channel and state, kept by the writes instead of counted at each report: a
-- day of a 10 M-message ledger is 3.1 M index entries to visit (~0.7 s of the server's CPU), its
-- hours ~140 rows here (src/ledger/postgres/report.ts, bench/RESULTS.md 2026-12-07).
--
-- Every insert, update of state/attempts/reason, and delete of a counted message adds rows of
-- +1/-1 for the hour it was created in: rows are only ever inserted, so writers on several gateways
-- never wait on one another for a count. The gateway's retention tick folds each hour's key into
-- one row again (compactMessageCounts in retention.ts); a report sums whatever rows are there.
-- The channels are report.ts' countedChannels, the only ones the report counts.
CREATE TABLE message_counts (
  hour        BIGINT NOT NULL,          -- created_at / 3600000 of the messages counted
  channel     TEXT COLLATE "C" NOT NULL,
  state       TEXT COLLATE "C" NOT NULL,
  n           BIGINT NOT NULL,
  reforwarded BIGINT NOT NULL,          -- of them, sent more than once (attempts > 1)
  by_evidence BIGINT NOT NULL           -- of them, closed by evidence (reason 'evidence:…')
);
-- No index: a report reads every row (the folded hours of the retention, ~15 rows an hour, and what
-- the writes added since the last tick), and an index would cost each write another entry.

-- Moving rows between partitions (a day's partition made over rows of the DEFAULT one) neither adds
-- nor removes a message: the mover sets orderbridge.moving_rows for its transaction, and nothing is counted.
CREATE FUNCTION count_message_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('orderbridge.moving_rows', true) = 'on' THEN RETURN NULL; END IF;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO message_counts VALUES (NEW.created_at / 3600000, NEW.channel, NEW.state, 1,
      (NEW.attempts > 1)::int, COALESCE(NEW.reason LIKE 'evidence:%', false)::int);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO message_counts VALUES (OLD.created_at / 3600000, OLD.channel, OLD.state, -1,
      -(OLD.attempts > 1)::int, -COALESCE(OLD.reason LIKE 'evidence:%', false)::int);
  ELSE
    INSERT INTO message_counts VALUES
      (OLD.created_at / 3600000, OLD.channel, OLD.state, -1,
        -(OLD.attempts > 1)::int, -COALESCE(OLD.reason LIKE 'evidence:%', false)::int),
      (NEW.created_at / 3600000, NEW.channel, NEW.state, 1,
        (NEW.attempts > 1)::int, COALESCE(NEW.reason LIKE 'evidence:%', false)::int);
  END IF;
  RETURN NULL;
END $$;

-- The WHEN clauses are evaluated before a row's event is queued: other channels, and updates that
-- change nothing counted (deliveries, due_at, updated_at), cost no call. What the others cost: a
-- command's two inserts and three state changes took 306 µs of the server's CPU with them, 200
-- without (bench/RESULTS.md, 2026-12-07).
CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages FOR EACH ROW
  WHEN (NEW.channel IN ('crm.command', 'mes.command', 'mes.event'))
  EXECUTE FUNCTION count_message_change();
CREATE TRIGGER messages_counted_update AFTER UPDATE OF state, attempts, reason ON messages FOR EACH ROW
  WHEN (NEW.channel IN ('crm.command', 'mes.command', 'mes.event') AND (
    OLD.state IS DISTINCT FROM NEW.state OR (OLD.attempts > 1) <> (NEW.attempts > 1)
    OR COALESCE(OLD.reason LIKE 'evidence:%', false) <> COALESCE(NEW.reason LIKE 'evidence:%', false)))
  EXECUTE FUNCTION count_message_change();
CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages FOR EACH ROW
  WHEN (OLD.channel IN ('crm.command', 'mes.command', 'mes.event'))
  EXECUTE FUNCTION count_message_change();

-- The messages already there, counted once.
INSERT INTO message_counts
SELECT created_at / 3600000, channel, state, COUNT(*), COUNT(*) FILTER (WHERE attempts > 1),
  COUNT(*) FILTER (WHERE reason LIKE 'evidence:%')
FROM messages WHERE channel IN ('crm.command', 'mes.command', 'mes.event')
GROUP BY 1, 2, 3;

-- As in 003, but the rows moved out of the DEFAULT partition are not counted again (see above).
CREATE OR REPLACE FUNCTION ledger_day_partition(parent TEXT, day INTEGER) RETURNS BIGINT LANGUAGE plpgsql AS $$
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
  PERFORM set_config('orderbridge.moving_rows', 'on', true);
  EXECUTE format('WITH gone AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) INSERT INTO %I SELECT * FROM gone',
    parent || '_default', key, lo, key, hi, part);
  GET DIAGNOSTICS moved = ROW_COUNT;
  PERFORM set_config('orderbridge.moving_rows', 'off', true);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, lo, hi);
  RETURN moved;
END $$;
