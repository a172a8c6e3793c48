-- Tasks: work that may outlast a request (a copy of a big tree, emptying a big trash), as
-- rows that any node's workers claim. A worker holds a task until lease_until and renews the
-- lease as it goes; when a worker dies, the lease ends and another worker takes the task over
-- (attempt counts the claims: every write of a worker names its attempt, so one that lost its
-- claim can change nothing). checkpoint is what an attempt left behind for the next one to
-- clear away (the hidden root of a partial copy).
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    checkpoint TEXT,
    result TEXT,
    error_code TEXT,
    error_message TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
);
CREATE INDEX tasks_due ON tasks (status, created_at);
CREATE INDEX tasks_owner ON tasks (owner_id, created_at);

-- A folder may expire (seed 004's sessions): past expires_at it and everything below it
-- answer 410 folder_expired, and the collector purges it.
ALTER TABLE folders ADD COLUMN expires_at INTEGER;
CREATE INDEX folders_expiry ON folders (expires_at) WHERE expires_at IS NOT NULL;
