//! Files and the reference-counted, content-addressed blobs behind them.

use ferry_core::validate::name_key;
use ferry_core::{FileId, FolderId, UserId};
use ferry_core::{FileState, Sort, SortKey};

use crate::folders::After;
use crate::{Conn, Result};

/// A stored file with its owner's login. Size, hash and version are the current version's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct File {
    #[sqlx(try_from = "String")]
    pub id: FileId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    pub owner_login: String,
    pub name: String,
    pub description: String,
    /// A JSON array of strings.
    pub tags: String,
    pub size: i64,
    pub sha256: String,
    pub mime_type: String,
    pub version: i64,
    #[sqlx(try_from = "String")]
    pub state: FileState,
    pub expires_at: Option<i64>,
    pub held_until: Option<i64>,
    pub client_modified_at: Option<i64>,
    /// Counts changes: the metadata ETag.
    pub revision: i64,
    /// The trash item this file went with, if it was deleted (itself, or a folder above it).
    pub trash_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The upload link the file came through, and the uploader's name and e-mail as given.
    #[sqlx(default)]
    pub via_link_id: Option<String>,
    #[sqlx(default)]
    pub via_link_name: Option<String>,
    #[sqlx(default)]
    pub via_link_email: Option<String>,
    /// The current content's scan (`blob_scans`) as `status|scanned_at|signature` (one
    /// column keeps the row small); none before the scan worker saw it. Read it with
    /// [`File::scan_status`], [`File::scanned_at`] and [`File::scan_signature`].
    #[sqlx(default)]
    pub scan: Option<String>,
}

impl File {
    pub fn is_held(&self) -> bool {
        self.state == FileState::Held
    }

    /// Whether the file's time to live has passed at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    fn scan_part(&self, n: usize) -> Option<&str> {
        self.scan
            .as_deref()
            .and_then(|s| s.splitn(3, '|').nth(n))
            .filter(|p| !p.is_empty())
    }

    /// The current content's scan status, if the scan worker has seen it.
    pub fn scan_status(&self) -> Option<ferry_core::ScanStatus> {
        self.scan_part(0).and_then(ferry_core::ScanStatus::parse)
    }

    /// When the current content was scanned.
    pub fn scanned_at(&self) -> Option<i64> {
        self.scan_part(1).and_then(|t| t.parse().ok())
    }

    /// What matched in infected content.
    pub fn scan_signature(&self) -> Option<&str> {
        self.scan_part(2)
    }

    /// The tags, as stored.
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
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
    pub client_modified_at: Option<i64>,
    /// Who made this version: `(id, login)`, none for the system.
    pub created_by: Option<(&'a str, &'a str)>,
    pub now: i64,
}

const COLUMNS: &str = "f.id, f.folder_id, f.owner_id, u.login AS owner_login, f.name, \
                       f.description, f.tags, f.size, f.sha256, f.mime_type, f.version, f.state, \
                       f.expires_at, f.held_until, f.client_modified_at, f.revision, f.trash_id, \
                       f.created_at, f.updated_at, f.via_link_id, f.via_link_name, \
                       f.via_link_email, CASE WHEN sc.status IS NULL THEN NULL ELSE \
                       sc.status || '|' || COALESCE(CAST(sc.scanned_at AS TEXT), '') || '|' || \
                       COALESCE(sc.signature, '') END AS scan";

fn select() -> String {
    format!(
        "SELECT {COLUMNS} FROM files f JOIN users u ON u.id = f.owner_id \
         LEFT JOIN blob_scans sc ON sc.sha256 = f.sha256"
    )
}

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

/// [`reference_blob`] for content just written under `key`: creates the row with that key,
/// or takes a reference on the row already there. Returns the key the row holds, which is
/// another one when the same content was stored before (then the new copy is not needed).
pub async fn reference_new_blob(
    conn: &mut Conn,
    sha256: &str,
    size: i64,
    key: &str,
    crc32: Option<u32>,
    now: i64,
) -> Result<String> {
    Ok(sqlx::query_scalar(
        "INSERT INTO blobs (sha256, size, refcount, created_at, storage_key, crc32) \
         VALUES ($1, $2, 1, $3, $4, $5) \
         ON CONFLICT (sha256) DO UPDATE SET refcount = blobs.refcount + 1, \
         unreferenced_since = NULL, crc32 = COALESCE(blobs.crc32, excluded.crc32) \
         RETURNING COALESCE(storage_key, sha256)",
    )
    .bind(sha256)
    .bind(size)
    .bind(now)
    .bind(key)
    .bind(crc32.map(i64::from))
    .fetch_one(conn)
    .await?)
}

/// The blob store key of the blob `sha256` (its hash for blobs stored before keys were kept).
pub async fn blob_key(conn: &mut Conn, sha256: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(storage_key, sha256) FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(conn)
            .await?,
    )
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

/// Removes up to `limit` blob rows unreferenced since before `cutoff`, with the contents the
/// database kept for them ([`crate::blob_contents`]), and returns their keys; the caller
/// deletes the bytes of the blob store's keys before committing.
pub async fn claim_unreferenced_blobs(
    conn: &mut Conn,
    cutoff: i64,
    limit: i64,
) -> Result<Vec<String>> {
    let keys: Vec<String> = sqlx::query_scalar(
        "DELETE FROM blobs WHERE sha256 IN (SELECT sha256 FROM blobs \
         WHERE refcount <= 0 AND unreferenced_since < $1 LIMIT $2) \
         AND refcount <= 0 RETURNING COALESCE(storage_key, sha256)",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    crate::blob_contents::remove_for_keys(conn, &keys).await?;
    Ok(keys)
}

/// Inserts a file row and its first version (whose blob must be referenced in the same
/// transaction). A live file of the same name (case-insensitively) in the folder is
/// [`crate::StoreError::Conflict`].
pub async fn insert(conn: &mut Conn, new: &NewFile<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, mime_type, \
         version, state, expires_at, client_modified_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 'active', $9, $10, $11, $11)",
    )
    .bind(new.id)
    .bind(new.folder_id)
    .bind(new.owner_id)
    .bind(new.name)
    .bind(name_key(new.name))
    .bind(new.size)
    .bind(new.sha256)
    .bind(new.mime_type)
    .bind(new.expires_at)
    .bind(new.client_modified_at)
    .bind(new.now)
    .execute(&mut *conn)
    .await?;
    insert_version(
        conn,
        new.id,
        1,
        new.size,
        new.sha256,
        new.created_by,
        new.now,
    )
    .await
}

async fn insert_version(
    conn: &mut Conn,
    file_id: &str,
    version: i64,
    size: i64,
    sha256: &str,
    by: Option<(&str, &str)>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO file_versions (file_id, version, size, sha256, created_at, created_by_id, \
         created_by_login) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(file_id)
    .bind(version)
    .bind(size)
    .bind(sha256)
    .bind(now)
    .bind(by.map(|b| b.0))
    .bind(by.map(|b| b.1))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<File>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{} WHERE f.id = $1", select())))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// [`get`] with whether `user_id` marked the file a favorite, in the same statement (a
/// file's metadata shows the mark).
pub async fn get_marked(conn: &mut Conn, id: &str, user_id: &str) -> Result<Option<(File, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Marked {
        #[sqlx(flatten)]
        file: File,
        marked: i64,
    }
    let sql = format!(
        "SELECT {COLUMNS}, CASE WHEN EXISTS (SELECT 1 FROM favorites v \
         WHERE v.user_id = $2 AND v.file_id = f.id) THEN 1 ELSE 0 END AS marked \
         FROM files f JOIN users u ON u.id = f.owner_id \
         LEFT JOIN blob_scans sc ON sc.sha256 = f.sha256 WHERE f.id = $1"
    );
    let row: Option<Marked> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| (r.file, r.marked != 0)))
}

/// The files among `ids` that exist, in no particular order: one statement for a page of
/// ids (a search page) instead of one per id.
pub async fn get_many(conn: &mut Conn, ids: &[&str]) -> Result<Vec<File>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{} WHERE f.id IN ({})",
        select(),
        crate::dialect::Placeholders::starting_at(1).list(ids.len())
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?)
}

/// The live file named `name` (case-insensitively) in the folder, if any.
pub async fn by_name(conn: &mut Conn, folder_id: &str, name: &str) -> Result<Option<File>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE f.folder_id = $1 AND f.name_key = $2 AND f.trash_id IS NULL",
        select()
    )))
    .bind(folder_id)
    .bind(name_key(name))
    .fetch_optional(conn)
    .await?)
}

fn file_column(key: SortKey) -> &'static str {
    match key {
        SortKey::Name => "t.name_key",
        SortKey::UpdatedAt => "t.updated_at",
        SortKey::Size => "t.size",
    }
}

/// The sort value of a file, for the cursor after it.
pub fn sort_value(file: &File, sort: Sort) -> After {
    match sort.key {
        SortKey::Name => After::Text(name_key(&file.name), file.id.to_string()),
        SortKey::UpdatedAt => After::Number(file.updated_at, file.id.to_string()),
        SortKey::Size => After::Number(file.size, file.id.to_string()),
    }
}

/// Who added the file (the creator of its first version), if known.
pub async fn added_by(conn: &mut Conn, file_id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT created_by_id FROM file_versions WHERE file_id = $1 AND version = 1",
    )
    .bind(file_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// The folder's live files (not deleted, not past their ttl at `now`) in `sort` order, after
/// the cursor.
pub async fn list_live(
    conn: &mut Conn,
    folder_id: &str,
    now: i64,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<File>> {
    // No cursor condition on the first page (see `folders::children`).
    let (cond, order) = crate::folders::ordering(sort, file_column, 3);
    let (cond, limit_at) = match after {
        Some(_) => (format!("AND {cond}"), 5),
        None => (String::new(), 3),
    };
    let sql = format!(
        "SELECT {} FROM files t JOIN users u ON u.id = t.owner_id \
         LEFT JOIN blob_scans sc ON sc.sha256 = t.sha256 \
         WHERE t.folder_id = $1 AND t.trash_id IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) {cond} {order} LIMIT ${limit_at}",
        COLUMNS.replace("f.", "t.")
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folder_id)
        .bind(now);
    let query = match after {
        Some(After::Text(v, id)) => query.bind(v.clone()).bind(id.clone()),
        Some(After::Number(v, id)) => query.bind(*v).bind(id.clone()),
        None => query,
    };
    Ok(query.bind(limit).fetch_all(conn).await?)
}

/// [`list_live`], only the files `user_id` added (their first version is theirs): what an
/// uploader sees.
pub async fn list_added_by(
    conn: &mut Conn,
    folder_id: &str,
    user_id: &str,
    now: i64,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<File>> {
    // No cursor condition on the first page (see `folders::children`).
    let (cond, order) = crate::folders::ordering(sort, file_column, 4);
    let (cond, limit_at) = match after {
        Some(_) => (format!("AND {cond}"), 6),
        None => (String::new(), 4),
    };
    let sql = format!(
        "SELECT {} FROM files t JOIN users u ON u.id = t.owner_id \
         LEFT JOIN blob_scans sc ON sc.sha256 = t.sha256 \
         WHERE t.folder_id = $1 AND t.trash_id IS NULL \
         AND (t.expires_at IS NULL OR t.expires_at > $2) \
         AND EXISTS (SELECT 1 FROM file_versions v WHERE v.file_id = t.id AND v.version = 1 \
                     AND v.created_by_id = $3) {cond} {order} LIMIT ${limit_at}",
        COLUMNS.replace("f.", "t.")
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(folder_id)
        .bind(now)
        .bind(user_id);
    let query = match after {
        Some(After::Text(v, id)) => query.bind(v.clone()).bind(id.clone()),
        Some(After::Number(v, id)) => query.bind(*v).bind(id.clone()),
        None => query,
    };
    Ok(query.bind(limit).fetch_all(conn).await?)
}

/// Moves a file into retention hold until `held_until` (its own trash item).
pub async fn hold(conn: &mut Conn, id: &str, held_until: i64, now: i64) -> Result<()> {
    set_deleted(conn, id, FileState::Held, Some(held_until), now).await
}

/// Moves a file into the trash (its own trash item).
pub async fn trash(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    set_deleted(conn, id, FileState::Trashed, None, now).await
}

async fn set_deleted(
    conn: &mut Conn,
    id: &str,
    state: FileState,
    held_until: Option<i64>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE files SET state = $2, held_until = $3, trash_id = id, revision = revision + 1, \
         updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(held_until)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the file row with its versions, drops their blob references and gives their bytes
/// back to the owner's quota. Returns false if the row was already gone (a concurrent delete
/// won).
pub async fn remove(conn: &mut Conn, file: &File, now: i64) -> Result<bool> {
    // Lock the file row first: a version being added or deleted concurrently then either
    // finishes before we read the versions or finds the file gone, so every reference we drop
    // is one that exists, and none is left behind.
    let locked = sqlx::query("UPDATE files SET revision = revision + 1 WHERE id = $1")
        .bind(file.id.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if locked == 0 {
        return Ok(false);
    }
    let versions: Vec<(String, i64)> =
        sqlx::query_as("DELETE FROM file_versions WHERE file_id = $1 RETURNING sha256, size")
            .bind(file.id.as_str())
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(file.id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM trash_items WHERE id = $1")
        .bind(file.id.as_str())
        .execute(&mut *conn)
        .await?;
    let mut bytes = 0;
    for (sha256, size) in &versions {
        unreference_blob(conn, sha256, now).await?;
        bytes += size;
    }
    crate::users::release_quota(conn, &file.owner_id, bytes).await?;
    Ok(true)
}

/// The latest end of a retention hold among the files in the folders `ids` (held files
/// inside a folder keep their own hold, whatever the folder's rule says now).
pub async fn latest_hold_in(conn: &mut Conn, ids: &[String]) -> Result<Option<i64>> {
    let mut latest: Option<i64> = None;
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT CAST(MAX(held_until) AS BIGINT) FROM files WHERE state = 'held' \
             AND folder_id IN ({})",
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, Option<i64>>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        if let Some(at) = query.fetch_one(&mut *conn).await? {
            latest = Some(latest.map_or(at, |l| l.max(at)));
        }
    }
    Ok(latest)
}

/// Files whose time to live has ended at `now`.
pub async fn due_for_purge(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<File>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE f.expires_at IS NOT NULL AND f.expires_at <= $1 ORDER BY f.id LIMIT $2",
        select()
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every file in the folders `ids`, whatever its state: what purging those folders removes.
pub async fn in_folders(conn: &mut Conn, ids: &[String]) -> Result<Vec<File>> {
    let mut all = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "{} WHERE f.folder_id IN ({})",
            select(),
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        all.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(all)
}

/// Brings a deleted file back as a live file named `name` in `(folder_id, owner_id)`.
pub async fn restore(
    conn: &mut Conn,
    id: &str,
    (folder_id, owner_id): (&str, &str),
    name: &str,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE files SET state = 'active', held_until = NULL, trash_id = NULL, folder_id = $2, \
         owner_id = $6, name = $3, name_key = $4, revision = revision + 1, updated_at = $5 \
         WHERE id = $1 AND state <> 'active'",
    )
    .bind(id)
    .bind(folder_id)
    .bind(name)
    .bind(name_key(name))
    .bind(now)
    .bind(owner_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What PATCH may change on a file (`None` keeps the value).
#[derive(Debug, Default)]
pub struct FileChanges<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    /// A JSON array of strings.
    pub tags: Option<&'a str>,
    pub mime_type: Option<&'a str>,
}

/// Applies `changes` if the file is still at `revision` (when given) and live.
pub async fn update(
    conn: &mut Conn,
    id: &str,
    changes: &FileChanges<'_>,
    revision: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE files SET name = COALESCE($2, name), name_key = COALESCE($3, name_key), \
         description = COALESCE($4, description), tags = COALESCE($5, tags), \
         mime_type = COALESCE($6, mime_type), revision = revision + 1, updated_at = $7 \
         WHERE id = $1 AND trash_id IS NULL AND ($8 IS NULL OR revision = $8)",
    )
    .bind(id)
    .bind(changes.name)
    .bind(changes.name.map(name_key))
    .bind(changes.description)
    .bind(changes.tags)
    .bind(changes.mime_type)
    .bind(now)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a live file into `folder_id` as `name`, if still at `revision`.
pub async fn relocate(
    conn: &mut Conn,
    id: &str,
    folder_id: &str,
    owner_id: &str,
    name: &str,
    revision: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE files SET folder_id = $2, owner_id = $3, name = $4, name_key = $5, \
         revision = revision + 1, updated_at = $6 \
         WHERE id = $1 AND trash_id IS NULL AND ($7 IS NULL OR revision = $7)",
    )
    .bind(id)
    .bind(folder_id)
    .bind(owner_id)
    .bind(name)
    .bind(name_key(name))
    .bind(now)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One stored version of a file.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    #[sqlx(try_from = "String")]
    pub file_id: FileId,
    pub version: i64,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
    pub created_by_id: Option<String>,
    pub created_by_login: Option<String>,
}

const VERSION_COLUMNS: &str =
    "file_id, version, size, sha256, created_at, created_by_id, created_by_login";

/// Makes `sha256` the file's current version (its blob must be referenced in the same
/// transaction) if the file is still at `revision`; returns the new version number.
#[allow(clippy::too_many_arguments)]
pub async fn add_version(
    conn: &mut Conn,
    file: &File,
    size: i64,
    sha256: &str,
    client_modified_at: Option<i64>,
    by: Option<(&str, &str)>,
    revision: Option<i64>,
    now: i64,
) -> Result<Option<i64>> {
    let next: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM file_versions \
         WHERE file_id = $1",
    )
    .bind(file.id.as_str())
    .fetch_one(&mut *conn)
    .await?;
    let done = sqlx::query(
        "UPDATE files SET version = $2, size = $3, sha256 = $4, \
         client_modified_at = COALESCE($5, client_modified_at), revision = revision + 1, \
         updated_at = $6 WHERE id = $1 AND trash_id IS NULL AND ($7 IS NULL OR revision = $7)",
    )
    .bind(file.id.as_str())
    .bind(next)
    .bind(size)
    .bind(sha256)
    .bind(client_modified_at)
    .bind(now)
    .bind(revision)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    insert_version(conn, &file.id, next, size, sha256, by, now).await?;
    Ok(Some(next))
}

/// The file's versions, newest first, below version `before`.
pub async fn versions(
    conn: &mut Conn,
    file_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Version>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM file_versions WHERE file_id = $1 AND version < $2 \
         ORDER BY version DESC LIMIT $3"
    )))
    .bind(file_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn version(conn: &mut Conn, file_id: &str, version: i64) -> Result<Option<Version>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM file_versions WHERE file_id = $1 AND version = $2"
    )))
    .bind(file_id)
    .bind(version)
    .fetch_optional(conn)
    .await?)
}

/// Deletes one version row, drops its blob reference and gives its bytes back to `owner_id`.
pub async fn delete_version(
    conn: &mut Conn,
    version: &Version,
    owner_id: &str,
    now: i64,
) -> Result<bool> {
    let gone = sqlx::query("DELETE FROM file_versions WHERE file_id = $1 AND version = $2")
        .bind(version.file_id.as_str())
        .bind(version.version)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if gone == 0 {
        return Ok(false);
    }
    unreference_blob(conn, &version.sha256, now).await?;
    crate::users::release_quota(conn, owner_id, version.size).await?;
    Ok(true)
}

/// The versions beyond the newest `keep` (never the current one).
pub async fn versions_beyond(conn: &mut Conn, file_id: &str, keep: i64) -> Result<Vec<Version>> {
    let all: Vec<Version> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {VERSION_COLUMNS} FROM file_versions WHERE file_id = $1 ORDER BY version DESC"
    )))
    .bind(file_id)
    .fetch_all(conn)
    .await?;
    Ok(all.into_iter().skip(keep.max(1) as usize).collect())
}

/// What a file's metadata view needs, read in one statement by [`get_shown`].
pub struct Shown {
    pub file: File,
    /// Whether the reader marked the file a favorite.
    pub marked: bool,
    /// The chain down to the file's folder, top-level folder first (as
    /// [`crate::folders::ancestry`] reads it).
    pub chain: Vec<crate::folders::Folder>,
    /// The shares the reader holds along the chain (as
    /// [`crate::collaborations::chain_with_grants`] finds them), when they were asked for.
    pub grants: Vec<crate::collaborations::Grant>,
}

/// The file `id` with whether `user_id` marked it, the chain down to its folder (at most
/// `max_depth` folders) and, with `grants_at` (the time shares are valid at), the shares
/// `user_id` holds along it: [`get_marked`] and
/// [`crate::collaborations::chain_with_grants`] (or [`crate::folders::ancestry`]) in one
/// statement, one round trip to the database for a metadata GET.
pub async fn get_shown(
    conn: &mut Conn,
    id: &str,
    user_id: &str,
    max_depth: usize,
    grants_at: Option<i64>,
) -> Result<Option<Shown>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        file: File,
        marked: i64,
        #[sqlx(flatten)]
        folder: crate::folders::ChainFolder,
        grant_role: Option<String>,
        grant_mount: Option<String>,
    }
    let grants = match grants_at {
        Some(_) => {
            "g.role AS grant_role, COALESCE(g.mount_name, d.name) AS grant_mount \
             FROM files f JOIN users u ON u.id = f.owner_id \
             LEFT JOIN blob_scans sc ON sc.sha256 = f.sha256 \
             JOIN chain c ON 1 = 1 JOIN folders d ON d.id = c.id \
             JOIN users du ON du.id = d.owner_id \
             LEFT JOIN collaborations g ON g.folder_id = d.id AND g.status = 'accepted' \
               AND (g.expires_at IS NULL OR g.expires_at > $4) \
               AND (g.user_id = $2 OR g.group_id IN \
                    (SELECT group_id FROM group_members WHERE user_id = $2))"
        }
        None => {
            "CAST(NULL AS TEXT) AS grant_role, CAST(NULL AS TEXT) AS grant_mount \
             FROM files f JOIN users u ON u.id = f.owner_id \
             LEFT JOIN blob_scans sc ON sc.sha256 = f.sha256 \
             JOIN chain c ON 1 = 1 JOIN folders d ON d.id = c.id \
             JOIN users du ON du.id = d.owner_id"
        }
    };
    let sql = format!(
        "WITH RECURSIVE chain (id, depth) AS ( \
           SELECT fl.folder_id, 0 FROM files fl WHERE fl.id = $1 \
           UNION ALL \
           SELECT p.parent_id, c.depth + 1 FROM folders p JOIN chain c ON p.id = c.id \
           WHERE p.parent_id IS NOT NULL AND c.depth < $3) \
         SELECT {COLUMNS}, CASE WHEN EXISTS (SELECT 1 FROM favorites v \
           WHERE v.user_id = $2 AND v.file_id = f.id) THEN 1 ELSE 0 END AS marked, \
           {chain_columns}, {grants} \
         WHERE f.id = $1 ORDER BY c.depth DESC",
        chain_columns = crate::folders::CHAIN_COLUMNS,
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(user_id)
        .bind(max_depth as i64);
    let query = match grants_at {
        Some(now) => query.bind(now),
        None => query,
    };
    let rows: Vec<Row> = query.fetch_all(conn).await?;
    let mut shown: Option<Shown> = None;
    for row in rows {
        let shown = shown.get_or_insert_with(|| Shown {
            file: row.file,
            marked: row.marked != 0,
            chain: Vec::new(),
            grants: Vec::new(),
        });
        let folder = crate::folders::Folder::from(row.folder);
        if let (Some(role), Some(mount_name)) = (row.grant_role, row.grant_mount)
            && let Some(role) = crate::collaborations::role_of(&role)
        {
            shown.grants.push(crate::collaborations::Grant {
                folder_id: folder.id.to_string(),
                role,
                mount_name,
            });
        }
        // A folder with several shares comes once per share, on rows next to each other.
        if shown.chain.last().is_none_or(|f| f.id != folder.id) {
            shown.chain.push(folder);
        }
    }
    Ok(shown)
}
