-- Extra logins (seed 001's several logins per account, e.g. a second e-mail address): each
-- logs in to its account like the account's own login, and every login, extra or not, is
-- unique across users in any case (checked under one lock; see ferry_store::user_logins).
CREATE TABLE user_logins (
    login_key TEXT PRIMARY KEY,
    login TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX user_logins_user ON user_logins (user_id);
