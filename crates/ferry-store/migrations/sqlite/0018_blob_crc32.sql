-- The CRC-32 of a blob's content (as an unsigned 32-bit value), for zip archives: known
-- before any byte is sent, an archive has an exact length and can be served by range.
-- NULL for blobs published before this column existed: computed on their first archive.
ALTER TABLE blobs ADD COLUMN crc32 BIGINT;
