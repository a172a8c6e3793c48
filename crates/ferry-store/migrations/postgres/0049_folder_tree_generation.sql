-- What a node may keep of the folder tree in memory (a folder's ancestors: ids, parents,
-- names, owners) holds while this number stays the same. Every change to those columns, and
-- every deletion, bumps it in the changing transaction; a reader reads it in the same
-- statement as the live rows it checks, so a cache filled at generation N is current exactly
-- while the database still says N, on every node.
CREATE TABLE folder_tree_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO folder_tree_generation (id, generation) VALUES (1, 0);
CREATE FUNCTION folder_tree_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE folder_tree_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END $$;
-- Before the statement, once per statement: the generation's row lock is taken before any
-- folder row's, so two tree changes queue on it instead of deadlocking on each other's rows.
CREATE TRIGGER folders_tree_update BEFORE UPDATE OF
    parent_id, name, owner_id, trash_id, expires_at, description, visibility, retention_days,
    size_limit_bytes
ON folders FOR EACH STATEMENT EXECUTE FUNCTION folder_tree_changed();
CREATE TRIGGER folders_tree_delete BEFORE DELETE ON folders
FOR EACH STATEMENT EXECUTE FUNCTION folder_tree_changed();
