-- The namespace: folders form a tree, names are unique case-insensitively among siblings
-- (files and subfolders share one namespace, checked under the parent's lock; name_key is the
-- lowercase NFC form, filled in by Store::connect for rows older than this migration), every
-- file keeps its versions, and deleted items wait in the trash.
--
-- revision counts changes to a row: it is the metadata ETag, so If-Match can refuse a lost
-- update. trash_id is NULL for a live row; otherwise the id of the trash item it went with
-- (itself, or the deleted folder above it).
ALTER TABLE folders ADD COLUMN parent_id TEXT REFERENCES folders (id);
ALTER TABLE folders ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE folders ADD COLUMN name_key TEXT;
ALTER TABLE folders ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE folders ADD COLUMN trash_id TEXT;
DROP INDEX folders_owner_name;
CREATE UNIQUE INDEX folders_top_name ON folders (owner_id, name_key)
    WHERE parent_id IS NULL AND trash_id IS NULL;
CREATE UNIQUE INDEX folders_child_name ON folders (parent_id, name_key)
    WHERE parent_id IS NOT NULL AND trash_id IS NULL;
CREATE INDEX folders_children ON folders (parent_id, name_key, id);
CREATE INDEX folders_trash ON folders (trash_id) WHERE trash_id IS NOT NULL;

ALTER TABLE files ADD COLUMN description TEXT NOT NULL DEFAULT '';
-- A JSON array of strings.
ALTER TABLE files ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE files ADD COLUMN client_modified_at BIGINT;
ALTER TABLE files ADD COLUMN name_key TEXT;
ALTER TABLE files ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE files ADD COLUMN trash_id TEXT;
UPDATE files SET trash_id = id WHERE state = 'held';
DROP INDEX files_live_name;
DROP INDEX files_folder_name;
CREATE UNIQUE INDEX files_live_name ON files (folder_id, name_key) WHERE trash_id IS NULL;
CREATE INDEX files_by_name ON files (folder_id, name_key, id) WHERE trash_id IS NULL;
CREATE INDEX files_by_size ON files (folder_id, size, id) WHERE trash_id IS NULL;
CREATE INDEX files_by_updated ON files (folder_id, updated_at, id) WHERE trash_id IS NULL;
CREATE INDEX files_trash ON files (trash_id) WHERE trash_id IS NOT NULL;

-- Every version of every file, the current one included (the files row mirrors it). Each
-- version holds one reference on its blob; the owner's used_bytes counts every version.
CREATE TABLE file_versions (
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    created_at BIGINT NOT NULL,
    created_by_id TEXT,
    created_by_login TEXT,
    PRIMARY KEY (file_id, version)
);
INSERT INTO file_versions (file_id, version, size, sha256, created_at, created_by_id,
                           created_by_login)
SELECT f.id, f.version, f.size, f.sha256, f.created_at, f.owner_id, u.login
FROM files f JOIN users u ON u.id = f.owner_id;

-- A link serves the version that was current when it was made.
ALTER TABLE links ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- What was deleted: one row per deleted file or folder (a folder stands for everything below
-- it). owner_id is who manages it (the top-level folder's owner when it was deleted).
CREATE TABLE trash_items (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    original_parent_id TEXT,
    original_path TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    size BIGINT NOT NULL,
    state TEXT NOT NULL,
    held_until BIGINT,
    purge_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL,
    deleted_by_id TEXT,
    deleted_by_login TEXT
);
CREATE INDEX trash_owner ON trash_items (owner_id, deleted_at, id);
CREATE INDEX trash_deleted ON trash_items (deleted_at, id);
CREATE INDEX trash_purge ON trash_items (purge_at);
-- Files held by retention before this migration are trash items in the held state.
INSERT INTO trash_items (id, kind, name, original_parent_id, original_path, owner_id, size,
                         state, held_until, purge_at, deleted_at)
SELECT f.id, 'file', f.name, f.folder_id, '/' || d.name || '/' || f.name, d.owner_id, f.size,
       'held', f.held_until, f.held_until, f.updated_at
FROM files f JOIN folders d ON d.id = f.folder_id
WHERE f.state = 'held';

-- What the client said about the file's modification time, carried from the upload session
-- to the file (seed 003's modified_at).
ALTER TABLE uploads ADD COLUMN client_modified_at BIGINT;
