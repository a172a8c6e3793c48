//! Scrubbing (migration 0032): which blobs are due to be re-read and checked against their
//! SHA-256, claimed by stamping `scrubbed_at` first (so several nodes share the work), and the
//! lists `ferry admin fsck` compares with what the blob store holds.

use crate::{Conn, Result};

/// A blob to check: its SHA-256, its key in the blob store and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCheck {
    pub sha256: String,
    pub key: String,
    pub size: i64,
}

type Row = (String, String, i64);

fn check((sha256, key, size): Row) -> BlobCheck {
    BlobCheck { sha256, key, size }
}

/// Claims up to `limit` referenced blobs last checked (or, never checked, stored) at or before
/// `due_before`, oldest first, stamping them as checked at `now`.
pub async fn claim_due(
    conn: &mut Conn,
    due_before: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<BlobCheck>> {
    let rows: Vec<Row> = sqlx::query_as(
        "UPDATE blobs SET scrubbed_at = $1 WHERE sha256 IN (\
             SELECT sha256 FROM blobs WHERE refcount > 0 \
             AND COALESCE(scrubbed_at, created_at) <= $2 \
             ORDER BY COALESCE(scrubbed_at, created_at), sha256 LIMIT $3) \
         RETURNING sha256, COALESCE(storage_key, sha256), size",
    )
    .bind(now)
    .bind(due_before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(check).collect())
}

/// Every referenced blob, by SHA-256 (for `fsck`).
pub async fn referenced(conn: &mut Conn) -> Result<Vec<BlobCheck>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT sha256, COALESCE(storage_key, sha256), size FROM blobs WHERE refcount > 0 \
         ORDER BY sha256",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(check).collect())
}

/// Every key the database knows (blobs of any reference count, ready thumbnails): what is
/// not among them in the blob store is an orphan.
pub async fn known_keys(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(storage_key, sha256) FROM blobs \
         UNION SELECT storage_key FROM blob_renditions WHERE storage_key IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Which of `keys` (keys the blob store listed) the database knows: blobs of any reference
/// count and ready thumbnails. `fsck` asks a page of keys at a time, so neither side is ever
/// held whole.
pub async fn known_among(conn: &mut Conn, keys: &[String]) -> Result<Vec<String>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut marks = crate::dialect::Placeholders::default();
    let (a, b, c) = (
        marks.list(keys.len()),
        marks.list(keys.len()),
        marks.list(keys.len()),
    );
    // Blobs stored before keys existed are known by their SHA-256 (local disk).
    let sql = format!(
        "SELECT storage_key FROM blobs WHERE storage_key IN ({a}) \
         UNION SELECT sha256 FROM blobs WHERE storage_key IS NULL AND sha256 IN ({b}) \
         UNION SELECT storage_key FROM blob_renditions WHERE storage_key IN ({c})"
    );
    // Safe: only numbered placeholders are formatted in; the keys are bound.
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
    for _ in 0..3 {
        for key in keys {
            query = query.bind(key);
        }
    }
    Ok(query.fetch_all(&mut *conn).await?)
}
