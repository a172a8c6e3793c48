//! Files and the reference-counted, content-addressed blobs behind them.

use ferry_core::FileState;

use crate::{Conn, Result};

/// A stored file with its owner's login.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct File {
    pub id: String,
    pub folder_id: String,
    pub owner_id: String,
    pub owner_login: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub mime_type: String,
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub state: FileState,
    pub expires_at: Option<i64>,
    pub held_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl File {
    pub fn is_held(&self) -> bool {
        self.state == FileState::Held
    }

    /// Whether the file's time to live has passed at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

pub struct NewFile<'a> {
    pub id: &'a str,
    pub folder_id: &'a str,
    pub owner_id: &'a str,
    pub name: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub mime_type: &'a str,
    pub expires_at: Option<i64>,
    pub now: i64,
}

const SELECT: &str = "SELECT f.id, f.folder_id, f.owner_id, u.login AS owner_login, f.name, \
                      f.size, f.sha256, f.mime_type, f.version, f.state, f.expires_at, \
                      f.held_until, f.created_at, f.updated_at \
                      FROM files f JOIN users u ON u.id = f.owner_id";

/// Takes a reference on the blob `sha256`, creating its row if this is the first one. On
/// PostgreSQL the row stays locked until the transaction ends, which is what makes publishing
/// the blob's bytes safe against a concurrent garbage collection of the same content.
pub async fn reference_blob(conn: &mut Conn, sha256: &str, size: i64, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (sha256) DO UPDATE SET refcount = blobs.refcount + 1, \
         unreferenced_since = NULL",
    )
    .bind(sha256)
    .bind(size)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops a reference on a blob; at zero it becomes a candidate for garbage collection.
pub async fn unreference_blob(conn: &mut Conn, sha256: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE blobs SET refcount = refcount - 1, \
         unreferenced_since = CASE WHEN refcount - 1 <= 0 THEN $2 ELSE NULL END \
         WHERE sha256 = $1",
    )
    .bind(sha256)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes up to `limit` blob rows unreferenced since before `cutoff` and returns their
/// hashes; the caller deletes the bytes before committing.
pub async fn claim_unreferenced_blobs(
    conn: &mut Conn,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "DELETE FROM blobs WHERE sha256 IN (SELECT sha256 FROM blobs \
         WHERE refcount <= 0 AND unreferenced_since < $1 LIMIT $2) \
         AND refcount <= 0 RETURNING sha256",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Inserts a file row (the blob must be referenced in the same transaction).
/// A live file of the same name in the folder is [`crate::StoreError::Conflict`].
pub async fn insert(conn: &mut Conn, new: &NewFile<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO files (id, folder_id, owner_id, name, size, sha256, mime_type, version, \
         state, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'active', $8, $9, $9)",
    )
    .bind(new.id)
    .bind(new.folder_id)
    .bind(new.owner_id)
    .bind(new.name)
    .bind(new.size)
    .bind(new.sha256)
    .bind(new.mime_type)
    .bind(new.expires_at)
    .bind(new.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a live file named `name` exists in the folder.
pub async fn name_taken(conn: &mut Conn, folder_id: &str, name: &str) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM files WHERE folder_id = $1 AND name = $2 AND state = 'active'",
    )
    .bind(folder_id)
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<File>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE f.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The folder's live files (active, not past their ttl at `now`) by name, after a cursor.
pub async fn list_live(
    conn: &mut Conn,
    folder_id: &str,
    now: i64,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<File>> {
    let (name, id) = after.unwrap_or(("", ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE f.folder_id = $1 AND f.state = 'active' \
         AND (f.expires_at IS NULL OR f.expires_at > $2) \
         AND (f.name > $3 OR (f.name = $3 AND f.id > $4)) \
         ORDER BY f.name, f.id LIMIT $5"
    )))
    .bind(folder_id)
    .bind(now)
    .bind(name)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Moves a file into retention hold until `held_until`.
pub async fn hold(conn: &mut Conn, id: &str, held_until: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE files SET state = 'held', held_until = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(held_until)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the file row, drops its blob reference and gives its size back to the owner's
/// quota. Returns false if the row was already gone (a concurrent delete won).
pub async fn remove(conn: &mut Conn, file: &File, now: i64) -> Result<bool> {
    let gone = sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(&file.id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if gone == 0 {
        return Ok(false);
    }
    unreference_blob(conn, &file.sha256, now).await?;
    crate::users::release_quota(conn, &file.owner_id, file.size).await?;
    Ok(true)
}

/// Files whose retention hold or time to live has ended at `now`.
pub async fn due_for_purge(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<File>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE (f.state = 'held' AND f.held_until <= $1) \
         OR (f.expires_at IS NOT NULL AND f.expires_at <= $1) \
         ORDER BY f.id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Brings a held file back as a live file named `name`.
pub async fn restore(conn: &mut Conn, id: &str, name: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE files SET state = 'active', held_until = NULL, name = $2, updated_at = $3 \
         WHERE id = $1 AND state = 'held'",
    )
    .bind(id)
    .bind(name)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
