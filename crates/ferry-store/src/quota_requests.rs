//! Quota-increase requests (migration 0036): what a user asked for and what an admin decided.

use crate::{Conn, Result};
use ferry_core::{QuotaRequestId, UserId};

/// A quota-increase request.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuotaRequest {
    #[sqlx(try_from = "String")]
    pub id: QuotaRequestId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// The login of the user who asked (joined, for listings).
    pub user_login: String,
    /// The quota asked for, in bytes.
    pub quota_bytes: i64,
    /// The user's quota when they asked (`None`: unlimited).
    pub previous_quota_bytes: Option<i64>,
    pub message: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_message: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const COLUMNS: &str = "q.id, q.user_id, u.login AS user_login, q.quota_bytes, \
                       q.previous_quota_bytes, q.message, q.status, q.decided_by, \
                       q.decision_message, q.created_at, q.decided_at";

/// What a new request is.
pub struct NewQuotaRequest<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub quota_bytes: i64,
    pub previous_quota_bytes: Option<i64>,
    pub message: &'a str,
    pub now: i64,
}

/// Stores a pending request; `StoreError::Conflict` if the user has one pending already.
pub async fn insert(conn: &mut Conn, r: &NewQuotaRequest<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO quota_requests (id, user_id, quota_bytes, previous_quota_bytes, message, \
         status, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
    )
    .bind(r.id)
    .bind(r.user_id)
    .bind(r.quota_bytes)
    .bind(r.previous_quota_bytes)
    .bind(r.message)
    .bind(r.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<QuotaRequest>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM quota_requests q JOIN users u ON u.id = q.user_id WHERE q.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Requests, newest first: of one user (`user_id`), or of a company's users (`company_id`),
/// or all; `status` narrows them. At most `limit`.
pub async fn list(
    conn: &mut Conn,
    user_id: Option<&str>,
    company_id: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<QuotaRequest>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM quota_requests q JOIN users u ON u.id = q.user_id \
         WHERE (CAST($1 AS TEXT) IS NULL OR q.user_id = $1) \
         AND (CAST($2 AS TEXT) IS NULL OR u.company_id = $2) \
         AND (CAST($3 AS TEXT) IS NULL OR q.status = $3) \
         ORDER BY q.created_at DESC, q.id DESC LIMIT $4"
    )))
    .bind(user_id)
    .bind(company_id)
    .bind(status)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Decides a pending request (`approved` or `denied`); `false` if it was decided already.
/// The update is the claim: of two admins deciding at once, one decides.
pub async fn decide(
    conn: &mut Conn,
    id: &str,
    status: &str,
    decided_by: &str,
    message: Option<&str>,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE quota_requests SET status = $2, decided_by = $3, decision_message = $4, \
         decided_at = $5 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(decided_by)
    .bind(message)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
