-- Company visibility and access requests (issue #12): a top-level folder with visibility
-- 'company' is listed in the directory of its owner's company, whose members may ask for
-- access; whoever may share the folder approves (a collaboration with the granted role) or
-- denies. One pending request per folder and user.
CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    folder_id TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- The role asked for; on approval, the role granted.
    role TEXT NOT NULL,
    message TEXT NOT NULL,
    -- pending, approved or denied.
    status TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE INDEX access_requests_folder ON access_requests (folder_id, created_at);
CREATE INDEX access_requests_user ON access_requests (user_id, created_at);
CREATE UNIQUE INDEX access_requests_pending ON access_requests (folder_id, user_id)
    WHERE status = 'pending';
-- The directory: the few folders that are not private, found without a scan.
CREATE INDEX folders_shown ON folders (visibility, owner_id) WHERE visibility <> 'private';
