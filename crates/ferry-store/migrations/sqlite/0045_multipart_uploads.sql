-- Multipart uploads the blob store started on S3 (issue #15), recorded before their first part
-- is sent and deleted once completed or aborted: what a crash or an abandoned request leaves
-- is found here and aborted by the collector, even on stores that cannot list their
-- unfinished uploads. session_id: the upload session it belongs to (uploads.id, not a
-- foreign key: the record outlives the session it may belong to); NULL for a simple upload.
CREATE TABLE multipart_uploads (
    upload_id TEXT PRIMARY KEY,
    storage_key TEXT NOT NULL,
    session_id TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX multipart_uploads_created ON multipart_uploads (created_at);
-- `ferry admin fsck` looks up the keys the blob store lists, a page at a time.
CREATE INDEX blobs_storage_key ON blobs (storage_key);
CREATE INDEX blob_renditions_storage_key ON blob_renditions (storage_key);
