-- Search: substring matches on names, descriptions and tags, without regard to case, through
-- FTS5's trigram tokenizer (an index of every three-character sequence, so `%port%` is an
-- index lookup, not a scan). External-content tables: the text stays in files/folders; the
-- triggers keep the index in step with every insert, rename and delete.
CREATE VIRTUAL TABLE files_fts USING fts5(
    name, description, tags, content = 'files', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0');
CREATE TRIGGER files_fts_insert AFTER INSERT ON files BEGIN
    INSERT INTO files_fts (rowid, name, description, tags)
    VALUES (new.rowid, new.name, new.description, new.tags);
END;
CREATE TRIGGER files_fts_delete AFTER DELETE ON files BEGIN
    INSERT INTO files_fts (files_fts, rowid, name, description, tags)
    VALUES ('delete', old.rowid, old.name, old.description, old.tags);
END;
CREATE TRIGGER files_fts_update AFTER UPDATE OF name, description, tags ON files BEGIN
    INSERT INTO files_fts (files_fts, rowid, name, description, tags)
    VALUES ('delete', old.rowid, old.name, old.description, old.tags);
    INSERT INTO files_fts (rowid, name, description, tags)
    VALUES (new.rowid, new.name, new.description, new.tags);
END;
INSERT INTO files_fts (files_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE folders_fts USING fts5(
    name, description, content = 'folders', content_rowid = 'rowid',
    tokenize = 'trigram case_sensitive 0');
CREATE TRIGGER folders_fts_insert AFTER INSERT ON folders BEGIN
    INSERT INTO folders_fts (rowid, name, description) VALUES (new.rowid, new.name, new.description);
END;
CREATE TRIGGER folders_fts_delete AFTER DELETE ON folders BEGIN
    INSERT INTO folders_fts (folders_fts, rowid, name, description)
    VALUES ('delete', old.rowid, old.name, old.description);
END;
CREATE TRIGGER folders_fts_update AFTER UPDATE OF name, description ON folders BEGIN
    INSERT INTO folders_fts (folders_fts, rowid, name, description)
    VALUES ('delete', old.rowid, old.name, old.description);
    INSERT INTO folders_fts (rowid, name, description) VALUES (new.rowid, new.name, new.description);
END;
INSERT INTO folders_fts (folders_fts) VALUES ('rebuild');
