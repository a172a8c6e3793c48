-- Self-registration (accounts.registration): a sign-up waits here until its address is
-- confirmed and, with `approval`, until an admin approves it; only then is there a user. So
-- every other part of Ferry (logins, listings, quotas) never sees an unconfirmed account.
-- status is unconfirmed (the mail is out), pending (confirmed, waiting for an admin),
-- approved (user_id is the account) or denied. The confirmation token is stored only as its
-- SHA-256 and works once (the update from unconfirmed is the claim). The password hash is
-- cleared once the sign-up is decided.
CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    decided_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    decided_at INTEGER,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX registrations_login ON registrations (login, created_at);
CREATE INDEX registrations_status ON registrations (status, created_at);
