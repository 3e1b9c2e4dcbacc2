-- The order's first status history entry ("received", from the command or request that created it)
-- moves from the journal to the order row, as on SQLite (its migration 007): received_at is that
-- command's sentAt, and the readers (status history, timeline: receivedJournalRow in
-- src/ledger/rows.ts) derive the entry from it. NULL: the entry was pruned before this migration.
ALTER TABLE orders ADD COLUMN received_at TEXT;

-- The entry insertOrder wrote: the order's only status change without a message, at its creation.
UPDATE orders o SET received_at = j.detail::jsonb ->> 'occurredAt'
FROM journal j
WHERE j.order_id = o.order_id AND j.at = o.created_at AND j.kind = 'status_changed'
  AND j.message_row IS NULL AND j.detail::jsonb ->> 'to' = 'received';

DELETE FROM journal j USING orders o
WHERE j.order_id = o.order_id AND j.at = o.created_at AND j.kind = 'status_changed'
  AND j.message_row IS NULL AND j.detail::jsonb ->> 'to' = 'received' AND o.received_at IS NOT NULL;
