//! The per-link limit on wrong passwords, for download links (`links`), folder links
//! (`folder_links`) and upload links (`upload_links`), which keep the same two columns:
//! `unlock_failures` and `unlock_window_start`.

use crate::{Conn, Result};

/// A table whose rows carry an unlock attempt counter.
#[derive(Debug, Clone, Copy)]
pub enum Counted {
    DownloadLinks,
    FolderLinks,
    UploadLinks,
}

impl Counted {
    fn table(self) -> &'static str {
        match self {
            Counted::DownloadLinks => "links",
            Counted::FolderLinks => "folder_links",
            Counted::UploadLinks => "upload_links",
        }
    }
}

/// Counts one unlock attempt before the password is checked, in one conditional UPDATE (so
/// concurrent guesses never get past `max` in a window of `window_ms`). `Ok(window_start)`:
/// the attempt may go ahead; `Err(retry_at)`: the limit is reached until `retry_at`.
pub async fn take(
    conn: &mut Conn,
    counted: Counted,
    id: &str,
    now: i64,
    window_ms: i64,
    max: i64,
) -> Result<std::result::Result<i64, i64>> {
    let table = counted.table();
    let fresh = "(unlock_window_start IS NULL OR unlock_window_start <= $2 - $3)";
    let taken: Option<(Option<i64>,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET \
         unlock_failures = CASE WHEN {fresh} THEN 1 ELSE unlock_failures + 1 END, \
         unlock_window_start = CASE WHEN {fresh} THEN $2 ELSE unlock_window_start END \
         WHERE id = $1 AND ({fresh} OR unlock_failures < $4) RETURNING unlock_window_start"
    )))
    .bind(id)
    .bind(now)
    .bind(window_ms)
    .bind(max)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((start,)) = taken {
        return Ok(Ok(start.unwrap_or(now)));
    }
    let start: Option<Option<i64>> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT unlock_window_start FROM {table} WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(Err(start.flatten().unwrap_or(now) + window_ms))
}

/// Gives back an attempt taken by [`take`] whose password was right, if its window is still
/// the current one: only failures count.
pub async fn give_back(
    conn: &mut Conn,
    counted: Counted,
    id: &str,
    window_start: i64,
) -> Result<()> {
    let table = counted.table();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET unlock_failures = unlock_failures - 1 \
         WHERE id = $1 AND unlock_window_start = $2 AND unlock_failures > 0"
    )))
    .bind(id)
    .bind(window_start)
    .execute(conn)
    .await?;
    Ok(())
}
