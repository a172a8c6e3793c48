-- Webhooks. Every audit event is a webhook event: audit::append writes one outbox row per
-- matching webhook into webhook_deliveries in the same transaction as the event, with the
-- request body already rendered, so every attempt sends the same bytes. Workers on any node
-- claim due rows (claimed_until/claim_token) and log each attempt in webhook_attempts.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    url TEXT NOT NULL,
    -- Subscribed actions as ',upload.completed,link.downloaded,' (or ',*,'), so that
    -- LIKE '%,<action>,%' selects the webhooks of an action.
    events TEXT NOT NULL,
    description TEXT,
    -- The receiver's signing secret (hex). It must be kept to sign; it is never logged.
    secret TEXT NOT NULL,
    -- The secret before the last rotation, still signed with until prev_secret_until.
    prev_secret TEXT,
    prev_secret_until INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    disabled_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_id, created_at, id);
CREATE INDEX webhooks_created ON webhooks (created_at, id);

CREATE TABLE webhook_deliveries (
    -- 'dlv_' || the event id's random part || the webhook id's random part.
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- The exact JSON body sent on every attempt.
    body TEXT NOT NULL,
    -- pending | delivering | succeeded | failed (a retry is scheduled) | dead
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- Attempts since retry_since: the exponent of the backoff.
    window_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- Start of the current retry window: creation, or the last manual redelivery.
    retry_since INTEGER NOT NULL,
    last_status_code INTEGER,
    last_latency_ms INTEGER,
    last_response TEXT,
    last_error TEXT,
    -- A worker owns the row until then; a crashed worker's claim simply lapses.
    claimed_until INTEGER,
    claim_token TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failed', 'delivering');
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at, id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (updated_at)
    WHERE status IN ('succeeded', 'dead');

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    time INTEGER NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER,
    -- At most 1 KiB of the response body.
    response_excerpt TEXT,
    error TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
