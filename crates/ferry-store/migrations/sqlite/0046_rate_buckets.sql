-- Rate-limit buckets every node shares (issue #19): on PostgreSQL, where several nodes serve
-- one installation behind a load balancer, the per-address limit on secret guessing (logins,
-- password resets, link unlocks) is kept here, so N nodes do not allow N times the limit. One
-- row per (scope, key): GCRA's theoretical arrival time in Unix ms (the bucket is full again
-- once it has passed), and the nonce of the last request it let through, by which the request
-- that wrote it learns it was let through. Rows past their time are deleted by the collector.
-- SQLite (one node) keeps the table empty: its limits live in the node's memory.
CREATE TABLE rate_buckets (
    scope TEXT NOT NULL,
    bucket TEXT NOT NULL,
    tat BIGINT NOT NULL,
    granted TEXT NOT NULL,
    PRIMARY KEY (scope, bucket)
);
CREATE INDEX rate_buckets_tat ON rate_buckets (tat);
