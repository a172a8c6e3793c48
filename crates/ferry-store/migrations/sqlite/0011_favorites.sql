-- Favorites: files a user marked, per user.
CREATE TABLE favorites (
    user_id TEXT NOT NULL REFERENCES users (id),
    file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, file_id)
);
CREATE INDEX favorites_file ON favorites (file_id);
