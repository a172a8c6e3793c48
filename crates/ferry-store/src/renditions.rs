//! Renditions of a content (thumbnails), one per (content SHA-256, kind), so that identical
//! content is rendered once. A ready rendition is a blob of its own under `storage_key`; an
//! unavailable one remembers that this content cannot be rendered, so nobody tries again.
//! Media metadata read from a content (dimensions, EXIF) is kept here too, once per content.

use crate::{Conn, Result};

/// A stored rendition.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rendition {
    pub sha256: String,
    pub kind: String,
    /// `ready` or `unavailable`.
    pub status: String,
    pub storage_key: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<i64>,
    pub created_at: i64,
}

impl Rendition {
    pub fn is_ready(&self) -> bool {
        self.status == "ready" && self.storage_key.is_some()
    }

    /// A placeholder for the worker: not made yet.
    pub fn is_pending(&self) -> bool {
        self.status == "queued" || self.status == "rendering"
    }
}

/// Asks the worker to make the rendition `kind` of `sha256` (at publish, in its transaction),
/// unless it exists or is asked for already.
pub async fn queue(conn: &mut Conn, sha256: &str, kind: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO blob_renditions (sha256, kind, status, created_at) \
         VALUES ($1, $2, 'queued', $3) ON CONFLICT (sha256, kind) DO NOTHING",
    )
    .bind(sha256)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queued work the worker claimed: a content and a kind, with a file's MIME type and the
/// content's size.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub sha256: String,
    pub kind: String,
}

/// Claims up to `limit` queued renditions (or ones whose renderer has not finished since
/// `stale_before`: its node died) in one statement several nodes can run at once.
pub async fn claim(
    conn: &mut Conn,
    now: i64,
    stale_before: i64,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM blob_renditions WHERE status = 'queued' \
         OR (status = 'rendering' AND created_at < $1) LIMIT 1",
    )
    .bind(stale_before)
    .fetch_optional(&mut *conn)
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let lock = crate::dialect::skip_locked(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE blob_renditions SET status = 'rendering', created_at = $1 \
         WHERE (sha256, kind) IN (SELECT sha256, kind FROM blob_renditions \
            WHERE status = 'queued' OR (status = 'rendering' AND created_at < $2) \
            ORDER BY created_at LIMIT $3 {lock}) \
         RETURNING sha256, kind"
    )))
    .bind(now)
    .bind(stale_before)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A live file's MIME type and the size of the content `sha256`, if a file still holds it.
pub async fn source(conn: &mut Conn, sha256: &str) -> Result<Option<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT f.mime_type, b.size FROM files f JOIN blobs b ON b.sha256 = f.sha256 \
         WHERE f.sha256 = $1 AND b.refcount > 0 LIMIT 1",
    )
    .bind(sha256)
    .fetch_optional(conn)
    .await?)
}

/// The rendition `kind` of the content `sha256`, if one was made.
pub async fn get(conn: &mut Conn, sha256: &str, kind: &str) -> Result<Option<Rendition>> {
    Ok(sqlx::query_as(
        "SELECT sha256, kind, status, storage_key, mime_type, size, created_at \
         FROM blob_renditions WHERE sha256 = $1 AND kind = $2",
    )
    .bind(sha256)
    .bind(kind)
    .fetch_optional(conn)
    .await?)
}

/// What a new rendition is.
pub struct NewRendition<'a> {
    pub sha256: &'a str,
    pub kind: &'a str,
    /// `Some((key, mime, size))` for a ready one, `None` for unavailable.
    pub ready: Option<(&'a str, &'a str, i64)>,
    pub now: i64,
}

/// Records a rendition unless another node recorded the same one first (a `queued` or
/// `rendering` placeholder is replaced); returns the one that is stored (which may be the
/// other node's: then this one's blob is not needed).
pub async fn insert(conn: &mut Conn, r: &NewRendition<'_>) -> Result<Rendition> {
    let (status, key, mime, size) = match r.ready {
        Some((key, mime, size)) => ("ready", Some(key), Some(mime), Some(size)),
        None => ("unavailable", None, None, None),
    };
    sqlx::query(
        "INSERT INTO blob_renditions (sha256, kind, status, storage_key, mime_type, size, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256, kind) \
         DO UPDATE SET status = excluded.status, storage_key = excluded.storage_key, \
         mime_type = excluded.mime_type, size = excluded.size, created_at = excluded.created_at \
         WHERE blob_renditions.status IN ('queued', 'rendering')",
    )
    .bind(r.sha256)
    .bind(r.kind)
    .bind(status)
    .bind(key)
    .bind(mime)
    .bind(size)
    .bind(r.now)
    .execute(&mut *conn)
    .await?;
    Ok(get(conn, r.sha256, r.kind)
        .await?
        .expect("a rendition row exists after the insert"))
}

/// Forgets a rendition whose blob went missing, so that it is made again.
pub async fn forget(conn: &mut Conn, sha256: &str, kind: &str) -> Result<()> {
    sqlx::query("DELETE FROM blob_renditions WHERE sha256 = $1 AND kind = $2")
        .bind(sha256)
        .bind(kind)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether anything else (another rendition, or a content blob) is stored under `key`, so
/// that removing one rendition must leave the bytes.
pub async fn key_in_use(conn: &mut Conn, key: &str) -> Result<bool> {
    let used: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM blob_renditions WHERE storage_key = $1 \
         UNION ALL SELECT 1 FROM blobs WHERE COALESCE(storage_key, sha256) = $1 LIMIT 1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    Ok(used.is_some())
}

/// Removes up to `limit` renditions of content that is gone (its blob was collected), along
/// with media metadata of such content; returns the blob keys of the removed renditions.
pub async fn remove_orphans(conn: &mut Conn, limit: i64) -> Result<Vec<String>> {
    let orphans: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT r.sha256, r.kind, r.storage_key FROM blob_renditions r \
         WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = r.sha256) LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut keys = Vec::new();
    for (sha256, kind, key) in orphans {
        forget(conn, &sha256, &kind).await?;
        keys.extend(key);
    }
    sqlx::query(
        "DELETE FROM blob_media WHERE NOT EXISTS \
         (SELECT 1 FROM blobs b WHERE b.sha256 = blob_media.sha256)",
    )
    .execute(&mut *conn)
    .await?;
    Ok(keys)
}

/// The media metadata read from the content `sha256` (JSON), if it was read before.
pub async fn media(conn: &mut Conn, sha256: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT media FROM blob_media WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(conn)
            .await?,
    )
}

/// The fields of a content's media metadata that search filters on, kept as columns beside
/// the JSON (migration 0044 fills them for rows read before it, by the same rules).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaKeys {
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// The EXIF time as `YYYY-MM-DDTHH:MM:SS` (the camera's clock; text, so that it sorts).
    pub taken_at: Option<String>,
    /// Make and model joined by a space, lowercased.
    pub camera: Option<String>,
    pub has_location: bool,
    /// Lowercased.
    pub artist: Option<String>,
    /// Lowercased.
    pub album: Option<String>,
    pub duration_ms: Option<i64>,
}

/// Keeps what was read from the content `sha256` (the first reader's answer stays): the JSON
/// that is shown and the columns that are searched.
pub async fn put_media(
    conn: &mut Conn,
    sha256: &str,
    media: &str,
    keys: &MediaKeys,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO blob_media (sha256, media, created_at, width, height, taken_at, camera, \
         has_location, artist, album, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(media)
    .bind(now)
    .bind(keys.width)
    .bind(keys.height)
    .bind(keys.taken_at.as_deref())
    .bind(keys.camera.as_deref())
    .bind(i64::from(keys.has_location))
    .bind(keys.artist.as_deref())
    .bind(keys.album.as_deref())
    .bind(keys.duration_ms)
    .execute(conn)
    .await?;
    Ok(())
}

/// The searchable columns kept for the content `sha256` (for tests and checks).
pub async fn media_keys(conn: &mut Conn, sha256: &str) -> Result<Option<MediaKeys>> {
    type Row = (
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT width, height, taken_at, camera, has_location, artist, album, duration_ms \
         FROM blob_media WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(width, height, taken_at, camera, has_location, artist, album, duration_ms)| MediaKeys {
            width,
            height,
            taken_at,
            camera,
            has_location: has_location != 0,
            artist,
            album,
            duration_ms,
        },
    ))
}
