//! Access tokens. Only the SHA-256 of a token is stored; the token itself is shown once.

use crate::users::User;
use crate::{Conn, Result};

/// A stored token, looked up by its hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Token {
    pub id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub async fn insert(
    conn: &mut Conn,
    id: &str,
    token_hash: &str,
    user_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO tokens (id, token_hash, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A token row joined with its user: every authenticated request runs this one query.
#[derive(sqlx::FromRow)]
struct TokenWithUser {
    token_id: String,
    token_expires_at: i64,
    token_revoked_at: Option<i64>,
    #[sqlx(flatten)]
    user: User,
}

/// The token with this hash and its user, in one query. The lookup is by an indexed hash of
/// a 256-bit random value, so timing reveals nothing useful about other tokens.
pub async fn find(conn: &mut Conn, token_hash: &str) -> Result<Option<(Token, User)>> {
    let row: Option<TokenWithUser> = sqlx::query_as(
        "SELECT t.id AS token_id, t.expires_at AS token_expires_at, \
         t.revoked_at AS token_revoked_at, u.id, u.login, u.name, u.role, u.password_hash, \
         u.quota_bytes, u.used_bytes, u.disabled, u.failed_logins, u.locked_until, \
         u.created_at, u.updated_at, u.company_id, \
         (SELECT c.status FROM companies c WHERE c.id = u.company_id) AS company_status \
         FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        let token = Token {
            id: r.token_id,
            user_id: r.user.id.clone(),
            expires_at: r.token_expires_at,
            revoked_at: r.token_revoked_at,
        };
        (token, r.user)
    }))
}

pub async fn revoke(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes tokens that expired before `cutoff`.
pub async fn delete_expired(conn: &mut Conn, cutoff: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
        .bind(cutoff)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Revokes every live token of a user but `keep` (the session that changed the password);
/// returns how many were revoked.
pub async fn revoke_others(
    conn: &mut Conn,
    user_id: &str,
    keep: Option<&str>,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL \
         AND ($3 IS NULL OR id <> $3)",
    )
    .bind(user_id)
    .bind(now)
    .bind(keep)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Revokes every live token of a user (a password reset or a disabled account ends every
/// session); returns how many were revoked.
pub async fn revoke_all_for_user(conn: &mut Conn, user_id: &str, now: i64) -> Result<u64> {
    Ok(
        sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
