-- Admin support tools (seed 001). A session an admin opened as another user names the admin
-- (every event it causes carries "impersonated_by"); one-time login keys an admin hands to a
-- user are stored as SHA-256 hashes only, used once, and expire.
ALTER TABLE tokens ADD COLUMN impersonator_id TEXT REFERENCES users (id);
CREATE TABLE login_keys (
    key_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX login_keys_user ON login_keys (user_id);
