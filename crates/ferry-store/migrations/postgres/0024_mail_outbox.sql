-- The mail outbox: every e-mail Ferry sends (password resets, invitations, upload-link
-- notices) is a row here, written in the transaction of what it tells of, and sent by a worker
-- on any node. status is pending (not tried yet), sending (claimed by a worker until
-- claimed_until; a lapsed claim makes the row due again), retrying (an attempt failed; the
-- next one is due at next_attempt_at), sent, or failed (given up after the last attempt).
-- The bodies are cleared once the mail is sent or failed: a reset mail carries its token.
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT,
    html_body TEXT,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    claim_token TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending', 'retrying');
CREATE INDEX mail_outbox_finished ON mail_outbox (updated_at)
    WHERE status IN ('sent', 'failed');

-- Password reset tokens, stored only as their SHA-256; used_at makes each one single-use.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
