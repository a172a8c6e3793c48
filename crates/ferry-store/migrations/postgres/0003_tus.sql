-- tus 1.0 uploads share the uploads table: one part spanning the whole file, written
-- sequentially; tus_offset is how much is durable and hash_state is the midstate there.
ALTER TABLE uploads ADD COLUMN protocol TEXT NOT NULL DEFAULT 'native';
ALTER TABLE uploads ADD COLUMN tus_offset BIGINT NOT NULL DEFAULT 0;
-- NULL, 'partial' or 'final' (concatenation extension).
ALTER TABLE uploads ADD COLUMN tus_concat TEXT;
-- For a final upload: the partial upload ids, space separated, in order.
ALTER TABLE uploads ADD COLUMN tus_partials TEXT;
-- The client's Upload-Metadata header, echoed on HEAD.
ALTER TABLE uploads ADD COLUMN tus_metadata TEXT;
