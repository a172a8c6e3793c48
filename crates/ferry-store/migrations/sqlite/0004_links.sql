-- Server-wide secrets shared by every node (e.g. the key that signs download links).
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

-- Download links. A link may deliver at most max_downloads x size bytes: bytes_reserved counts
-- what requests in flight may still send plus what was delivered, so one conditional UPDATE
-- keeps concurrent downloads within the budget.
CREATE TABLE links (
    id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    creator_id TEXT NOT NULL REFERENCES users (id),
    expires_at INTEGER NOT NULL,
    max_downloads INTEGER,
    unit_bytes INTEGER NOT NULL,
    bytes_reserved INTEGER NOT NULL DEFAULT 0,
    bytes_delivered INTEGER NOT NULL DEFAULT 0,
    watermark INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER,
    exhausted_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX links_file ON links (file_id, created_at);

-- A delivery cut off mid-way: bytes [range_start, range_end) were sent but perhaps not all
-- received. A resumed request from the same client for those bytes is not charged again.
CREATE TABLE link_interruptions (
    link_id TEXT NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    client_key TEXT NOT NULL,
    range_start INTEGER NOT NULL,
    range_end INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX link_interruptions_client ON link_interruptions (link_id, client_key);
