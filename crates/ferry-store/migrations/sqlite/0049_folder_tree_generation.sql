-- What a node may keep of the folder tree in memory (a folder's ancestors: ids, parents,
-- names, owners) holds while this number stays the same. Every change to those columns, and
-- every deletion, bumps it in the changing transaction; a reader reads it in the same
-- statement as the live rows it checks, so a cache filled at generation N is current exactly
-- while the database still says N, on every node.
CREATE TABLE folder_tree_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO folder_tree_generation (id, generation) VALUES (1, 0);
CREATE TRIGGER folders_tree_update AFTER UPDATE OF
    parent_id, name, owner_id, trash_id, expires_at, description, visibility, retention_days,
    size_limit_bytes
ON folders BEGIN
    UPDATE folder_tree_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER folders_tree_delete AFTER DELETE ON folders BEGIN
    UPDATE folder_tree_generation SET generation = generation + 1 WHERE id = 1;
END;
