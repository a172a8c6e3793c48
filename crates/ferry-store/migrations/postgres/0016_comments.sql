-- Comments on files, oldest first; a comment with an assignee is a task (task_status 'open' or
-- 'done'; NULL for plain comments). They go with their file when it is purged.
CREATE TABLE comments (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users (id),
    author_login TEXT NOT NULL,
    body TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    task_status TEXT CHECK (task_status IN ('open', 'done')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((assignee_id IS NULL) = (task_status IS NULL))
);
CREATE INDEX comments_file ON comments (file_id, created_at, id);
