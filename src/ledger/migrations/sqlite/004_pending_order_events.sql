-- An order's order events not yet confirmed by the broker (src/ledger/queue-order-events.ts): each
-- order event written asks whether its order has one, each confirm which ones come next, and the
-- outbox sweep which are held. Through messages_order each read every message of the order (a
-- busy order has dozens); this index holds only the events in flight, a handful at any time.
CREATE INDEX messages_pending_events ON messages (order_id, id) WHERE channel = 'order.event' AND state = 'pending';
