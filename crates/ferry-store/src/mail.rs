//! The mail outbox and password reset tokens.
//!
//! A mail is queued with [`enqueue`] inside the transaction of what it tells of, so it is sent
//! if and only if that commits. Workers on any node [`claim`] due mails in one statement (`FOR
//! UPDATE SKIP LOCKED` on PostgreSQL; SQLite has a single writer) with a lease and a claim
//! token, and [`finish`] them only while they still hold that claim: a mail whose claim lapsed
//! (its node died) is taken over by another node and never recorded twice.

use crate::{Conn, Result, StoreError};
use ferry_core::MailId;

/// Where a mail is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailStatus {
    /// Queued, not tried yet.
    Pending,
    /// Claimed by a worker until its lease ends.
    Sending,
    /// An attempt failed; the next is due at `next_attempt_at`.
    Retrying,
    Sent,
    /// Given up: the last attempt failed, or the server refused the mail for good.
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sending => "sending",
            MailStatus::Retrying => "retrying",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MailStatus> {
        Some(match s {
            "pending" => MailStatus::Pending,
            "sending" => MailStatus::Sending,
            "retrying" => MailStatus::Retrying,
            "sent" => MailStatus::Sent,
            "failed" => MailStatus::Failed,
            _ => return None,
        })
    }
}

/// A mail to queue.
pub struct NewMail<'a> {
    pub id: &'a str,
    /// What it is (`password_reset`, `invitation`, …), for the log and the admin.
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub now: i64,
}

/// Queues a mail, due at once.
pub async fn enqueue(conn: &mut Conn, m: &NewMail<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, kind, recipient, subject, text_body, html_body, status, \
         attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7)",
    )
    .bind(m.id)
    .bind(m.kind)
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.text_body)
    .bind(m.html_body)
    .bind(m.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A mail claimed by a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMail {
    #[sqlx(try_from = "String")]
    pub id: MailId,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Attempts before this one.
    pub attempts: i64,
}

/// Claims up to `limit` due mails until `until`, marking them with `token`, in one statement
/// that several nodes can run at once: each row goes to one of them. A claim that lapses (a
/// crashed worker) makes the row due again.
pub async fn claim(
    conn: &mut Conn,
    now: i64,
    until: i64,
    token: &str,
    limit: i64,
) -> Result<Vec<ClaimedMail>> {
    // A read-only look first: an idle node then never takes SQLite's write lock.
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM mail_outbox WHERE status IN ('pending', 'sending', 'retrying') \
         AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let lock = crate::dialect::skip_locked(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE mail_outbox SET status = 'sending', claimed_until = $2, claim_token = $3, \
         updated_at = $1 \
         WHERE id IN (SELECT id FROM mail_outbox \
            WHERE status IN ('pending', 'sending', 'retrying') AND next_attempt_at <= $1 \
            AND (claimed_until IS NULL OR claimed_until < $1) \
            ORDER BY next_attempt_at LIMIT $4 {lock}) \
         RETURNING id, kind, recipient, subject, COALESCE(text_body, '') AS text_body, \
         COALESCE(html_body, '') AS html_body, attempts"
    )))
    .bind(now)
    .bind(until)
    .bind(token)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Hands back every mail still claimed under `token` and not yet recorded (recording clears
/// the claim): they are due again at once, for this node's next start or another node.
pub async fn release(conn: &mut Conn, token: &str) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET claimed_until = NULL, claim_token = NULL, \
         status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END \
         WHERE claim_token = $1",
    )
    .bind(token)
    .execute(conn)
    .await?;
    Ok(())
}

/// What happens to a mail after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Failed; try again at this time.
    RetryAt(i64),
    /// Failed for good.
    Failed,
}

/// Records an attempt if the caller still holds the claim `token`; returns whether it did
/// (a worker whose claim lapsed and was taken over records nothing). A finished mail loses its
/// bodies.
pub async fn finish(
    conn: &mut Conn,
    id: &str,
    token: &str,
    outcome: MailOutcome,
    error: Option<&str>,
    now: i64,
) -> Result<bool> {
    let (status, next, sent_at) = match outcome {
        MailOutcome::Sent => (MailStatus::Sent, now, Some(now)),
        MailOutcome::RetryAt(at) => (MailStatus::Retrying, at, None),
        MailOutcome::Failed => (MailStatus::Failed, now, None),
    };
    let finished = status != MailStatus::Retrying;
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = $3, attempts = attempts + 1, next_attempt_at = $4, \
         last_error = $5, sent_at = $6, updated_at = $7, claimed_until = NULL, \
         claim_token = NULL, \
         text_body = CASE WHEN $8 = 1 THEN NULL ELSE text_body END, \
         html_body = CASE WHEN $8 = 1 THEN NULL ELSE html_body END \
         WHERE id = $1 AND claim_token = $2",
    )
    .bind(id)
    .bind(token)
    .bind(status.as_str())
    .bind(next)
    .bind(error)
    .bind(sent_at)
    .bind(now)
    .bind(i64::from(finished))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A stored mail, without its bodies.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mail {
    #[sqlx(try_from = "String")]
    pub id: MailId,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent_at: Option<i64>,
}

impl Mail {
    pub fn status(&self) -> Result<MailStatus> {
        MailStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("mail status `{}`", self.status)))
    }
}

/// The newest mails first, before the `(created_at, id)` cursor.
pub async fn list(conn: &mut Conn, before: Option<(i64, &str)>, limit: i64) -> Result<Vec<Mail>> {
    let (t, id) = before.unwrap_or((i64::MAX, ""));
    Ok(sqlx::query_as(
        "SELECT id, kind, recipient, subject, status, attempts, next_attempt_at, last_error, \
         created_at, updated_at, sent_at FROM mail_outbox \
         WHERE created_at < $1 OR (created_at = $1 AND id < $2) \
         ORDER BY created_at DESC, id DESC LIMIT $3",
    )
    .bind(t)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Mails waiting to be sent (pending, sending or retrying) and mails given up.
pub async fn backlog(conn: &mut Conn) -> Result<(i64, i64)> {
    let (waiting, failed): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status IN ('pending', 'sending', 'retrying') \
         THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) FROM mail_outbox",
    )
    .fetch_one(conn)
    .await?;
    Ok((waiting, failed))
}

/// Deletes sent and failed mails last touched before `before`, and reset tokens that expired
/// before it.
pub async fn prune(conn: &mut Conn, before: i64) -> Result<u64> {
    let mails = sqlx::query(
        "DELETE FROM mail_outbox WHERE status IN ('sent', 'failed') AND updated_at < $1",
    )
    .bind(before)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM password_resets WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?;
    Ok(mails)
}

/// Stores a reset token (its hash) for `user_id`.
pub async fn insert_reset(
    conn: &mut Conn,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// When the user's newest reset token was made.
pub async fn last_reset_at(conn: &mut Conn, user_id: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT MAX(created_at) FROM password_resets WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Uses the reset token with this hash if it is unused and unexpired at `now`, in one
/// conditional update (two concurrent uses: one wins); returns its user. Every other token of
/// that user is used up with it.
pub async fn take_reset(conn: &mut Conn, token_hash: &str, now: i64) -> Result<Option<String>> {
    let user: Option<String> = sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $2 \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(user_id) = &user {
        sqlx::query(
            "UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(conn)
        .await?;
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            MailStatus::Pending,
            MailStatus::Sending,
            MailStatus::Retrying,
            MailStatus::Sent,
            MailStatus::Failed,
        ] {
            assert_eq!(MailStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(MailStatus::parse("dead"), None);
    }
}
