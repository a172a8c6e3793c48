//! Two-factor login: a user's TOTP secret and recovery codes (migration 0029).

use crate::{Conn, Result};
use ferry_core::UserId;

/// A user's TOTP secret; `confirmed_at` is `None` until a code proved the user's app holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Totp {
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// Base32, as authenticator apps take it.
    pub secret: String,
    pub confirmed_at: Option<i64>,
    /// The last 30-second step a code was accepted for.
    pub last_step: i64,
    pub created_at: i64,
}

impl Totp {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

pub async fn get(conn: &mut Conn, user_id: &str) -> Result<Option<Totp>> {
    Ok(sqlx::query_as(
        "SELECT user_id, secret, confirmed_at, last_step, created_at FROM user_totp \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

/// Stores a new, unconfirmed secret, replacing an unconfirmed one; `false` when the user
/// already has a confirmed secret (which stays).
pub async fn put_pending(conn: &mut Conn, user_id: &str, secret: &str, now: i64) -> Result<bool> {
    sqlx::query("DELETE FROM user_totp WHERE user_id = $1 AND confirmed_at IS NULL")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO user_totp (user_id, secret, confirmed_at, last_step, created_at) \
         VALUES ($1, $2, NULL, 0, $3) ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Accepts a code's step: `false` when a code for this step or a later one was accepted
/// already (a replay). Atomic, so two requests with one code cannot both pass.
pub async fn accept_step(conn: &mut Conn, user_id: &str, step: i64) -> Result<bool> {
    Ok(
        sqlx::query("UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2")
            .bind(user_id)
            .bind(step)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Marks the secret confirmed and stores the recovery codes' hashes (replacing any older ones).
pub async fn confirm(
    conn: &mut Conn,
    user_id: &str,
    code_hashes: &[String],
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE user_totp SET confirmed_at = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for hash in code_hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)",
        )
        .bind(user_id)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Uses a recovery code: `false` when there is no such unused code.
pub async fn use_recovery_code(
    conn: &mut Conn,
    user_id: &str,
    code_hash: &str,
    now: i64,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE recovery_codes SET used_at = $3 \
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// How many recovery codes are left unused.
pub async fn recovery_codes_left(conn: &mut Conn, user_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// Turns two-factor login off: the secret and the recovery codes go. `false` if it was off.
pub async fn remove(conn: &mut Conn, user_id: &str) -> Result<bool> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query("DELETE FROM user_totp WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}
