//! Upload links (file requests): a folder anyone holding the link may upload into, within a
//! count and a byte limit kept by one conditional UPDATE.

use crate::{Conn, Result, flag};
use ferry_core::{FolderId, LinkId, UserId};

/// A stored upload link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadLink {
    #[sqlx(try_from = "String")]
    pub id: LinkId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    #[sqlx(try_from = "String")]
    pub creator_id: UserId,
    pub expires_at: i64,
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    /// Uploads accepted so far, those in flight included.
    pub files_used: i64,
    /// Bytes of the uploads accepted so far, those in flight included.
    pub bytes_used: i64,
    subfolder_per_upload: i64,
    /// The link's password as an Argon2id PHC string; `None`: no password.
    pub password_hash: Option<String>,
    pub unlock_failures: i64,
    pub unlock_window_start: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

impl UploadLink {
    /// Each upload goes into a new subfolder of its own.
    pub fn subfolder_per_upload(&self) -> bool {
        flag(self.subfolder_per_upload)
    }

    /// Whether an upload needs the link's password (a link access token).
    pub fn password_required(&self) -> bool {
        self.password_hash.is_some()
    }

    /// Whether nothing more can be accepted: the files, or the bytes, are all taken.
    pub fn used_up(&self) -> bool {
        self.max_files.is_some_and(|m| self.files_used >= m)
            || self.max_bytes.is_some_and(|m| self.bytes_used >= m)
    }

    /// Uploads left (null: unlimited).
    pub fn files_left(&self) -> Option<i64> {
        self.max_files.map(|m| (m - self.files_used).max(0))
    }

    /// Bytes left (null: unlimited).
    pub fn bytes_left(&self) -> Option<i64> {
        self.max_bytes.map(|m| (m - self.bytes_used).max(0))
    }
}

/// The rule of [`UploadLink::used_up`] in SQL.
const USED_UP: &str = "((max_files IS NOT NULL AND files_used >= max_files) OR \
                       (max_bytes IS NOT NULL AND bytes_used >= max_bytes))";

pub struct NewUploadLink<'a> {
    pub id: &'a str,
    pub folder_id: &'a str,
    pub creator_id: &'a str,
    pub expires_at: i64,
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    pub subfolder_per_upload: bool,
    pub password_hash: Option<&'a str>,
    pub now: i64,
}

const COLUMNS: &str = "id, folder_id, creator_id, expires_at, max_files, max_bytes, files_used, \
                       bytes_used, subfolder_per_upload, password_hash, unlock_failures, \
                       unlock_window_start, revoked_at, created_at";

pub async fn insert(conn: &mut Conn, l: &NewUploadLink<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO upload_links (id, folder_id, creator_id, expires_at, max_files, max_bytes, \
         subfolder_per_upload, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(l.id)
    .bind(l.folder_id)
    .bind(l.creator_id)
    .bind(l.expires_at)
    .bind(l.max_files)
    .bind(l.max_bytes)
    .bind(i64::from(l.subfolder_per_upload))
    .bind(l.password_hash)
    .bind(l.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<UploadLink>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM upload_links WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Which upload links [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    /// Links this user created; `None`: everyone's.
    pub creator_id: Option<&'a str>,
    /// Links created by this company's users (a company admin's listing).
    pub company_id: Option<&'a str>,
    /// Links into this folder.
    pub folder_id: Option<&'a str>,
    /// `active`, `expired`, `exhausted` or `revoked` at `now` (see `links::LinkState`).
    pub state: Option<&'a str>,
    pub now: i64,
}

/// Upload links matching `filter`, newest first, before `before`; at most `limit`.
pub async fn list(
    conn: &mut Conn,
    filter: &ListFilter<'_>,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<UploadLink>> {
    let (t, id) = before.unwrap_or((i64::MAX, ""));
    let state = match filter.state {
        Some("revoked") => "AND revoked_at IS NOT NULL".to_string(),
        Some("expired") => "AND revoked_at IS NULL AND expires_at <= $6".to_string(),
        Some("exhausted") => format!("AND revoked_at IS NULL AND expires_at > $6 AND {USED_UP}"),
        Some(_) => format!("AND revoked_at IS NULL AND expires_at > $6 AND NOT {USED_UP}"),
        None => String::new(),
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM upload_links \
         WHERE ($1 = '' OR creator_id = $1) AND ($2 = '' OR folder_id = $2) \
         AND ($8 = '' OR creator_id IN (SELECT id FROM users WHERE company_id = $8)) \
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

/// Takes one file of `size` bytes from the link's limits, in one conditional UPDATE: false if
/// the link is revoked, expired at `now`, or cannot take it.
pub async fn reserve(conn: &mut Conn, id: &str, size: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE upload_links SET files_used = files_used + 1, bytes_used = bytes_used + $2 \
         WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3 \
         AND (max_files IS NULL OR files_used + 1 <= max_files) \
         AND (max_bytes IS NULL OR bytes_used + $2 <= max_bytes)",
    )
    .bind(id)
    .bind(size)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives back what [`reserve`] took for an upload that did not become a file.
pub async fn release(conn: &mut Conn, id: &str, size: i64) -> Result<()> {
    sqlx::query(
        "UPDATE upload_links SET files_used = files_used - 1, bytes_used = bytes_used - $2 \
         WHERE id = $1 AND files_used > 0",
    )
    .bind(id)
    .bind(size)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn revoke(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE upload_links SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a file came through upload link `link_id`, from whom (as they said).
pub async fn mark_file(
    conn: &mut Conn,
    file_id: &str,
    link_id: &str,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE files SET via_link_id = $2, via_link_name = $3, via_link_email = $4 WHERE id = $1",
    )
    .bind(file_id)
    .bind(link_id)
    .bind(name)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}
