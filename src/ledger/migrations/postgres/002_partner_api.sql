-- Idempotency keys of partner POSTs, scoped per partner. A key is in flight until its response is
-- stored; the same key with the same body then gets that response again.
CREATE TABLE idempotency_keys (
  partner      TEXT COLLATE "C" NOT NULL,
  key          TEXT COLLATE "C" NOT NULL,
  request_hash TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
  status_code  INTEGER,
  response     TEXT,
  created_at   BIGINT NOT NULL,
  PRIMARY KEY (partner, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Webhook deliveries: one row per (event, endpoint), retried until delivered, given up or the
-- endpoint answers 410. Every attempt is also journalled for the order timeline.
CREATE TABLE webhook_deliveries (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner         TEXT COLLATE "C" NOT NULL,
  endpoint        TEXT COLLATE "C" NOT NULL,
  event_id        TEXT COLLATE "C" NOT NULL,
  order_id        TEXT COLLATE "C" NOT NULL,
  payload         TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'disabled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  last_status     INTEGER,
  last_error      TEXT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  UNIQUE (endpoint, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (order_id);

-- Endpoints that answered 410 Gone stay disabled until an operator re-enables them.
CREATE TABLE webhook_endpoints_disabled (
  endpoint    TEXT COLLATE "C" PRIMARY KEY,
  partner     TEXT NOT NULL,
  disabled_at BIGINT NOT NULL,
  reason      TEXT NOT NULL
);
