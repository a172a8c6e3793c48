-- A user's own settings: small JSON values under keys of their choosing (the portal's
-- preferences), and the profile's language and timezone (keys "language" and "timezone").
CREATE TABLE user_settings (
    user_id TEXT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
);
