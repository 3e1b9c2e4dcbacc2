-- Idempotency keys of partner POSTs, scoped per partner. A key is in flight until its response is
-- stored; the same key with the same body then gets that response again.
CREATE TABLE idempotency_keys (
  partner      TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
  status_code  INTEGER,
  response     TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (partner, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Webhook deliveries: one row per (event, endpoint), retried until delivered, given up or the
-- endpoint answers 410. Every attempt is also journalled for the order timeline.
CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY,
  partner         TEXT NOT NULL,
  endpoint        TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  order_id        TEXT NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'disabled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_status     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  UNIQUE (endpoint, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

-- Endpoints that answered 410 Gone stay disabled until an operator re-enables them.
CREATE TABLE webhook_endpoints_disabled (
  endpoint    TEXT PRIMARY KEY,
  partner     TEXT NOT NULL,
  disabled_at INTEGER NOT NULL,
  reason      TEXT NOT NULL
);
