//! Receipts being gathered (migration 0033): the ranges one client fetches of one file through
//! one link, kept until they make one `link.downloaded` receipt (see ferry-app's
//! `link_receipts`).

use crate::{Conn, Result};
use ferry_core::{FileId, FolderId, LinkId};

/// An open receipt: what one client has received of one file through one link so far.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenReceipt {
    /// The link the receipt is filed under (a folder link, for a file reached through one).
    #[sqlx(try_from = "String")]
    pub receipt_link_id: LinkId,
    #[sqlx(try_from = "String")]
    pub file_id: FileId,
    pub client_key: String,
    /// The link whose budget paid.
    #[sqlx(try_from = "String")]
    pub link_id: LinkId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    pub file_size: i64,
    /// The spans received, merged and sorted, as JSON `[[start, end], …]` (ends exclusive).
    pub spans: String,
    /// Bytes sent, summed over the ranges.
    pub bytes: i64,
    /// How many responses the receipt gathers.
    pub requests: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The first response's request id.
    pub request_id: String,
    pub first_at: i64,
    pub last_at: i64,
}

const COLUMNS: &str = "receipt_link_id, file_id, client_key, link_id, folder_id, file_size, \
                       spans, bytes, requests, ip, user_agent, request_id, first_at, last_at";

/// The open receipt of `client_key` for `file_id` under `receipt_link_id`, kept from changing
/// or being taken by [`take_quiet`] until the transaction ends (`FOR UPDATE` on PostgreSQL;
/// SQLite's write transactions are serialised already).
pub async fn get_for_update(
    conn: &mut Conn,
    receipt_link_id: &str,
    file_id: &str,
    client_key: &str,
) -> Result<Option<OpenReceipt>> {
    let lock = if crate::dialect::is_postgres(conn) {
        "FOR UPDATE"
    } else {
        ""
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM link_receipts \
         WHERE receipt_link_id = $1 AND file_id = $2 AND client_key = $3 {lock}"
    )))
    .bind(receipt_link_id)
    .bind(file_id)
    .bind(client_key)
    .fetch_optional(conn)
    .await?)
}

/// Writes an open receipt (a new one, or the grown one read by [`get_for_update`]).
pub async fn put(conn: &mut Conn, r: &OpenReceipt) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO link_receipts ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (receipt_link_id, file_id, client_key) DO UPDATE SET \
         spans = $7, bytes = $8, requests = $9, last_at = $14"
    )))
    .bind(r.receipt_link_id.as_str())
    .bind(r.file_id.as_str())
    .bind(&r.client_key)
    .bind(r.link_id.as_str())
    .bind(r.folder_id.as_str())
    .bind(r.file_size)
    .bind(&r.spans)
    .bind(r.bytes)
    .bind(r.requests)
    .bind(&r.ip)
    .bind(&r.user_agent)
    .bind(&r.request_id)
    .bind(r.first_at)
    .bind(r.last_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes an open receipt (it is being filed).
pub async fn remove(conn: &mut Conn, r: &OpenReceipt) -> Result<()> {
    sqlx::query(
        "DELETE FROM link_receipts \
         WHERE receipt_link_id = $1 AND file_id = $2 AND client_key = $3",
    )
    .bind(r.receipt_link_id.as_str())
    .bind(r.file_id.as_str())
    .bind(&r.client_key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes (removes and returns) up to `limit` receipts that have had no new range since
/// `quiet_since`, oldest first. The delete is the claim: of several nodes, one files each.
pub async fn take_quiet(conn: &mut Conn, quiet_since: i64, limit: i64) -> Result<Vec<OpenReceipt>> {
    let skip = crate::dialect::skip_locked(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "DELETE FROM link_receipts WHERE (receipt_link_id, file_id, client_key) IN \
         (SELECT receipt_link_id, file_id, client_key FROM link_receipts \
          WHERE last_at < $1 ORDER BY last_at LIMIT $2 {skip}) \
         RETURNING {COLUMNS}"
    )))
    .bind(quiet_since)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// How many receipts are being gathered.
pub async fn count(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM link_receipts")
        .fetch_one(conn)
        .await?)
}
