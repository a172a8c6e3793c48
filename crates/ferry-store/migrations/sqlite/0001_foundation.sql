-- Foundation schema. Times are Unix milliseconds; flags are 0/1 integers (portable via sqlx::Any).
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    quota_bytes INTEGER,
    used_bytes INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_login ON users (lower(login));
CREATE INDEX users_created ON users (created_at, id);

CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE folders (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    retention_days INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX folders_owner_name ON folders (owner_id, name);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    refcount INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    unreferenced_since INTEGER
);
CREATE INDEX blobs_unreferenced ON blobs (unreferenced_since) WHERE refcount = 0;

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    folder_id TEXT NOT NULL REFERENCES folders (id),
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    mime_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    state TEXT NOT NULL,
    expires_at INTEGER,
    held_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX files_live_name ON files (folder_id, name) WHERE state = 'active';
CREATE INDEX files_folder_name ON files (folder_id, state, name, id);
CREATE INDEX files_held_until ON files (held_until) WHERE state = 'held';
CREATE INDEX files_expires_at ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    time INTEGER NOT NULL,
    actor_id TEXT,
    actor_login TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    folder_id TEXT,
    ip TEXT,
    user_agent TEXT,
    request_id TEXT,
    outcome TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX audit_time ON audit_events (time);
CREATE INDEX audit_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_action ON audit_events (action, seq);
CREATE INDEX audit_target ON audit_events (target_id, seq);
CREATE INDEX audit_folder ON audit_events (folder_id, seq);

-- The audit table is append-only: history cannot be rewritten through the application.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
