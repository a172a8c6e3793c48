-- Quota-increase requests (seed 001): a user asks for a new quota, an admin of the user (a
-- company admin for its company's users) grants or refuses it. One pending request per user.
CREATE TABLE quota_requests (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    quota_bytes INTEGER NOT NULL,
    previous_quota_bytes INTEGER,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decision_message TEXT,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE INDEX quota_requests_user ON quota_requests (user_id, created_at);
CREATE INDEX quota_requests_status ON quota_requests (status, created_at);
-- At most one pending request per user.
CREATE UNIQUE INDEX quota_requests_pending ON quota_requests (user_id) WHERE status = 'pending';
