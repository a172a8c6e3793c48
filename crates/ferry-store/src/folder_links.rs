//! Folder links: a folder whose live contents anyone holding the link may list and download.
//! Each file is counted on its own: the first download of a file version through the link
//! makes a download link for it ([`file_link`]), whose byte budget works as a file link's.

use crate::links::{LINK_COLUMNS, Link};
use crate::{Conn, Result};
use ferry_core::{FolderId, LinkId, UserId};

/// A stored folder link, with what its files' links delivered so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FolderLink {
    #[sqlx(try_from = "String")]
    pub id: LinkId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    #[sqlx(try_from = "String")]
    pub creator_id: UserId,
    pub expires_at: i64,
    /// Downloads allowed of each file (null: unlimited).
    pub max_downloads: Option<i64>,
    /// The link's password as an Argon2id PHC string; `None`: no password.
    pub password_hash: Option<String>,
    pub unlock_failures: i64,
    pub unlock_window_start: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    /// Bytes delivered of all its files.
    pub bytes_delivered: i64,
    /// Whole downloads delivered, summed over its files.
    pub downloads_used: i64,
    show_location: i64,
}

impl FolderLink {
    /// Whether its recipients see the GPS position in media metadata.
    pub fn show_location(&self) -> bool {
        crate::flag(self.show_location)
    }

    /// Whether a download needs the link's password (a link access token).
    pub fn password_required(&self) -> bool {
        self.password_hash.is_some()
    }
}

pub struct NewFolderLink<'a> {
    pub id: &'a str,
    pub folder_id: &'a str,
    pub creator_id: &'a str,
    pub expires_at: i64,
    pub max_downloads: Option<i64>,
    pub password_hash: Option<&'a str>,
    /// Recipients see the GPS position in media metadata.
    pub show_location: bool,
    pub now: i64,
}

/// Columns of [`FolderLink`], the usage summed over the link's file links.
const COLUMNS: &str = "f.id, f.folder_id, f.creator_id, f.expires_at, f.max_downloads, \
     f.password_hash, f.unlock_failures, f.unlock_window_start, f.revoked_at, f.created_at, \
     f.show_location, \
     CAST(COALESCE((SELECT SUM(l.bytes_delivered) FROM links l \
       WHERE l.folder_link_id = f.id), 0) AS BIGINT) AS bytes_delivered, \
     CAST(COALESCE((SELECT SUM((l.bytes_delivered + l.unit_bytes - 1) / l.unit_bytes) \
       FROM links l WHERE l.folder_link_id = f.id), 0) AS BIGINT) AS downloads_used";

pub async fn insert(conn: &mut Conn, l: &NewFolderLink<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO folder_links (id, folder_id, creator_id, expires_at, max_downloads, \
         password_hash, created_at, show_location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(l.id)
    .bind(l.folder_id)
    .bind(l.creator_id)
    .bind(l.expires_at)
    .bind(l.max_downloads)
    .bind(l.password_hash)
    .bind(l.now)
    .bind(i64::from(l.show_location))
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets whether folder link `id`'s recipients see GPS positions; `false` when there is no
/// such link.
pub async fn set_show_location(conn: &mut Conn, id: &str, show: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE folder_links SET show_location = $1 WHERE id = $2")
        .bind(i64::from(show))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<FolderLink>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM folder_links f WHERE f.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Which folder links [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    /// Links this user created; `None`: everyone's.
    pub creator_id: Option<&'a str>,
    /// Links created by this company's users (a company admin's listing).
    pub company_id: Option<&'a str>,
    /// Links to this folder.
    pub folder_id: Option<&'a str>,
    /// `active`, `expired` or `revoked` at `now` (a folder link is never used up as a whole:
    /// `exhausted` selects none).
    pub state: Option<&'a str>,
    pub now: i64,
}

/// Folder links matching `filter`, newest first, before `before`; at most `limit`.
pub async fn list(
    conn: &mut Conn,
    filter: &ListFilter<'_>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<FolderLink>> {
    let (t, id) = before.unwrap_or((i64::MAX, ""));
    let state = match filter.state {
        Some("revoked") => "AND f.revoked_at IS NOT NULL",
        Some("expired") => "AND f.revoked_at IS NULL AND f.expires_at <= $6",
        Some("exhausted") => "AND 1 = 0",
        Some(_) => "AND f.revoked_at IS NULL AND f.expires_at > $6",
        None => "",
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM folder_links f \
         WHERE ($1 = '' OR f.creator_id = $1) AND ($2 = '' OR f.folder_id = $2) \
         AND ($8 = '' OR f.creator_id IN (SELECT id FROM users WHERE company_id = $8)) \
         AND (f.created_at < $3 OR (f.created_at = $3 AND f.id < $4) OR $5 = 0) \
         AND $6 = $6 {state} \
         ORDER BY f.created_at DESC, f.id DESC LIMIT $7"
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

/// Revokes the link and its file links (so that deliveries about to reserve are refused too).
pub async fn revoke(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE folder_links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    sqlx::query(
        "UPDATE links SET revoked_at = $2 WHERE folder_link_id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A file version as a folder link counts it.
#[derive(Debug, Clone, Copy)]
pub struct CountedFile<'a> {
    pub file_id: &'a str,
    pub version: i64,
    pub size: i64,
}

/// The download link that counts `file`'s downloads through the folder link, made on first
/// use (concurrent first uses agree on one row): the folder link's limit, expiry and creator,
/// the file's size as its unit, no password of its own. Every later download only reads it.
pub async fn file_link(
    conn: &mut Conn,
    link: &FolderLink,
    file: CountedFile<'_>,
    new_id: &str,
    now: i64,
) -> Result<Link> {
    if let Some(made) = made_file_link(conn, &link.id, file).await? {
        return Ok(made);
    }
    sqlx::query(
        "INSERT INTO links (id, file_id, creator_id, expires_at, max_downloads, unit_bytes, \
         watermark, created_at, version, folder_link_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9) \
         ON CONFLICT (folder_link_id, file_id, version) DO NOTHING",
    )
    .bind(new_id)
    .bind(file.file_id)
    .bind(link.creator_id.as_str())
    .bind(link.expires_at)
    .bind(link.max_downloads)
    .bind(file.size.max(1))
    .bind(now)
    .bind(file.version)
    .bind(link.id.as_str())
    .execute(&mut *conn)
    .await?;
    made_file_link(conn, &link.id, file)
        .await?
        .ok_or(crate::StoreError::Db(sqlx::Error::RowNotFound))
}

async fn made_file_link(
    conn: &mut Conn,
    link_id: &str,
    file: CountedFile<'_>,
) -> Result<Option<Link>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LINK_COLUMNS} FROM links \
         WHERE folder_link_id = $1 AND file_id = $2 AND version = $3"
    )))
    .bind(link_id)
    .bind(file.file_id)
    .bind(file.version)
    .fetch_optional(conn)
    .await?)
}

/// The file links the folder link already made for the files `file_ids` (any version).
pub async fn file_links(conn: &mut Conn, link_id: &str, file_ids: &[&str]) -> Result<Vec<Link>> {
    let mut all = Vec::new();
    for chunk in file_ids.chunks(500) {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM links WHERE folder_link_id = $1 AND file_id IN ({})",
            crate::dialect::Placeholders::starting_at(2).list(chunk.len())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(link_id);
        for id in chunk {
            query = query.bind(*id);
        }
        all.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(all)
}
