//! What a backup needs from the database: a consistent copy of the whole SQLite database
//! taken while the server runs (`VACUUM INTO`, one read transaction), the blob keys a
//! database refers to, and its schema version. (PostgreSQL is backed up with `pg_dump`, see
//! docs/deployment.md.)

use std::path::Path;

use crate::{Backend, Result, Store, StoreError};

/// A blob a database refers to: its key in the blob store and its size. On local disk the
/// key is the content's SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub key: String,
    pub size: i64,
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `to` (which must not exist), while
    /// other connections keep reading and writing.
    pub async fn snapshot_into(&self, to: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt(
                "online snapshots are for SQLite; back PostgreSQL up with pg_dump".into(),
            ));
        }
        let path = to
            .to_str()
            .ok_or_else(|| StoreError::Corrupt(format!("path {} is not UTF-8", to.display())))?;
        // The target is an expression: a bound parameter.
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every blob in the blob store the database refers to: file contents (any version,
    /// trash and holds included: whatever still counts a reference) and ready thumbnails.
    /// Contents the database keeps itself ([`crate::blob_contents`]) are not listed: they
    /// are in any copy of the database.
    pub async fn referenced_blobs(&self) -> Result<Vec<BlobRef>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(storage_key, sha256), size FROM blobs WHERE refcount > 0 \
             AND (storage_key IS NULL OR storage_key NOT LIKE 'inline:%') \
             UNION SELECT storage_key, COALESCE(size, 0) FROM blob_renditions \
             WHERE status = 'ready' AND storage_key IS NOT NULL \
             ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(key, size)| BlobRef { key, size })
            .collect())
    }

    /// The newest migration applied to this database.
    pub async fn schema_version(&self) -> Result<i64> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        Ok(version.unwrap_or(0))
    }
}
