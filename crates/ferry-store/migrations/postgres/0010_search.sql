-- Search: substring matches on names, descriptions and tags, without regard to case, through
-- pg_trgm GIN indexes (an index of every three-character sequence, so `LIKE '%port%'` is an
-- index lookup, not a scan). pg_trgm is a trusted extension: a database owner may create it.
-- It goes into `public`, once per database, whatever schema Ferry's tables are in; the lock
-- keeps two servers (or test schemas) migrating at once from racing to create it. The indexed
-- expressions are repeated verbatim in ferry_store::search.
SELECT pg_advisory_xact_lock(7726177);
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX files_search ON files
    USING gin ((lower(name) || ' ' || lower(description) || ' ' || lower(tags)) public.gin_trgm_ops);
CREATE INDEX folders_search ON folders
    USING gin ((lower(name) || ' ' || lower(description)) public.gin_trgm_ops);
