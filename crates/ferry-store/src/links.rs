//! Download links and their byte budgets.

use crate::{Conn, Result, flag};

/// A stored download link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    pub id: String,
    pub file_id: String,
    /// The file's version when the link was made: the one it serves.
    pub version: i64,
    pub creator_id: String,
    pub expires_at: i64,
    pub max_downloads: Option<i64>,
    /// The size one download counts for (the file's size, at least 1).
    pub unit_bytes: i64,
    pub bytes_reserved: i64,
    pub bytes_delivered: i64,
    watermark: i64,
    pub revoked_at: Option<i64>,
    pub exhausted_at: Option<i64>,
    pub created_at: i64,
}

impl Link {
    pub fn watermark(&self) -> bool {
        flag(self.watermark)
    }

    /// Whether the byte budget has nothing left to reserve (reservations in flight count): the
    /// rule `reserve` applies in SQL.
    pub fn budget_spent(&self) -> bool {
        self.max_downloads
            .is_some_and(|max| self.bytes_reserved >= max * self.unit_bytes)
    }

    /// Whole downloads delivered: `ceil(bytes_delivered / unit_bytes)`.
    pub fn downloads_used(&self) -> i64 {
        (self.bytes_delivered + self.unit_bytes - 1) / self.unit_bytes
    }
}

pub struct NewLink<'a> {
    pub id: &'a str,
    pub file_id: &'a str,
    pub version: i64,
    pub creator_id: &'a str,
    pub expires_at: i64,
    pub max_downloads: Option<i64>,
    pub unit_bytes: i64,
    pub watermark: bool,
    pub now: i64,
}

const COLUMNS: &str = "id, file_id, version, creator_id, expires_at, max_downloads, unit_bytes, \
                       bytes_reserved, bytes_delivered, watermark, revoked_at, exhausted_at, \
                       created_at";

pub async fn insert(conn: &mut Conn, l: &NewLink<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO links (id, file_id, creator_id, expires_at, max_downloads, unit_bytes, \
         watermark, created_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(l.id)
    .bind(l.file_id)
    .bind(l.creator_id)
    .bind(l.expires_at)
    .bind(l.max_downloads)
    .bind(l.unit_bytes)
    .bind(i64::from(l.watermark))
    .bind(l.now)
    .bind(l.version)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Link>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// A file's links, newest first.
/// A file's links, newest first, before `before` (`(created_at, id)` of the previous page's
/// last link); at most `limit`.
pub async fn for_file(
    conn: &mut Conn,
    file_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Link>> {
    let (t, id) = before.unwrap_or((i64::MAX, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE file_id = $1 \
         AND (created_at < $2 OR (created_at = $2 AND id < $3) OR $4 = 0) \
         ORDER BY created_at DESC, id DESC LIMIT $5"
    )))
    .bind(file_id)
    .bind(t)
    .bind(id)
    .bind(i64::from(before.is_some()))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn revoke(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Reserves `bytes` of the link's budget before they are sent, in one conditional UPDATE:
/// concurrent requests can never reserve more than `max_downloads × unit_bytes` in total.
pub async fn reserve(conn: &mut Conn, id: &str, bytes: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE links SET bytes_reserved = bytes_reserved + $2 WHERE id = $1 \
         AND revoked_at IS NULL \
         AND (max_downloads IS NULL OR bytes_reserved + $2 <= max_downloads * unit_bytes)",
    )
    .bind(id)
    .bind(bytes)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Settles a finished (or aborted) delivery: `delivered` of the `reserved` bytes were sent;
/// the rest goes back to the budget. Returns the link afterwards and whether this delivery
/// used the budget up (`exhausted_at` set now).
pub async fn settle(
    conn: &mut Conn,
    id: &str,
    reserved: i64,
    delivered: i64,
    now: i64,
) -> Result<(Option<Link>, bool)> {
    sqlx::query(
        "UPDATE links SET bytes_reserved = bytes_reserved - $2 + $3, \
         bytes_delivered = bytes_delivered + $3 WHERE id = $1",
    )
    .bind(id)
    .bind(reserved)
    .bind(delivered)
    .execute(&mut *conn)
    .await?;
    let exhausted = sqlx::query(
        "UPDATE links SET exhausted_at = $2 WHERE id = $1 AND exhausted_at IS NULL \
         AND max_downloads IS NOT NULL AND bytes_delivered >= max_downloads * unit_bytes",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    Ok((get(conn, id).await?, exhausted))
}

/// Remembers that `[start, end)` was sent to `client_key` by an interrupted delivery.
pub async fn record_interruption(
    conn: &mut Conn,
    id: &str,
    client_key: &str,
    start: i64,
    end: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO link_interruptions (link_id, client_key, range_start, range_end, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(client_key)
    .bind(start)
    .bind(end)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remembers that `client_key` received bytes `[start, end)` in a completed delivery, with
/// `free_bytes` of re-requests of them that cost nothing (see [`take_probe`]).
pub async fn record_completed(
    conn: &mut Conn,
    id: &str,
    client_key: &str,
    start: i64,
    end: i64,
    free_bytes: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO link_interruptions \
         (link_id, client_key, range_start, range_end, created_at, completed, free_left) \
         VALUES ($1, $2, $3, $4, $5, 1, $6)",
    )
    .bind(id)
    .bind(client_key)
    .bind(start)
    .bind(end)
    .bind(now)
    .bind(free_bytes)
    .execute(conn)
    .await?;
    Ok(())
}

/// A re-request of `[start, start + len)` by a client that already received those bytes in a
/// completed delivery: takes `len` from that span's allowance and says whether it was free.
pub async fn take_probe(
    conn: &mut Conn,
    id: &str,
    client_key: &str,
    start: i64,
    len: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE link_interruptions SET free_left = free_left - $4 \
         WHERE link_id = $1 AND client_key = $2 AND completed = 1 \
         AND range_start <= $3 AND range_end >= $3 + $4 AND free_left >= $4",
    )
    .bind(id)
    .bind(client_key)
    .bind(start)
    .bind(len)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes (removes) the interruption of `client_key` whose sent span contains `offset`, and
/// returns how many bytes from `offset` were already charged.
pub async fn take_credit(conn: &mut Conn, id: &str, client_key: &str, offset: i64) -> Result<i64> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT range_start, range_end FROM link_interruptions \
         WHERE link_id = $1 AND client_key = $2 AND completed = 0 \
         AND range_start <= $3 AND range_end > $3 \
         ORDER BY range_end DESC LIMIT 1",
    )
    .bind(id)
    .bind(client_key)
    .bind(offset)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((start, end)) = row else {
        return Ok(0);
    };
    sqlx::query(
        "DELETE FROM link_interruptions WHERE link_id = $1 AND client_key = $2 \
         AND completed = 0 AND range_start = $3 AND range_end = $4",
    )
    .bind(id)
    .bind(client_key)
    .bind(start)
    .bind(end)
    .execute(conn)
    .await?;
    Ok(end - offset)
}
