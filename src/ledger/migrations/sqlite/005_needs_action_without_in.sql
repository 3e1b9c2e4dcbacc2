-- messages_needs_action (migration 003) again, its condition written as comparisons joined by OR
-- instead of an IN list: SQLite evaluates an IN list of more than two constants by building a
-- temporary b-tree each time, and a partial index's condition is evaluated at every insert and every
-- state change of a message, so the list cost the pipeline ~4 µs on each of them (bench/RESULTS.md,
-- 2026-12-07). The queries name the same term (needsActionState in src/ledger/sqlite/report.ts).
DROP INDEX messages_needs_action;
CREATE INDEX messages_needs_action ON messages (created_at)
  WHERE (state = 'rejected' OR state = 'failed' OR state = 'lost' OR state = 'invalid' OR state = 'dead_lettered');
