-- Folder links: anyone holding one may list the live folders and files under its folder and
-- download them, one by one or as a zip. Counting is per file: the first download of a file
-- version through the link makes a download link for it (links.folder_link_id), which keeps
-- that file's byte budget (max_downloads x size) exactly as a file link does. Passwords and
-- unlock attempts work as on download links.
CREATE TABLE folder_links (
    id TEXT PRIMARY KEY,
    folder_id TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    creator_id TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    max_downloads INTEGER,
    password_hash TEXT,
    unlock_failures INTEGER NOT NULL DEFAULT 0,
    unlock_window_start INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX folder_links_creator ON folder_links (creator_id, created_at, id);
CREATE INDEX folder_links_created ON folder_links (created_at, id);
CREATE INDEX folder_links_folder ON folder_links (folder_id);

ALTER TABLE links ADD COLUMN folder_link_id TEXT REFERENCES folder_links (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX links_of_folder_link ON links (folder_link_id, file_id, version);
