-- A span a client received in a completed delivery is kept too (completed = 1), with a small
-- allowance (free_left bytes) of re-requests of those bytes that cost the link nothing: a
-- client probing a byte it already has must not use up a download.
ALTER TABLE link_interruptions ADD COLUMN completed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE link_interruptions ADD COLUMN free_left BIGINT NOT NULL DEFAULT 0;
