//! Favorites: the files a user marked.

use std::collections::HashSet;

use crate::files::File;
use crate::{Conn, Result};

/// Marks a file (marking twice is a no-op).
pub async fn add(conn: &mut Conn, user_id: &str, file_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO favorites (user_id, file_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, file_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(file_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn remove(conn: &mut Conn, user_id: &str, file_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM favorites WHERE user_id = $1 AND file_id = $2")
        .bind(user_id)
        .bind(file_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `file_ids` the user marked, in one query.
pub async fn marked(conn: &mut Conn, user_id: &str, file_ids: &[&str]) -> Result<HashSet<String>> {
    if file_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT file_id FROM favorites WHERE user_id = $1 AND file_id IN ({})",
        crate::dialect::Placeholders::starting_at(2).list(file_ids.len())
    );
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(user_id);
    for id in file_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

/// The user's live favorites, newest mark first, after the `(created_at, file_id)` cursor.
pub async fn list(
    conn: &mut Conn,
    user_id: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<(i64, File)>> {
    let ids: Vec<(i64, String)> =
        match after {
            Some((at, id)) => sqlx::query_as(
                "SELECT v.created_at, v.file_id FROM favorites v JOIN files f ON f.id = v.file_id \
                 WHERE v.user_id = $1 AND f.trash_id IS NULL \
                 AND (v.created_at, v.file_id) < ($2, $3) \
                 ORDER BY v.created_at DESC, v.file_id DESC LIMIT $4",
            )
            .bind(user_id)
            .bind(at)
            .bind(id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?,
            None => sqlx::query_as(
                "SELECT v.created_at, v.file_id FROM favorites v JOIN files f ON f.id = v.file_id \
                 WHERE v.user_id = $1 AND f.trash_id IS NULL \
                 ORDER BY v.created_at DESC, v.file_id DESC LIMIT $2",
            )
            .bind(user_id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?,
        };
    let mut out = Vec::with_capacity(ids.len());
    for (at, id) in ids {
        if let Some(file) = crate::files::get(conn, &id).await? {
            out.push((at, file));
        }
    }
    Ok(out)
}
