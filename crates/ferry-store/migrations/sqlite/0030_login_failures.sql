-- Failed logins counted per (account, client address): after auth.max_failed_logins only the
-- address that guessed wrong is locked out, so an outsider can never lock the real user out.
-- users.failed_logins keeps counting failures from every address together, which only slows
-- further attempts down; users.locked_until keeps the latest lock of any address (listings).
CREATE TABLE login_failures (
    user_id TEXT NOT NULL REFERENCES users (id),
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    locked_until INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, address)
);
CREATE INDEX login_failures_updated ON login_failures (updated_at);
