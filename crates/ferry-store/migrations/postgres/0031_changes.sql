-- The change feed (GET /changes): one row per change to a file or folder, written in the
-- transaction of the change itself. Numbers come from the single row of change_counter, which
-- every writer updates (and so holds locked) until it commits: they are handed out in commit
-- order, without gaps (a rolled-back writer gives its number back) and without duplicates,
-- whichever node writes. pruned_through is the last number the retention window removed, so a
-- cursor older than it is known to have missed changes.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL,
    pruned_through BIGINT NOT NULL
);
INSERT INTO change_counter (id, last_seq, pruned_through) VALUES (1, 0, 0);
-- chain: the ids of the folders from the top-level folder down to the item's folder (a folder's
-- own id last), space-separated with a space on each side, so that "is this inside a folder
-- shared with the caller" is a substring test; path: the same chain by names, from the owner's
-- root. old_*: where the item was before a move or rename. subject_id: the user a share is about.
CREATE TABLE changes (
    seq BIGINT PRIMARY KEY,
    time BIGINT NOT NULL,
    kind TEXT NOT NULL,
    item_type TEXT NOT NULL,
    item_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    chain TEXT NOT NULL,
    path TEXT NOT NULL,
    old_owner_id TEXT,
    old_chain TEXT,
    old_path TEXT,
    version BIGINT,
    subject_id TEXT
);
CREATE INDEX changes_time ON changes (time);
CREATE INDEX changes_item ON changes (item_id, seq);
