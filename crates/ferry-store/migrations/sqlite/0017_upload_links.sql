-- Upload links (file requests): anyone holding one may upload into its folder and list or read
-- nothing there. files_used and bytes_used count uploads accepted so far, those in flight
-- included (given back when one fails, is aborted or expires), so that one conditional UPDATE
-- keeps concurrent uploads within max_files and max_bytes. Passwords and unlock attempts work
-- as on download links.
CREATE TABLE upload_links (
    id TEXT PRIMARY KEY,
    folder_id TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    creator_id TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    max_files INTEGER,
    max_bytes INTEGER,
    files_used INTEGER NOT NULL DEFAULT 0,
    bytes_used INTEGER NOT NULL DEFAULT 0,
    subfolder_per_upload INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT,
    unlock_failures INTEGER NOT NULL DEFAULT 0,
    unlock_window_start INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX upload_links_creator ON upload_links (creator_id, created_at, id);
CREATE INDEX upload_links_created ON upload_links (created_at, id);
CREATE INDEX upload_links_folder ON upload_links (folder_id);

-- Who brought a file through an upload link (the name and e-mail are what the uploader said).
ALTER TABLE files ADD COLUMN via_link_id TEXT;
ALTER TABLE files ADD COLUMN via_link_name TEXT;
ALTER TABLE files ADD COLUMN via_link_email TEXT;

-- A resumable or tus upload opened through an upload link, and who said they were sending it.
ALTER TABLE uploads ADD COLUMN link_id TEXT;
ALTER TABLE uploads ADD COLUMN uploader_name TEXT;
ALTER TABLE uploads ADD COLUMN uploader_email TEXT;
