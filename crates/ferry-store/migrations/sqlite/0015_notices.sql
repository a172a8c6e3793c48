-- Notices: what a user should hear about (an invitation to a folder, an answer to one they
-- sent), newest first, read or not. data is JSON.
CREATE TABLE notices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notices_user ON notices (user_id, created_at, id);
CREATE INDEX notices_unread ON notices (user_id, created_at, id) WHERE read_at IS NULL;
