-- Listing a user's uploads newest first (GET /uploads), and summing the space that a payer's
-- unfinished uploads hold (the quota's reserved_bytes).
CREATE INDEX uploads_creator_created ON uploads (creator_id, created_at, id);
CREATE INDEX uploads_payer_status ON uploads (payer_id, status);
