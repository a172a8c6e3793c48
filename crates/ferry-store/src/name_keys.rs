//! Filling in `name_key` for folders and files made before the namespace migration (0009).
//! The key is the lowercase NFC form of the name, which SQL cannot compute the same way on
//! both backends (SQLite's `lower()` knows only ASCII), so it is done here, once, after the
//! migrations. Older databases allowed names that differ only in case side by side; the later
//! of two such siblings is renamed `name (1)`, so that nothing is lost and names stay unique.

use ferry_core::validate::{name_key, numbered};
use sqlx::AnyPool;

use crate::{Result, StoreError};

const BATCH: i64 = 500;

pub(crate) async fn fill(pool: &AnyPool) -> Result<()> {
    for table in ["folders", "files"] {
        loop {
            let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, name FROM {table} WHERE name_key IS NULL \
                 ORDER BY created_at, id LIMIT $1"
            )))
            .bind(BATCH)
            .fetch_all(pool)
            .await?;
            for (id, name) in &rows {
                fill_one(pool, table, id, name).await?;
            }
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
    }
    Ok(())
}

/// Each row is its own statement (no transaction), so that a unique violation on one name
/// does not abort the others; a crash half way leaves the rest for the next start.
async fn fill_one(pool: &AnyPool, table: &str, id: &str, name: &str) -> Result<()> {
    let mut candidate = name.to_string();
    for n in 1..10_000 {
        let set = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET name = $2, name_key = $3 WHERE id = $1"
        )))
        .bind(id)
        .bind(&candidate)
        .bind(name_key(&candidate))
        .execute(pool)
        .await;
        match set.map_err(StoreError::from) {
            Ok(_) => {
                if candidate != name {
                    tracing::warn!(table, id, old = name, new = %candidate,
                        "renamed a name that differed only in case from a sibling's");
                }
                return Ok(());
            }
            Err(StoreError::Conflict) => candidate = numbered(name, n),
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Corrupt(format!(
        "no free name like `{name}` for {table} {id}"
    )))
}
