//! Download links and their byte budgets.

use crate::{Conn, Result, flag};
use ferry_core::{FileId, LinkId, UserId};

/// A stored download link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    #[sqlx(try_from = "String")]
    pub id: LinkId,
    #[sqlx(try_from = "String")]
    pub file_id: FileId,
    /// The file's version when the link was made: the one it serves.
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub creator_id: UserId,
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
    /// The link's password as an Argon2id PHC string; `None`: no password.
    pub password_hash: Option<String>,
    /// Unlock attempts counted in the window that started at `unlock_window_start`.
    pub unlock_failures: i64,
    pub unlock_window_start: Option<i64>,
    /// The folder link this link counts one file's downloads for (see
    /// [`crate::folder_links::file_link`]); such links are not listed on their own.
    pub folder_link_id: Option<String>,
    show_location: i64,
}

impl Link {
    pub fn watermark(&self) -> bool {
        flag(self.watermark)
    }

    /// Whether its recipients see the GPS position in media metadata.
    pub fn show_location(&self) -> bool {
        flag(self.show_location)
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

    /// Whether a download needs the link's password (a link access token).
    pub fn password_required(&self) -> bool {
        self.password_hash.is_some()
    }
}

/// A link's lifecycle state. [`LinkState::of`] decides it for one link and
/// [`LinkState::predicate`] selects the links in it, side by side so they cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    Exhausted,
    Revoked,
}

/// `downloads_used` in SQL: `ceil(bytes_delivered / unit_bytes)` (integer division on both).
const DOWNLOADS_USED: &str = "((bytes_delivered + unit_bytes - 1) / unit_bytes)";

impl LinkState {
    /// A link is exhausted as soon as what is left of its budget cannot pay for one more
    /// whole download: then `downloads_used` has reached `max_downloads`, and the next full
    /// download is refused, so the status says what that download will get.
    pub fn of(link: &Link, now: i64) -> LinkState {
        let used_up = link
            .max_downloads
            .is_some_and(|max| link.downloads_used() >= max);
        if link.revoked_at.is_some() {
            LinkState::Revoked
        } else if link.expires_at <= now {
            LinkState::Expired
        } else if link.exhausted_at.is_some() || used_up {
            LinkState::Exhausted
        } else {
            LinkState::Active
        }
    }

    /// The same rule as [`LinkState::of`] as an SQL condition on `links`, with `now` bound
    /// to the placeholder `now`.
    fn predicate(self, now: &str) -> String {
        let used_up = format!(
            "(exhausted_at IS NOT NULL OR (max_downloads IS NOT NULL AND \
             {DOWNLOADS_USED} >= max_downloads))"
        );
        match self {
            LinkState::Revoked => "revoked_at IS NOT NULL".into(),
            LinkState::Expired => format!("revoked_at IS NULL AND expires_at <= {now}"),
            LinkState::Exhausted => {
                format!("revoked_at IS NULL AND expires_at > {now} AND {used_up}")
            }
            LinkState::Active => {
                format!("revoked_at IS NULL AND expires_at > {now} AND NOT {used_up}")
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::Exhausted => "exhausted",
            LinkState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<LinkState> {
        [
            LinkState::Active,
            LinkState::Expired,
            LinkState::Exhausted,
            LinkState::Revoked,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
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
    /// Argon2id PHC string of the link's password, if it has one.
    pub password_hash: Option<&'a str>,
    /// Recipients see the GPS position in media metadata.
    pub show_location: bool,
    pub now: i64,
}

pub(crate) const LINK_COLUMNS: &str = "id, file_id, version, creator_id, expires_at, max_downloads, unit_bytes, bytes_reserved, \
     bytes_delivered, watermark, revoked_at, exhausted_at, created_at, password_hash, \
     unlock_failures, unlock_window_start, folder_link_id, show_location";

pub async fn insert(conn: &mut Conn, l: &NewLink<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO links (id, file_id, creator_id, expires_at, max_downloads, unit_bytes, \
         watermark, created_at, version, password_hash, show_location) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    .bind(l.password_hash)
    .bind(i64::from(l.show_location))
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets whether link `id`'s recipients see GPS positions; `false` when there is no such link.
pub async fn set_show_location(conn: &mut Conn, id: &str, show: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE links SET show_location = $1 WHERE id = $2")
        .bind(i64::from(show))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Link>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM links WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

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
        "SELECT {LINK_COLUMNS} FROM links WHERE file_id = $1 AND folder_link_id IS NULL \
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

/// Which links [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    /// Links this user created; `None`: everyone's.
    pub creator_id: Option<&'a str>,
    /// Links created by this company's users (a company admin's listing).
    pub company_id: Option<&'a str>,
    /// Links to files directly in this folder.
    pub folder_id: Option<&'a str>,
    /// Links in this state at `now`.
    pub state: Option<LinkState>,
    pub now: i64,
}

/// Links matching `filter`, newest first, before `before` (`(created_at, id)` of the previous
/// page's last link); at most `limit`.
pub async fn list(
    conn: &mut Conn,
    filter: &ListFilter<'_>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Link>> {
    let (t, id) = before.unwrap_or((i64::MAX, ""));
    let state = filter
        .state
        .map(|s| format!("AND {}", s.predicate("$6")))
        .unwrap_or_default();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM links \
         WHERE folder_link_id IS NULL AND ($1 = '' OR creator_id = $1) \
         AND ($8 = '' OR creator_id IN (SELECT id FROM users WHERE company_id = $8)) \
         AND ($2 = '' OR file_id IN (SELECT id FROM files WHERE folder_id = $2)) \
         AND (created_at < $3 OR (created_at = $3 AND id < $4) OR $5 = 0) \
         AND $6 = $6 {state} \
         ORDER BY created_at DESC, id DESC LIMIT $7"
    )))
    .bind(filter.creator_id.unwrap_or(""))
    .bind(filter.folder_id.unwrap_or(""))
    .bind(t)
    .bind(id)
    .bind(i64::from(before.is_some()))
    .bind(filter.now)
    .bind(limit)
    .bind(filter.company_id.unwrap_or(""))
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
