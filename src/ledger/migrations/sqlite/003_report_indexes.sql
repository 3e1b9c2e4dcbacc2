-- The report's reads of a window (src/ledger/sqlite/report.ts, needs-action.ts) through the few rows
-- they need instead of every message or journal entry of the window, each looked up in the table.
-- Partial indexes of rows the pipeline rarely writes (trouble, duplicates, quarantines, attention
-- flags): a command that goes through as it should adds no entry to any of them. Figures:
-- bench/RESULTS.md, 2026-12-06, issue 18.

-- Messages that ended badly: lost, rejected or failed commands, invalid or dead-lettered messages
-- (the same index as on PostgreSQL, migration 004). A query uses it by naming this very term.
CREATE INDEX messages_needs_action ON messages (created_at)
  WHERE state IN ('rejected', 'failed', 'lost', 'invalid', 'dead_lettered');
CREATE INDEX journal_duplicates ON journal (at) WHERE kind = 'duplicate_delivery';
CREATE INDEX journal_quarantined ON journal (at) WHERE kind = 'quarantined';
CREATE INDEX orders_attention ON orders (attention_since) WHERE attention IS NOT NULL;
