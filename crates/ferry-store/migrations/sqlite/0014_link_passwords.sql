-- Links with a password (Argon2id PHC string; NULL: no password), and the count of failed
-- unlock attempts in the current window (from unlock_window_start), kept in the database so
-- that every node refuses guessing alike. An attempt is counted before its password is
-- checked (one conditional UPDATE), so concurrent guesses never exceed the limit.
ALTER TABLE links ADD COLUMN password_hash TEXT;
ALTER TABLE links ADD COLUMN unlock_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE links ADD COLUMN unlock_window_start INTEGER;

-- GET /links: a user's links (and everyone's, for admins), newest first.
CREATE INDEX links_creator ON links (creator_id, created_at, id);
CREATE INDEX links_created ON links (created_at, id);
