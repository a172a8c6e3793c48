//! The trash: one row per deleted file or folder (a folder stands for everything below it),
//! with where it came from, who deleted it and when it will be purged.

use ferry_core::UserId;
use ferry_core::{ItemKind, TrashState};

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrashItem {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub kind: ItemKind,
    pub name: String,
    pub original_parent_id: Option<String>,
    pub original_path: String,
    /// Who manages the item: the top-level folder's owner when it was deleted.
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    pub size: i64,
    #[sqlx(try_from = "String")]
    pub state: TrashState,
    pub held_until: Option<i64>,
    pub purge_at: i64,
    pub deleted_at: i64,
    pub deleted_by_id: Option<String>,
    pub deleted_by_login: Option<String>,
}

const COLUMNS: &str = "id, kind, name, original_parent_id, original_path, owner_id, size, state, \
                       held_until, purge_at, deleted_at, deleted_by_id, deleted_by_login";

pub async fn insert(conn: &mut Conn, item: &TrashItem) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO trash_items ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )))
    .bind(&item.id)
    .bind(item.kind.as_str())
    .bind(&item.name)
    .bind(&item.original_parent_id)
    .bind(&item.original_path)
    .bind(item.owner_id.as_str())
    .bind(item.size)
    .bind(item.state.as_str())
    .bind(item.held_until)
    .bind(item.purge_at)
    .bind(item.deleted_at)
    .bind(&item.deleted_by_id)
    .bind(&item.deleted_by_login)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<TrashItem>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM trash_items WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Items newest first after the `(deleted_at, id)` cursor; only `owner_id`'s unless `None`.
pub async fn list(
    conn: &mut Conn,
    owner_id: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<TrashItem>> {
    let (at, id) = after.unwrap_or((i64::MAX, ""));
    let first = i64::from(after.is_none());
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM trash_items WHERE ($1 IS NULL OR owner_id = $1) \
         AND ($2 = 1 OR deleted_at < $3 OR (deleted_at = $3 AND id < $4)) \
         ORDER BY deleted_at DESC, id DESC LIMIT $5"
    )))
    .bind(owner_id)
    .bind(first)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// How many items in `owner_id`'s trash wait for purge (held ones not counted).
pub async fn count_trashed(conn: &mut Conn, owner_id: Option<&str>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM trash_items WHERE ($1 IS NULL OR owner_id = $1) \
         AND state = 'trashed'",
    )
    .bind(owner_id)
    .fetch_one(conn)
    .await?)
}

/// Items whose time in the trash (or hold) has ended at `now`.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<TrashItem>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM trash_items WHERE purge_at <= $1 ORDER BY purge_at, id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Removes the item's row; false if it was gone already.
pub async fn remove(conn: &mut Conn, id: &str) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM trash_items WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        == 1)
}
