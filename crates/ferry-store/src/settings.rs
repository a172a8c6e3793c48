//! A user's settings: small JSON values by key (migration 0019).

use crate::{Conn, Result};

/// One stored setting; `value` is JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub updated_at: i64,
}

pub async fn get(conn: &mut Conn, user_id: &str, key: &str) -> Result<Option<Setting>> {
    Ok(sqlx::query_as(
        "SELECT key, value, updated_at FROM user_settings WHERE user_id = $1 AND key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// Every setting of the user, by key.
pub async fn all(conn: &mut Conn, user_id: &str) -> Result<Vec<Setting>> {
    Ok(sqlx::query_as(
        "SELECT key, value, updated_at FROM user_settings WHERE user_id = $1 ORDER BY key",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

/// How many settings the user has.
pub async fn count(conn: &mut Conn, user_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM user_settings WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Sets (or replaces) a setting.
pub async fn put(conn: &mut Conn, user_id: &str, key: &str, value: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_settings (user_id, key, value, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, key) DO UPDATE SET value = $3, updated_at = $4",
    )
    .bind(user_id)
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a setting; false if there was none.
pub async fn delete(conn: &mut Conn, user_id: &str, key: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM user_settings WHERE user_id = $1 AND key = $2")
        .bind(user_id)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
