//! Installation-wide figures for the metrics: what is stored, who can log in, what is in
//! flight. One query, read at scrape time (every node reports the same).

use crate::{Conn, Result};

/// What the metrics show of the whole installation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes in the blob store: each content once, however many files and versions share it.
    pub stored_bytes: i64,
    /// Files that are not in the trash.
    pub files: i64,
    /// Accounts that are not deleted.
    pub users: i64,
    /// Resumable uploads open or being completed.
    pub uploads_in_flight: i64,
    /// Webhook deliveries waiting for their first or next attempt.
    pub webhook_backlog: i64,
}

pub async fn totals(conn: &mut Conn) -> Result<Totals> {
    let (stored_bytes, files, users, uploads_in_flight, webhook_backlog): (
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "SELECT \
             (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs WHERE refcount > 0), \
             (SELECT COUNT(*) FROM files WHERE trash_id IS NULL), \
             (SELECT COUNT(*) FROM users WHERE deleted_at IS NULL), \
             (SELECT COUNT(*) FROM uploads WHERE status IN ('open', 'completing')), \
             (SELECT COUNT(*) FROM webhook_deliveries \
              WHERE status IN ('pending', 'failed', 'delivering'))",
    )
    .fetch_one(conn)
    .await?;
    Ok(Totals {
        stored_bytes,
        files,
        users,
        uploads_in_flight,
        webhook_backlog,
    })
}

/// The same figures for one company: the quota use of its users (not deduplicated across
/// them), the files in their folders, its accounts, their uploads and no webhook backlog.
pub async fn company_totals(conn: &mut Conn, company_id: &str) -> Result<Totals> {
    let (stored_bytes, files, users, uploads_in_flight): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT \
         (SELECT CAST(COALESCE(SUM(used_bytes), 0) AS BIGINT) FROM users WHERE company_id = $1), \
         (SELECT COUNT(*) FROM files fi JOIN folders f ON f.id = fi.folder_id \
          JOIN users u ON u.id = f.owner_id WHERE u.company_id = $1 AND fi.trash_id IS NULL), \
         (SELECT COUNT(*) FROM users WHERE company_id = $1 AND deleted_at IS NULL), \
         (SELECT COUNT(*) FROM uploads up JOIN users u ON u.id = up.payer_id \
          WHERE u.company_id = $1 AND up.status IN ('open', 'completing'))",
    )
    .bind(company_id)
    .fetch_one(conn)
    .await?;
    Ok(Totals {
        stored_bytes,
        files,
        users,
        uploads_in_flight,
        webhook_backlog: 0,
    })
}
