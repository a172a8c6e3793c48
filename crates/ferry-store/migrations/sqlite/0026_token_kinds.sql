-- Tokens become a kind (a login's session, a named API token, a device's permanent token) with
-- scopes, an optional folder they are restricted to, their last use, and a remote wipe.
-- A device or API token may never expire, so expires_at becomes nullable: SQLite cannot drop a
-- NOT NULL constraint, so the table is rebuilt (nothing references it).
CREATE TABLE tokens_new (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    kind TEXT NOT NULL DEFAULT 'session',
    name TEXT,
    scopes TEXT NOT NULL DEFAULT 'read write admin',
    folder_id TEXT,
    last_used_at INTEGER,
    last_used_ip TEXT,
    wiped_at INTEGER,
    wipe_confirmed_at INTEGER
);
INSERT INTO tokens_new (id, token_hash, user_id, created_at, expires_at, revoked_at)
    SELECT id, token_hash, user_id, created_at, expires_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_user ON tokens (user_id, created_at);
