//! Virus scan results, one per content (blob SHA-256), and the queue the scan worker claims
//! from.
//!
//! A blob gets its row from [`discover`], which the worker runs each pass: every referenced
//! blob without a row becomes `pending` (or `skipped` with scanning off). Workers on any node
//! [`claim`] due rows in one statement with a lease and a claim token (as the mail outbox
//! does) and [`finish`] them only while they still hold the claim.

use ferry_core::ScanStatus;
use ferry_core::{FileId, FolderId, UserId};

use crate::{Conn, Result};

/// Blobs given a row per statement.
const DISCOVER_BATCH: i64 = 1000;

/// The scan of one content.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scan {
    pub sha256: String,
    #[sqlx(try_from = "String")]
    pub status: ScanStatus,
    pub signature: Option<String>,
    pub scanned_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The scan of `sha256`, if it has a row yet.
pub async fn get(conn: &mut Conn, sha256: &str) -> Result<Option<Scan>> {
    Ok(sqlx::query_as(
        "SELECT sha256, status, signature, scanned_at, attempts, last_error \
         FROM blob_scans WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(conn)
    .await?)
}

/// Gives the content `sha256` its row with `status` if it has none (at publish, in the
/// publishing transaction).
pub async fn ensure(conn: &mut Conn, sha256: &str, status: ScanStatus, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO blob_scans (sha256, status, attempts, next_attempt_at, updated_at) \
         VALUES ($1, $2, 0, $3, $3) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(status.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The blob store key and size of the content `sha256`, while some file references it.
pub async fn blob(conn: &mut Conn, sha256: &str) -> Result<Option<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT COALESCE(storage_key, sha256), size FROM blobs \
         WHERE sha256 = $1 AND refcount > 0",
    )
    .bind(sha256)
    .fetch_optional(conn)
    .await?)
}

/// Gives every referenced blob without a row one with `status` (`pending`, or `skipped` with
/// scanning off), and reconciles the rows that wait with the setting: with scanning on,
/// `skipped` content becomes `pending`; with it off, `pending` and `error` become `skipped`.
/// Returns how many rows it added.
pub async fn discover(conn: &mut Conn, scanning: bool, now: i64) -> Result<u64> {
    let status = if scanning {
        ScanStatus::Pending
    } else {
        ScanStatus::Skipped
    };
    // A read-only look first: an idle node then never takes SQLite's write lock.
    let missing: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM blobs b WHERE b.refcount > 0 \
         AND NOT EXISTS (SELECT 1 FROM blob_scans s WHERE s.sha256 = b.sha256) LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let mut added = 0;
    if missing.is_some() {
        added = sqlx::query(
            "INSERT INTO blob_scans (sha256, status, attempts, next_attempt_at, updated_at) \
             SELECT b.sha256, $1, 0, $2, $2 FROM blobs b WHERE b.refcount > 0 \
             AND NOT EXISTS (SELECT 1 FROM blob_scans s WHERE s.sha256 = b.sha256) LIMIT $3 \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(DISCOVER_BATCH)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    let (from, to): (&[&str], ScanStatus) = if scanning {
        (&["skipped"], ScanStatus::Pending)
    } else {
        (&["pending", "error"], ScanStatus::Skipped)
    };
    let stale: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM blob_scans WHERE status = $1 OR status = $2 LIMIT 1")
            .bind(from[0])
            .bind(from.get(1).copied().unwrap_or(from[0]))
            .fetch_optional(&mut *conn)
            .await?;
    if stale.is_some() {
        sqlx::query(
            "UPDATE blob_scans SET status = $3, attempts = 0, next_attempt_at = $4, \
             updated_at = $4, claimed_until = NULL, claim_token = NULL \
             WHERE status = $1 OR status = $2",
        )
        .bind(from[0])
        .bind(from.get(1).copied().unwrap_or(from[0]))
        .bind(to.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(added)
}

/// Content claimed for a scan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub sha256: String,
    /// Attempts before this one.
    pub attempts: i64,
}

/// Claims up to `limit` due scans (pending, or failed and due again) until `until`, marking
/// them with `token`, in one statement several nodes can run at once. Only content some file
/// still references is claimed.
pub async fn claim(
    conn: &mut Conn,
    now: i64,
    until: i64,
    token: &str,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM blob_scans WHERE status IN ('pending', 'error') \
         AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let lock = crate::dialect::skip_locked(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE blob_scans SET claimed_until = $2, claim_token = $3, updated_at = $1 \
         WHERE sha256 IN (SELECT s.sha256 FROM blob_scans s \
            WHERE s.status IN ('pending', 'error') AND s.next_attempt_at <= $1 \
            AND (s.claimed_until IS NULL OR s.claimed_until < $1) \
            AND EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = s.sha256 AND b.refcount > 0) \
            ORDER BY s.next_attempt_at LIMIT $4 {lock}) \
         RETURNING sha256, attempts"
    )))
    .bind(now)
    .bind(until)
    .bind(token)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Gives a claimed scan back without an attempt (a worker shutting down).
pub async fn release(conn: &mut Conn, sha256: &str, token: &str) -> Result<()> {
    sqlx::query(
        "UPDATE blob_scans SET claimed_until = NULL, claim_token = NULL \
         WHERE sha256 = $1 AND claim_token = $2",
    )
    .bind(sha256)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(())
}

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Infected {
        signature: String,
    },
    /// The attempt failed; try again at this time.
    Failed {
        error: String,
        retry_at: i64,
    },
}

/// Records an attempt if the caller still holds the claim `token`; returns whether it did.
/// Run it in the transaction that also audits what an infected result means.
pub async fn finish(
    conn: &mut Conn,
    sha256: &str,
    token: &str,
    outcome: &Outcome,
    now: i64,
) -> Result<bool> {
    let (status, signature, scanned_at, next, error) = match outcome {
        Outcome::Clean => (ScanStatus::Clean, None, Some(now), now, None),
        Outcome::Infected { signature } => (
            ScanStatus::Infected,
            Some(signature.as_str()),
            Some(now),
            now,
            None,
        ),
        Outcome::Failed { error, retry_at } => (
            ScanStatus::Error,
            None,
            None,
            *retry_at,
            Some(error.as_str()),
        ),
    };
    let done = sqlx::query(
        "UPDATE blob_scans SET status = $3, signature = $4, \
         scanned_at = COALESCE($5, scanned_at), attempts = attempts + 1, \
         next_attempt_at = $6, last_error = $7, updated_at = $8, claimed_until = NULL, \
         claim_token = NULL WHERE sha256 = $1 AND claim_token = $2",
    )
    .bind(sha256)
    .bind(token)
    .bind(status.as_str())
    .bind(signature)
    .bind(scanned_at)
    .bind(next)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A live file (any version of it) whose content is `sha256`: who to tell of an infection.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Holder {
    #[sqlx(try_from = "String")]
    pub file_id: FileId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    pub name: String,
}

/// Every file that holds the content `sha256`, as its current version or an older one.
pub async fn holders(conn: &mut Conn, sha256: &str) -> Result<Vec<Holder>> {
    Ok(sqlx::query_as(
        "SELECT f.id AS file_id, f.folder_id, f.owner_id, f.name FROM files f \
         WHERE f.sha256 = $1 OR EXISTS (SELECT 1 FROM file_versions v \
            WHERE v.file_id = f.id AND v.sha256 = $1) \
         ORDER BY f.id",
    )
    .bind(sha256)
    .fetch_all(conn)
    .await?)
}

/// How many scans wait, by status (for `/readyz` and metrics): `(pending, error)`.
pub async fn backlog(conn: &mut Conn) -> Result<(i64, i64)> {
    let row: (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), 0) \
         FROM blob_scans WHERE status IN ('pending', 'error')",
    )
    .fetch_one(conn)
    .await?;
    Ok(row)
}
