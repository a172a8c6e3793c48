-- Small files kept in the database (issues #10, #18): the content of a blob whose
-- storage_key is `inline:<sha256>` lives here, written in the transaction that records the
-- file, so a small upload is one durable commit instead of a staging file, a rename and
-- their fsyncs. The row goes with its blob row (the collector deletes both together).
CREATE TABLE blob_contents (
    sha256 TEXT PRIMARY KEY,
    content BYTEA NOT NULL
);
