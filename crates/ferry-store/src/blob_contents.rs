//! Small files kept in the database: the content of a blob whose key is [`inline_key`] lives
//! in `blob_contents`, written in the transaction that records the file and deleted with the
//! blob row (see [`crate::files::claim_unreferenced_blobs`]). Bigger content lives in the
//! blob store under its own key; the key says which.

use crate::{Conn, Result};

/// What begins the key of a blob kept in the database. No blob store key begins so: local
/// keys are hashes, S3 keys begin with `blobs/`.
pub const INLINE_KEY_PREFIX: &str = "inline:";

/// The key of the content `sha256` kept in the database.
pub fn inline_key(sha256: &str) -> String {
    format!("{INLINE_KEY_PREFIX}{sha256}")
}

/// The SHA-256 a key names when its content is kept in the database; `None` for a key of the
/// blob store.
pub fn inline_sha256(key: &str) -> Option<&str> {
    key.strip_prefix(INLINE_KEY_PREFIX)
}

/// Stores the content `sha256` (whose blob row is referenced in the same transaction).
/// Content already there is kept: it is the same bytes.
pub async fn insert(conn: &mut Conn, sha256: &str, content: &[u8]) -> Result<()> {
    sqlx::query(
        "INSERT INTO blob_contents (sha256, content) VALUES ($1, $2) \
         ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(content)
    .execute(conn)
    .await?;
    Ok(())
}

/// The content `sha256`, if the database keeps it.
pub async fn get(conn: &mut Conn, sha256: &str) -> Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT content FROM blob_contents WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(conn)
            .await?,
    )
}

/// Deletes the contents kept for the blob keys `keys` that are inline ones (the others are
/// the blob store's to remove).
pub(crate) async fn remove_for_keys(conn: &mut Conn, keys: &[String]) -> Result<()> {
    let shas: Vec<&str> = keys.iter().filter_map(|k| inline_sha256(k)).collect();
    for chunk in shas.chunks(500) {
        let sql = format!(
            "DELETE FROM blob_contents WHERE sha256 IN ({})",
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for sha in chunk {
            query = query.bind(*sha);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
