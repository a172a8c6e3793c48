//! What a zip archive needs from the store: the CRC-32 of blobs (kept in `blobs.crc32`), and
//! a folder tree with its live files and their CRCs in a few queries.

use ferry_core::{FileId, FolderId};
use std::collections::HashMap;

use ferry_core::validate::name_key;

use crate::{Conn, Result};

/// Records the CRC-32 of a blob's content (once known; a blob's content never changes).
pub async fn set_blob_crc(conn: &mut Conn, sha256: &str, crc32: u32) -> Result<()> {
    sqlx::query("UPDATE blobs SET crc32 = $2 WHERE sha256 = $1 AND crc32 IS NULL")
        .bind(sha256)
        .bind(i64::from(crc32))
        .execute(conn)
        .await?;
    Ok(())
}

/// The CRC-32 of each of the blobs `sha256s` that has one (blobs published before CRCs were
/// kept have none until their first archive computes it).
pub async fn blob_crcs(conn: &mut Conn, sha256s: &[String]) -> Result<HashMap<String, u32>> {
    let mut out = HashMap::with_capacity(sha256s.len());
    for chunk in sha256s.chunks(500) {
        let sql = format!(
            "SELECT sha256, crc32 FROM blobs WHERE crc32 IS NOT NULL AND sha256 IN ({})",
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
        for sha in chunk {
            query = query.bind(sha);
        }
        for (sha, crc) in query.fetch_all(&mut *conn).await? {
            out.insert(sha, crc as u32);
        }
    }
    Ok(out)
}

/// A live folder of a tree being archived.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TreeFolder {
    #[sqlx(try_from = "String")]
    pub id: FolderId,
    pub parent_id: Option<String>,
    pub name: String,
    pub updated_at: i64,
}

/// The live folders under `id` (itself first, parents before children), leaving out those in
/// the trash or past their expiry at `now`.
pub async fn tree(conn: &mut Conn, id: &str, now: i64) -> Result<Vec<TreeFolder>> {
    Ok(sqlx::query_as(
        "WITH RECURSIVE sub (id, parent_id, name, updated_at, depth) AS ( \
           SELECT f.id, f.parent_id, f.name, f.updated_at, CAST(0 AS BIGINT) FROM folders f \
           WHERE f.id = $1 \
           UNION ALL \
           SELECT c.id, c.parent_id, c.name, c.updated_at, s.depth + 1 \
           FROM folders c JOIN sub s ON c.parent_id = s.id \
           WHERE c.trash_id IS NULL AND (c.expires_at IS NULL OR c.expires_at > $2) \
           AND s.depth < 80) \
         SELECT id, parent_id, name, updated_at FROM sub ORDER BY depth, name, id",
    )
    .bind(id)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// A live file as an archive lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArchiveFile {
    #[sqlx(try_from = "String")]
    pub id: FileId,
    #[sqlx(try_from = "String")]
    pub folder_id: FolderId,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    /// None until computed (blobs published before CRCs were kept).
    pub crc32: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
    /// Where the blob store keeps the content.
    pub blob_key: String,
}

const FILE_COLUMNS: &str = "f.id, f.folder_id, f.name, f.size, f.sha256, b.crc32, f.updated_at, \
                            f.version, COALESCE(b.storage_key, b.sha256) AS blob_key";

/// The live files (not deleted or held, not past their ttl at `now`) in the folders `ids`,
/// with their blob's CRC-32, by folder then name. Infected content is never listed; with
/// `only_clean`, only content the virus scanner found clean is.
pub async fn files_in(
    conn: &mut Conn,
    ids: &[String],
    now: i64,
    only_clean: bool,
) -> Result<Vec<ArchiveFile>> {
    let scanned = if only_clean {
        "AND EXISTS (SELECT 1 FROM blob_scans s WHERE s.sha256 = f.sha256 AND s.status = 'clean')"
    } else {
        "AND NOT EXISTS (SELECT 1 FROM blob_scans s WHERE s.sha256 = f.sha256 \
         AND s.status = 'infected')"
    };
    let mut all = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files f JOIN blobs b ON b.sha256 = f.sha256 \
             WHERE f.trash_id IS NULL AND (f.expires_at IS NULL OR f.expires_at > $1) \
             AND f.folder_id IN ({}) {scanned} ORDER BY f.folder_id, f.name_key, f.id",
            crate::dialect::Placeholders::starting_at(2).list(chunk.len())
        );
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now);
        for id in chunk {
            query = query.bind(id);
        }
        all.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(all)
}

/// One file, as [`files_in`] lists it (whatever its state: the caller checked access).
pub async fn file(conn: &mut Conn, id: &str) -> Result<Option<ArchiveFile>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {FILE_COLUMNS} FROM files f JOIN blobs b ON b.sha256 = f.sha256 WHERE f.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Inserts `names.len()` files into `folder_id`, all with the content of the blob `sha256`
/// (referenced once per file), in multi-row statements: for tests and benchmarks that need
/// very many files quickly. The names must be free.
#[allow(clippy::too_many_arguments)]
pub async fn insert_files_bulk(
    conn: &mut Conn,
    folder_id: &str,
    owner_id: &str,
    sha256: &str,
    size: i64,
    crc32: u32,
    names: &[String],
    now: i64,
) -> Result<Vec<String>> {
    sqlx::query(
        "INSERT INTO blobs (sha256, size, refcount, created_at, crc32) VALUES ($1, $2, 0, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(size)
    .bind(now)
    .bind(i64::from(crc32))
    .execute(&mut *conn)
    .await?;
    let mut ids = Vec::with_capacity(names.len());
    for chunk in names.chunks(200) {
        let mut files = String::from(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ",
        );
        let mut versions = String::from(
            "INSERT INTO file_versions (file_id, version, size, sha256, created_at) VALUES ",
        );
        let chunk_ids: Vec<String> = chunk
            .iter()
            .map(|_| ferry_core::IdKind::File.generate())
            .collect();
        for i in 0..chunk.len() {
            let sep = if i == 0 { "" } else { ", " };
            let (a, b) = (i * 3 + 6, i * 3 + 7);
            files.push_str(&format!(
                "{sep}(${}, $1, $2, ${a}, ${b}, $3, $4, 'application/octet-stream', 1, \
                 'active', $5, $5)",
                i * 3 + 8
            ));
            versions.push_str(&format!("{sep}(${}, 1, $1, $2, $3)", i + 4));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(files))
            .bind(folder_id)
            .bind(owner_id)
            .bind(size)
            .bind(sha256)
            .bind(now);
        for (name, id) in chunk.iter().zip(&chunk_ids) {
            q = q.bind(name).bind(name_key(name)).bind(id);
        }
        q.execute(&mut *conn).await?;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(versions))
            .bind(size)
            .bind(sha256)
            .bind(now);
        for id in &chunk_ids {
            q = q.bind(id);
        }
        q.execute(&mut *conn).await?;
        ids.extend(chunk_ids);
    }
    sqlx::query(
        "UPDATE blobs SET refcount = refcount + $2, unreferenced_since = NULL WHERE sha256 = $1",
    )
    .bind(sha256)
    .bind(names.len() as i64)
    .execute(&mut *conn)
    .await?;
    Ok(ids)
}
