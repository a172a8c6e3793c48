-- Tokens become a kind (a login's session, a named API token, a device's permanent token) with
-- scopes, an optional folder they are restricted to, their last use, and a remote wipe.
-- A device or API token may never expire, so expires_at becomes nullable.
ALTER TABLE tokens ALTER COLUMN expires_at DROP NOT NULL;
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'session';
ALTER TABLE tokens ADD COLUMN name TEXT;
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write admin';
ALTER TABLE tokens ADD COLUMN folder_id TEXT;
ALTER TABLE tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE tokens ADD COLUMN last_used_ip TEXT;
ALTER TABLE tokens ADD COLUMN wiped_at BIGINT;
ALTER TABLE tokens ADD COLUMN wipe_confirmed_at BIGINT;
DROP INDEX tokens_user;
CREATE INDEX tokens_user ON tokens (user_id, created_at);
