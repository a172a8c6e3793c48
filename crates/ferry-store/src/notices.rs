//! Notices: what a user should hear about, newest first (migration 0015).

use crate::{Conn, Result};
use ferry_core::{NoticeId, UserId};

/// A stored notice; `data` is JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notice {
    #[sqlx(try_from = "String")]
    pub id: NoticeId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    pub kind: String,
    pub data: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub async fn insert(
    conn: &mut Conn,
    id: &str,
    user_id: &str,
    kind: &str,
    data: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notices (id, user_id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(user_id)
    .bind(kind)
    .bind(data)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user's notices (only unread ones with `unread`), newest first after the
/// `(created_at, id)` cursor.
pub async fn list(
    conn: &mut Conn,
    user_id: &str,
    unread: bool,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Notice>> {
    let (at, id) = after.unwrap_or((i64::MAX, ""));
    let first = i64::from(after.is_none());
    Ok(sqlx::query_as(
        "SELECT id, user_id, kind, data, created_at, read_at FROM notices \
         WHERE user_id = $1 AND ($2 = 0 OR read_at IS NULL) \
         AND ($3 = 1 OR created_at < $4 OR (created_at = $4 AND id < $5)) \
         ORDER BY created_at DESC, id DESC LIMIT $6",
    )
    .bind(user_id)
    .bind(i64::from(unread))
    .bind(first)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks one of the user's notices read; false if the user has no such notice.
pub async fn mark_read(conn: &mut Conn, user_id: &str, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE notices SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks every notice of the user read; how many were unread.
pub async fn mark_all_read(conn: &mut Conn, user_id: &str, now: i64) -> Result<u64> {
    let done =
        sqlx::query("UPDATE notices SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Notice>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, kind, data, created_at, read_at FROM notices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}
