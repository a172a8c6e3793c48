//! Server-wide secrets, created once and shared by every node through the database.

use crate::{Conn, Result};

/// The secret `name`, created from `generate` if it does not exist yet. Concurrent first
/// calls on several nodes agree: the first insert wins and everyone reads it back.
pub async fn get_or_create(
    conn: &mut Conn,
    name: &str,
    generate: impl FnOnce() -> Vec<u8>,
    now: i64,
) -> Result<Vec<u8>> {
    sqlx::query(
        "INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(generate())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_one(conn)
            .await?,
    )
}
