-- Resumable uploads. Space is reserved in users.used_bytes at creation and released on abort,
-- failure or expiry. hash_state is the SHA-256 midstate over parts 1..=hashed_parts.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    creator_id TEXT NOT NULL REFERENCES users (id),
    payer_id TEXT NOT NULL REFERENCES users (id),
    -- NULL only for tus partial uploads, which become part of another upload.
    folder_id TEXT REFERENCES folders (id),
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    part_size BIGINT NOT NULL,
    part_count BIGINT NOT NULL,
    checksum_sha256 TEXT,
    on_conflict TEXT NOT NULL,
    status TEXT NOT NULL,
    hashed_parts BIGINT NOT NULL DEFAULT 0,
    hash_state BYTEA,
    file_id TEXT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX uploads_status_expires ON uploads (status, expires_at);

CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    part_no BIGINT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    prefix_state BYTEA,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_no)
);
