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

-- 003's ledger_day_partition, with nothing it moves out of the DEFAULT partition counted again: the
-- same function under another name, called with orderbridge.moving_rows on for the transaction.
ALTER FUNCTION ledger_day_partition(TEXT, INTEGER) RENAME TO ledger_day_partition_uncounted;
CREATE FUNCTION ledger_day_partition(parent TEXT, day INTEGER) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  moved BIGINT;
BEGIN
  PERFORM set_config('orderbridge.moving_rows', 'on', true);
  moved := ledger_day_partition_uncounted(parent, day);
  PERFORM set_config('orderbridge.moving_rows', 'off', true);
  RETURN moved;
END $$;
