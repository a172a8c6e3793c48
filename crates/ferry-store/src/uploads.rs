//! Resumable upload sessions and their received parts.

use ferry_core::{UploadId, UserId};
use std::collections::HashMap;

use ferry_core::{OnConflict, UploadStatus};

use crate::dialect::Placeholders;
use crate::{Conn, Result};

/// A stored upload session. Its `status` ([`UploadStatus`]): `completing` is verification in
/// progress; the others are final but `open`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    #[sqlx(try_from = "String")]
    pub id: UploadId,
    #[sqlx(try_from = "String")]
    pub creator_id: UserId,
    #[sqlx(try_from = "String")]
    pub payer_id: UserId,
    /// None only for tus partial uploads.
    pub folder_id: Option<String>,
    pub filename: String,
    pub size: i64,
    pub part_size: i64,
    pub part_count: i64,
    pub checksum_sha256: Option<String>,
    #[sqlx(try_from = "String")]
    pub on_conflict: OnConflict,
    #[sqlx(try_from = "String")]
    pub status: UploadStatus,
    pub hashed_parts: i64,
    pub hash_state: Option<Vec<u8>>,
    pub file_id: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// `native` or `tus`.
    pub protocol: String,
    /// tus: bytes durably received, written sequentially from 0.
    pub tus_offset: i64,
    /// tus concatenation: `partial`, `final` or none.
    pub tus_concat: Option<String>,
    /// tus final upload: its partial uploads' ids, space separated, in order.
    pub tus_partials: Option<String>,
    /// tus: the client's `Upload-Metadata`, echoed back.
    pub tus_metadata: Option<String>,
    /// When the client says the file was last modified; becomes the file's.
    pub client_modified_at: Option<i64>,
    /// The upload link it came through, if any, and what the uploader said of themselves.
    #[sqlx(default)]
    pub link_id: Option<String>,
    #[sqlx(default)]
    pub uploader_name: Option<String>,
    #[sqlx(default)]
    pub uploader_email: Option<String>,
    /// The blob store's handle on the session (on S3 the multipart upload; None on local
    /// disk), opaque here.
    #[sqlx(default)]
    pub blob_session: Option<String>,
}

impl Upload {
    /// Offset and length of part `n` (1-based).
    pub fn part_span(&self, n: i64) -> (i64, i64) {
        let offset = (n - 1) * self.part_size;
        (offset, (self.size - offset).min(self.part_size).max(0))
    }
}

/// A received part.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Part {
    pub part_no: i64,
    pub size: i64,
    pub sha256: String,
    pub prefix_state: Option<Vec<u8>>,
    /// What the blob store needs to find the part again (on S3 its parts' ETags), opaque here.
    #[sqlx(default)]
    pub blob_receipt: Option<String>,
}

const COLUMNS: &str = "id, creator_id, payer_id, folder_id, filename, size, part_size, part_count, \
                       checksum_sha256, on_conflict, status, hashed_parts, hash_state, file_id, \
                       expires_at, created_at, updated_at, protocol, tus_offset, tus_concat, \
                       tus_partials, tus_metadata, client_modified_at, link_id, uploader_name, \
                       uploader_email, blob_session";

pub async fn insert(conn: &mut Conn, u: &Upload) -> Result<()> {
    sqlx::query(
        "INSERT INTO uploads (id, creator_id, payer_id, folder_id, filename, size, part_size, \
         part_count, checksum_sha256, on_conflict, status, hashed_parts, expires_at, created_at, \
         updated_at, protocol, tus_offset, tus_concat, tus_partials, tus_metadata, \
         client_modified_at, link_id, uploader_name, uploader_email, blob_session) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $13, $14, 0, $15, \
         $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(u.id.as_str())
    .bind(u.creator_id.as_str())
    .bind(u.payer_id.as_str())
    .bind(&u.folder_id)
    .bind(&u.filename)
    .bind(u.size)
    .bind(u.part_size)
    .bind(u.part_count)
    .bind(&u.checksum_sha256)
    .bind(u.on_conflict.as_str())
    .bind(u.status.as_str())
    .bind(u.expires_at)
    .bind(u.created_at)
    .bind(&u.protocol)
    .bind(&u.tus_concat)
    .bind(&u.tus_partials)
    .bind(&u.tus_metadata)
    .bind(u.client_modified_at)
    .bind(&u.link_id)
    .bind(&u.uploader_name)
    .bind(&u.uploader_email)
    .bind(&u.blob_session)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Upload>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM uploads WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Uploads newest first (by `(created_at, id)` descending), strictly before the `before`
/// position: those `creator_id` created (`None`: everyone's), in one of `statuses` (empty:
/// any status). At most `limit` rows.
pub async fn list(
    conn: &mut Conn,
    creator_id: Option<&str>,
    statuses: &[UploadStatus],
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Upload>> {
    let mut sql = format!("SELECT {COLUMNS} FROM uploads WHERE 1 = 1");
    let mut marks = Placeholders::default();
    if creator_id.is_some() {
        sql += &format!(" AND creator_id = {}", marks.next());
    }
    if !statuses.is_empty() {
        sql += &format!(" AND status IN ({})", marks.list(statuses.len()));
    }
    if before.is_some() {
        let (t, id) = (marks.next(), marks.next());
        sql += &format!(" AND (created_at < {t} OR (created_at = {t} AND id < {id}))");
    }
    sql += &format!(" ORDER BY created_at DESC, id DESC LIMIT {}", marks.next());
    let mut q = sqlx::query_as::<_, Upload>(sqlx::AssertSqlSafe(sql));
    if let Some(c) = creator_id {
        q = q.bind(c);
    }
    for s in statuses {
        q = q.bind(s.as_str());
    }
    if let Some((t, id)) = before {
        q = q.bind(t).bind(id);
    }
    Ok(q.bind(limit).fetch_all(conn).await?)
}

/// The received parts (`part_no`, `size`) of each of these uploads, in one query, each
/// upload's in order (uploads without parts are absent).
pub async fn parts_of(conn: &mut Conn, ids: &[&str]) -> Result<HashMap<String, Vec<(i64, i64)>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT upload_id, part_no, size FROM upload_parts WHERE upload_id IN ({}) \
         ORDER BY upload_id, part_no",
        Placeholders::default().list(ids.len())
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(*id);
    }
    let mut out: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for (id, part_no, size) in q.fetch_all(conn).await? {
        out.entry(id).or_default().push((part_no, size));
    }
    Ok(out)
}

/// Space that unfinished uploads (`open` or `completing`) hold for one payer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reserved {
    /// The sum of their sizes.
    pub bytes: i64,
    /// How many there are.
    pub uploads: i64,
}

/// What unfinished uploads hold for each of these payers, in one query (payers with none
/// are absent).
pub async fn reserved_by(conn: &mut Conn, payer_ids: &[&str]) -> Result<HashMap<String, Reserved>> {
    if payer_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT payer_id, CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM uploads \
         WHERE status IN ('open', 'completing') AND payer_id IN ({}) GROUP BY payer_id",
        Placeholders::default().list(payer_ids.len())
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql));
    for id in payer_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn)
        .await?
        .into_iter()
        .map(|(id, bytes, uploads)| (id, Reserved { bytes, uploads }))
        .collect())
}

/// Received parts in order.
pub async fn parts(conn: &mut Conn, id: &str) -> Result<Vec<Part>> {
    Ok(sqlx::query_as(
        "SELECT part_no, size, sha256, prefix_state, blob_receipt FROM upload_parts \
         WHERE upload_id = $1 \
         ORDER BY part_no",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

pub async fn part(conn: &mut Conn, id: &str, part_no: i64) -> Result<Option<Part>> {
    Ok(sqlx::query_as(
        "SELECT part_no, size, sha256, prefix_state, blob_receipt FROM upload_parts \
         WHERE upload_id = $1 AND part_no = $2",
    )
    .bind(id)
    .bind(part_no)
    .fetch_optional(conn)
    .await?)
}

/// Moves `id` from `from` to `to` if it is in `from` (and, for `open`, not past `now`).
/// Returns whether this call made the transition: the one conditional UPDATE that decides
/// races between parts, complete, abort and expiry.
pub async fn transition(
    conn: &mut Conn,
    id: &str,
    from: UploadStatus,
    to: UploadStatus,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2 \
         AND (status <> 'open' OR $3 = 'expired' OR expires_at > $4)",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the session row for the transaction if it is open and not expired at `now`.
pub async fn touch_open(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET updated_at = $2 WHERE id = $1 AND status = 'open' AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets a part (before it is rewritten), and rewinds the hash frontier behind it.
pub async fn forget_part(conn: &mut Conn, id: &str, part_no: i64) -> Result<()> {
    sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 AND part_no = $2")
        .bind(id)
        .bind(part_no)
        .execute(&mut *conn)
        .await?;
    let prev: Option<Option<Vec<u8>>> = sqlx::query_scalar(
        "SELECT prefix_state FROM upload_parts WHERE upload_id = $1 AND part_no = $2",
    )
    .bind(id)
    .bind(part_no - 1)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE uploads SET hashed_parts = $2, hash_state = $3 WHERE id = $1 AND hashed_parts >= $4",
    )
    .bind(id)
    .bind(part_no - 1)
    .bind(prev.flatten())
    .bind(part_no)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_part(
    conn: &mut Conn,
    id: &str,
    part_no: i64,
    size: i64,
    sha256: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO upload_parts (upload_id, part_no, size, sha256, received_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(part_no)
    .bind(size)
    .bind(sha256)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Keeps what the blob store needs to find part `part_no` again (recorded in this
/// transaction by [`record_part`]).
pub async fn set_part_receipt(
    conn: &mut Conn,
    id: &str,
    part_no: i64,
    receipt: &str,
) -> Result<()> {
    sqlx::query("UPDATE upload_parts SET blob_receipt = $3 WHERE upload_id = $1 AND part_no = $2")
        .bind(id)
        .bind(part_no)
        .bind(receipt)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the blob store's handle on the session (a tus append on S3 changes it; the caller
/// writes it in the transaction that moves the offset).
pub async fn set_blob_session(conn: &mut Conn, id: &str, session: &str) -> Result<()> {
    sqlx::query("UPDATE uploads SET blob_session = $2 WHERE id = $1")
        .bind(id)
        .bind(session)
        .execute(conn)
        .await?;
    Ok(())
}

/// Advances the hash frontier from `from` to `to` parts with `state`, if nobody moved it.
pub async fn advance_hash(
    conn: &mut Conn,
    id: &str,
    from: i64,
    to: i64,
    state: &[u8],
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET hashed_parts = $3, hash_state = $4 WHERE id = $1 AND hashed_parts = $2",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(state)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        sqlx::query(
            "UPDATE upload_parts SET prefix_state = $3 WHERE upload_id = $1 AND part_no = $2",
        )
        .bind(id)
        .bind(to)
        .bind(state)
        .execute(conn)
        .await?;
    }
    Ok(done.rows_affected() == 1)
}

pub async fn set_file(conn: &mut Conn, id: &str, file_id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE uploads SET status = 'completed', file_id = $2, updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(file_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets the expected whole-file checksum if none was declared yet.
pub async fn set_checksum(conn: &mut Conn, id: &str, sha256: &str) -> Result<()> {
    sqlx::query(
        "UPDATE uploads SET checksum_sha256 = $2 WHERE id = $1 AND checksum_sha256 IS NULL",
    )
    .bind(id)
    .bind(sha256)
    .execute(conn)
    .await?;
    Ok(())
}

/// Open sessions past their expiry at `now`.
pub async fn expired_open(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM uploads WHERE status = 'open' AND expires_at <= $1 LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Sessions whose verification was interrupted (e.g. by a crash).
pub async fn completing(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM uploads WHERE status = 'completing'")
            .fetch_all(conn)
            .await?,
    )
}

/// tus: moves the durable offset from `from` to `to` with the midstate there, if the session
/// is open, unexpired at `now`, and still at `from`.
pub async fn tus_advance(
    conn: &mut Conn,
    id: &str,
    from: i64,
    to: i64,
    state: &[u8],
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE uploads SET tus_offset = $3, hash_state = $4, updated_at = $5 \
         WHERE id = $1 AND tus_offset = $2 AND status = 'open' AND expires_at > $5",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(state)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// tus: the whole file is received and hashed; mark its single part as received and hashed
/// so completion has nothing left to hash.
pub async fn tus_received_all(conn: &mut Conn, upload: &Upload, now: i64) -> Result<()> {
    sqlx::query("UPDATE uploads SET hashed_parts = part_count WHERE id = $1")
        .bind(upload.id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO upload_parts (upload_id, part_no, size, sha256, prefix_state, received_at) \
         VALUES ($1, 1, $2, '', $3, $4) ON CONFLICT (upload_id, part_no) DO NOTHING",
    )
    .bind(upload.id.as_str())
    .bind(upload.size)
    .bind(&upload.hash_state)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ids of the sessions still open or completing, whose data is not an orphan (for `fsck`).
pub async fn unfinished_ids(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM uploads WHERE status IN ('open', 'completing')")
            .fetch_all(conn)
            .await?,
    )
}
