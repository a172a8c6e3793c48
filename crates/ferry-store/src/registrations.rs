//! Self-registrations (migration 0040): sign-ups waiting for their address to be confirmed
//! or for an admin's decision, and what was decided.

use ferry_core::RegistrationId;

use crate::{Conn, Result};

/// A sign-up.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Registration {
    #[sqlx(try_from = "String")]
    pub id: RegistrationId,
    pub login: String,
    pub name: String,
    /// Empty once the sign-up is decided.
    pub password_hash: String,
    /// `unconfirmed`, `pending`, `approved` or `denied`.
    pub status: String,
    pub created_at: i64,
    /// Until when the confirmation link works.
    pub expires_at: i64,
    pub confirmed_at: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// The account made of it (`approved` only).
    pub user_id: Option<String>,
}

const COLUMNS: &str = "id, login, name, password_hash, status, created_at, expires_at, \
                       confirmed_at, decided_by, decided_at, user_id";

/// What a new sign-up is.
pub struct NewRegistration<'a> {
    pub id: &'a str,
    pub login: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub token_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores an unconfirmed sign-up.
pub async fn insert(conn: &mut Conn, r: &NewRegistration<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO registrations (id, login, name, password_hash, token_hash, status, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'unconfirmed', $6, $7)",
    )
    .bind(r.id)
    .bind(r.login)
    .bind(r.name)
    .bind(r.password_hash)
    .bind(r.token_hash)
    .bind(r.now)
    .bind(r.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Registration>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The newest sign-up for `login` (in any case) that is still open at `now`: pending, or
/// unconfirmed with a link that still works.
pub async fn open_for_login(
    conn: &mut Conn,
    login: &str,
    now: i64,
) -> Result<Option<Registration>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registrations WHERE lower(login) = lower($1) \
         AND (status = 'pending' OR (status = 'unconfirmed' AND expires_at > $2)) \
         ORDER BY created_at DESC, id DESC LIMIT 1"
    )))
    .bind(login)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Uses the confirmation token with this hash if it is unused and unexpired at `now`, moving
/// its sign-up to `pending` in one conditional update (two concurrent uses: one wins).
pub async fn confirm(conn: &mut Conn, token_hash: &str, now: i64) -> Result<Option<Registration>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE registrations SET status = 'pending', confirmed_at = $2 \
         WHERE token_hash = $1 AND status = 'unconfirmed' AND expires_at > $2 \
         RETURNING {COLUMNS}"
    )))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Sign-ups, newest first, `status` narrowing them; at most `limit`.
pub async fn list(conn: &mut Conn, status: Option<&str>, limit: i64) -> Result<Vec<Registration>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registrations WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    )))
    .bind(status)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Decides a pending sign-up (`approved` with the account made of it, or `denied`; `by` is
/// the admin, `None` when the server approved it itself) and forgets its password hash;
/// `false` if it was not pending. The update is the claim: of two admins deciding at once,
/// one decides.
pub async fn decide(
    conn: &mut Conn,
    id: &str,
    status: &str,
    by: Option<&str>,
    user_id: Option<&str>,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE registrations SET status = $2, decided_by = $3, user_id = $4, decided_at = $5, \
         password_hash = '' WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes sign-ups whose confirmation link expired before `before` unused (their password
/// hashes with them).
pub async fn prune(conn: &mut Conn, before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM registrations WHERE status = 'unconfirmed' AND expires_at < $1")
            .bind(before)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
