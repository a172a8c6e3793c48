-- Receipts being gathered: the ranges one client fetches of one file through one link (a
-- parallel or resumed download) make one link.downloaded receipt. A row lives until its ranges
-- cover the whole file, a range overlaps what it holds (a new download), or no range has come
-- for links.receipt_quiet_secs; then the receipt is audited and the row goes.
CREATE TABLE link_receipts (
    receipt_link_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    client_key TEXT NOT NULL,
    link_id TEXT NOT NULL,
    folder_id TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    -- The spans received, merged and sorted, as JSON: [[start, end), ...].
    spans TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    request_id TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (receipt_link_id, file_id, client_key)
);
CREATE INDEX link_receipts_last_at ON link_receipts (last_at);
