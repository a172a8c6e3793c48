-- Opaque blob keys and object-storage upload state (the S3 backend, issue 15).
-- blobs.storage_key: where the blob store keeps the content. NULL for blobs stored before this
-- column existed, which live on local disk under their SHA-256 (the key local disk still uses).
ALTER TABLE blobs ADD COLUMN storage_key TEXT;
-- uploads.blob_session: the blob store's handle on an upload session (on S3: the multipart
-- upload id and, for tus, the parts and small chunks received so far). NULL on local disk.
ALTER TABLE uploads ADD COLUMN blob_session TEXT;
-- upload_parts.blob_receipt: what the blob store needs to find a part again (on S3: the ETags
-- of the object-storage parts it was written as). NULL on local disk.
ALTER TABLE upload_parts ADD COLUMN blob_receipt TEXT;
