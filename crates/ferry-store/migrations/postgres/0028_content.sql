-- Content features (issue 16): virus scan results, thumbnails and extracted media metadata.
-- Each is kept per content (the blob's SHA-256), not per file: identical bytes are scanned,
-- rendered and read once, whoever uploads them and however often.

-- blob_scans: the virus scanner's answer for one content. status is pending (not scanned yet),
-- clean, infected (signature names what matched), error (the last attempt failed; the next one
-- is due at next_attempt_at) or skipped (scanning is off). A worker on any node claims due rows
-- with a lease (claimed_until, claim_token), like the mail outbox. A blob without a row is
-- found and given one by the worker.
CREATE TABLE blob_scans (
    sha256 TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    signature TEXT,
    scanned_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    claim_token TEXT,
    last_error TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX blob_scans_due ON blob_scans (next_attempt_at) WHERE status IN ('pending', 'error');

-- blob_renditions: a thumbnail of one content in one size and format (kind: m.webp, xl.jpeg…).
-- status is ready (the image is a blob under storage_key, of mime_type and size bytes),
-- unavailable (the content cannot be rendered: not an image, damaged, too large, hostile),
-- queued (asked for at publish; a worker makes it) or rendering (claimed by a worker at
-- created_at; a claim older than the worker's lease is taken over).
CREATE TABLE blob_renditions (
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    storage_key TEXT,
    mime_type TEXT,
    size BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (sha256, kind)
);
CREATE INDEX blob_renditions_queued ON blob_renditions (created_at)
    WHERE status IN ('queued', 'rendering');

-- blob_media: what was read from one content's metadata (dimensions, EXIF), as JSON.
CREATE TABLE blob_media (
    sha256 TEXT PRIMARY KEY,
    media TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
