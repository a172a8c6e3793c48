-- Two-factor login (TOTP, RFC 6238) with single-use recovery codes, and the account life
-- cycle: scheduled deletion (with a hand-over of folders), restore, and an expiry date.

-- One TOTP secret per user. `confirmed_at` is NULL while the user has asked for a secret but
-- not yet proven with a code that their app holds it: only a confirmed secret is asked for at
-- login. `last_step` is the last 30-second step a code was accepted for: a code is accepted
-- once, and never for an earlier step (RFC 6238 §5.2).
CREATE TABLE user_totp (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    secret TEXT NOT NULL,
    confirmed_at INTEGER,
    last_step INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Recovery codes, stored as SHA-256 (they are random, so no slow hash is needed), each usable
-- once.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- A deleted account refuses logins and is purged at `purge_at`; `transfer_to` receives its
-- folders then. `expires_at`: after it the account refuses logins (an admin may extend it).
ALTER TABLE users ADD COLUMN deleted_at INTEGER;
ALTER TABLE users ADD COLUMN purge_at INTEGER;
ALTER TABLE users ADD COLUMN transfer_to TEXT;
ALTER TABLE users ADD COLUMN expires_at INTEGER;
CREATE INDEX users_purge ON users (purge_at) WHERE purge_at IS NOT NULL;
