-- The reconciliation report's reads of a day (src/ledger/postgres/report.ts), answered from indexes
-- alone instead of scanning the day's partitions: a 24 h report over a 10 M-message ledger
-- (bench/RESULTS.md, 2026-12-06 17:30).

-- The window's commands and MES events by channel, with every column the report's counts and its
-- acknowledgement-latency join read (index-only scans). Only the channels report.ts counts
-- (countedChannels): order events and partner requests are not in it.
CREATE INDEX messages_report ON messages (channel, created_at) INCLUDE (id, state, attempts, updated_at, cause_id, reason)
  WHERE channel IN ('crm.command', 'mes.command', 'mes.event');

-- The few journal entries the report lists (duplicate deliveries, quarantined MES states) instead of
-- every entry of the window.
CREATE INDEX journal_report_kinds ON journal (at) WHERE kind IN ('duplicate_delivery', 'quarantined');

-- Orders by status in the window, and the flagged orders, without reading the orders: the same keys
-- as the indexes they replace (an order's update changes updated_at, indexed already, so it writes
-- every index entry again either way).
CREATE INDEX orders_created_status ON orders (created_at) INCLUDE (status);
DROP INDEX orders_created;
CREATE INDEX orders_flagged ON orders (attention_since) INCLUDE (order_id, status, attention) WHERE attention IS NOT NULL;
DROP INDEX orders_attention;
