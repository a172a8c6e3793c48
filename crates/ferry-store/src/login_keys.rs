//! One-time login keys (migration 0035): what an admin hands to a user to log in once without
//! a password. Only the key's SHA-256 is stored.

use crate::{Conn, Result};

pub async fn insert(
    conn: &mut Conn,
    key_hash: &str,
    user_id: &str,
    created_by: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_keys (key_hash, user_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key_hash)
    .bind(user_id)
    .bind(created_by)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses the key with this hash if it is unused and unexpired at `now`: returns its user and
/// the admin who made it. The update is the claim: a key is used once, whoever races.
pub async fn take(conn: &mut Conn, key_hash: &str, now: i64) -> Result<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "UPDATE login_keys SET used_at = $2 \
         WHERE key_hash = $1 AND used_at IS NULL AND expires_at > $2 \
         RETURNING user_id, created_by",
    )
    .bind(key_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Forgets keys that ended before `before` (used or expired).
pub async fn remove_ended(conn: &mut Conn, before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM login_keys WHERE expires_at < $1 OR used_at < $1")
            .bind(before)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
