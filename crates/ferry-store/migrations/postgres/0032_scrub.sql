-- Scrubbing (issue 19): when a blob's content was last re-read and checked against its
-- SHA-256. NULL: never; such a blob is due one scrub interval after it was stored.
ALTER TABLE blobs ADD COLUMN scrubbed_at BIGINT;
CREATE INDEX blobs_scrub_due ON blobs ((COALESCE(scrubbed_at, created_at))) WHERE refcount > 0;
