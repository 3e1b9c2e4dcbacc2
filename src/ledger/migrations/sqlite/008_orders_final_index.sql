-- orders_updated (updated_at, order_id) had one reader, retention, which looks only for orders in a
-- final status and not flagged. Every new order and every status change wrote an entry to it; this
-- index holds only the orders retention may prune. Its condition is the term retention's query
-- names (finalUnflaggedOrder in src/ledger/retention-rules.ts), as SQLite uses a partial index only
-- for a query that states its condition: the final statuses of the status model (contracts/), as
-- comparisons joined by OR (an IN list costs a temporary b-tree at every write: migration 005).
DROP INDEX orders_updated;
CREATE INDEX orders_final ON orders (updated_at)
  WHERE attention IS NULL AND (status = 'delivered' OR status = 'rejected' OR status = 'cancelled');
