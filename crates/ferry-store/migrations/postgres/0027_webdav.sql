-- WebDAV: the dead properties PROPPATCH sets and the locks LOCK takes, in the database so that
-- every node of a cluster sees the same ones.
-- A dead property belongs to a file or a folder (by id, so it follows moves and renames).
CREATE TABLE dav_properties (
    target_id TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    xml TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (target_id, namespace, name)
);
-- A lock names a path of one owner's tree (`<owner id>:/top/sub`, names folded as name_key
-- folds them), so that a share's collaborators meet the owner's locks.
CREATE TABLE dav_locks (
    token TEXT PRIMARY KEY,
    path_key TEXT NOT NULL,
    path TEXT NOT NULL,
    principal TEXT NOT NULL,
    owner_xml TEXT,
    timeout_secs BIGINT,
    expires_at BIGINT,
    shared BIGINT NOT NULL,
    deep BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX dav_locks_path ON dav_locks (path_key);
