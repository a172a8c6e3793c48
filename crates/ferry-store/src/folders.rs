//! Folders: owned by a user, with a retention policy for deleted files.

use crate::{Conn, Result};

/// A stored folder with its owner's login.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Folder {
    pub id: String,
    pub owner_id: String,
    pub owner_login: String,
    pub name: String,
    pub visibility: String,
    pub retention_days: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewFolder<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub name: &'a str,
    pub visibility: &'a str,
    pub retention_days: i64,
    pub now: i64,
}

const SELECT: &str = "SELECT f.id, f.owner_id, u.login AS owner_login, f.name, f.visibility, \
                      f.retention_days, f.created_at, f.updated_at \
                      FROM folders f JOIN users u ON u.id = f.owner_id";

/// Inserts a folder; a duplicate name for the same owner is [`crate::StoreError::Conflict`].
pub async fn insert(conn: &mut Conn, new: &NewFolder<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO folders (id, owner_id, name, visibility, retention_days, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(new.id)
    .bind(new.owner_id)
    .bind(new.name)
    .bind(new.visibility)
    .bind(new.retention_days)
    .bind(new.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Folder>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE f.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Folders by name then id, after the `(name, id)` cursor; only `owner_id`'s unless `None`.
pub async fn list(
    conn: &mut Conn,
    owner_id: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Folder>> {
    let (name, id) = after.unwrap_or(("", ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 IS NULL OR f.owner_id = $1) \
         AND (f.name > $2 OR (f.name = $2 AND f.id > $3)) \
         ORDER BY f.name, f.id LIMIT $4"
    )))
    .bind(owner_id)
    .bind(name)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Serialises writers into one folder until the transaction ends, so name checks and inserts
/// cannot race. SQLite's `BEGIN IMMEDIATE` already serialises all writers.
pub async fn lock(conn: &mut Conn, id: &str) -> Result<()> {
    crate::dialect::lock_until_commit(conn, id).await
}

/// Bytes held by each of these folders' files (live and held; purged files no longer
/// count), in one query; folders without files are absent.
pub async fn used_bytes_of(
    conn: &mut Conn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, i64>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT folder_id, CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
         WHERE folder_id IN ({}) GROUP BY folder_id",
        crate::dialect::Placeholders::default().list(ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}
