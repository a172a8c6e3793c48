-- A folder size limit (seed 001 shares/sizelimit): what the folder's subtree may hold, whoever
-- uploads; null: no limit.
ALTER TABLE folders ADD COLUMN size_limit_bytes INTEGER;
