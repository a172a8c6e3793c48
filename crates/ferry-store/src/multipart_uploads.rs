//! Multipart uploads the blob store started (migration 0045), recorded before their first part
//! is sent and forgotten once completed or aborted. The collector aborts the ones left behind:
//! claimed by deleting their rows in its transaction, so several nodes share the work.

use crate::dialect::skip_locked;
use crate::{Conn, Result};

/// A recorded multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MultipartUpload {
    /// The object store's id of the upload.
    pub upload_id: String,
    /// The key it writes to.
    pub storage_key: String,
    /// The upload session it belongs to; `None` for a simple upload.
    pub session_id: Option<String>,
    pub created_at: i64,
}

/// Records an upload (again: a retried record keeps the first).
pub async fn record(
    conn: &mut Conn,
    upload_id: &str,
    storage_key: &str,
    session_id: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO multipart_uploads (upload_id, storage_key, session_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (upload_id) DO NOTHING",
    )
    .bind(upload_id)
    .bind(storage_key)
    .bind(session_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets a completed or aborted upload (one forgotten already is fine).
pub async fn forget(conn: &mut Conn, storage_key: &str, upload_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM multipart_uploads WHERE upload_id = $1 AND storage_key = $2")
        .bind(upload_id)
        .bind(storage_key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims (deletes, within the caller's transaction) up to `limit` uploads recorded before
/// `cutoff` that no unfinished upload session refers to: the caller aborts them before it
/// commits, and a failed abort rolls the claim back for the next pass.
pub async fn claim_abandoned(
    conn: &mut Conn,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<MultipartUpload>> {
    // PostgreSQL: the rows are locked first, skipping those another node holds, so that two
    // nodes never wait on (or abort) the same uploads.
    let sql = format!(
        "DELETE FROM multipart_uploads WHERE upload_id IN (\
             SELECT m.upload_id FROM multipart_uploads m WHERE m.created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.id = m.session_id \
                 AND u.status IN ('open', 'completing')) \
             ORDER BY m.created_at LIMIT $2 {}) \
         RETURNING upload_id, storage_key, session_id, created_at",
        skip_locked(conn)
    );
    // Safe: the only formatted piece is a fixed clause.
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(cutoff)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Every recorded upload, oldest first (tests and diagnostics).
pub async fn all(conn: &mut Conn) -> Result<Vec<MultipartUpload>> {
    Ok(sqlx::query_as(
        "SELECT upload_id, storage_key, session_id, created_at FROM multipart_uploads \
         ORDER BY created_at, upload_id",
    )
    .fetch_all(conn)
    .await?)
}
