-- Tamper evidence: each event carries the SHA-256 of its predecessor's hash and its own
-- content, so altering, removing or reordering a row breaks the chain from there on.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE INDEX audit_ip ON audit_events (ip, seq);
