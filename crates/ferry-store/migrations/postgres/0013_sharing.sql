-- Sharing: groups of users, and collaborations that give a user, a group or an e-mail address
-- a role on a folder (inherited by everything below it; the highest role along the path counts).
CREATE TABLE groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- The lowercase NFC name: group names are unique without regard to case.
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (name_key);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

-- principal_type is user, group or email; exactly the matching one of user_id, group_id and
-- email is set (an e-mail address becomes a user's share when that user exists). status is
-- pending, accepted or declined; a user's accepted share is mounted in their root under
-- mount_name (unique there, compared by mount_key like folder names).
CREATE TABLE collaborations (
    id TEXT PRIMARY KEY,
    folder_id TEXT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    principal_type TEXT NOT NULL,
    user_id TEXT REFERENCES users (id),
    group_id TEXT REFERENCES groups (id) ON DELETE CASCADE,
    email TEXT,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    mount_name TEXT,
    mount_key TEXT,
    message TEXT NOT NULL DEFAULT '',
    invited_by_id TEXT,
    invited_by_login TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX collaborations_folder ON collaborations (folder_id, created_at, id);
CREATE INDEX collaborations_user ON collaborations (user_id, status);
CREATE INDEX collaborations_group ON collaborations (group_id);
CREATE INDEX collaborations_email ON collaborations (email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX collaborations_mount ON collaborations (user_id, mount_key)
    WHERE mount_key IS NOT NULL;
