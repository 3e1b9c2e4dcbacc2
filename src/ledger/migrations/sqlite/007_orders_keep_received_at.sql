-- The order's first status history entry ("received", from the command or request that created it)
-- moves from the journal to the order row: received_at is that command's sentAt, and the readers
-- (status history, timeline: receivedJournalRow in src/ledger/rows.ts) derive the entry from it.
-- Written in the journal, the entry was a row and two index entries per new order, a fifth of what
-- a command's commit wrote (bench/RESULTS.md, 2026-12-07). NULL: the order's entry was pruned
-- before this migration, or it was never written, and none is derived.
ALTER TABLE orders ADD COLUMN received_at TEXT;

-- The entry insertOrder wrote: the order's only status change without a message, at its creation.
UPDATE orders SET received_at = (
  SELECT json_extract(j.detail, '$.occurredAt') FROM journal j
  WHERE j.order_id = orders.order_id AND j.at = orders.created_at AND j.kind = 'status_changed'
    AND j.message_row IS NULL AND json_extract(j.detail, '$.to') = 'received'
  ORDER BY j.id LIMIT 1);

DELETE FROM journal
WHERE kind = 'status_changed' AND message_row IS NULL AND json_extract(detail, '$.to') = 'received'
  AND EXISTS (SELECT 1 FROM orders o WHERE o.order_id = journal.order_id AND o.created_at = journal.at AND o.received_at IS NOT NULL);
