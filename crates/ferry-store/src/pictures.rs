//! Profile pictures and company logos (migration 0041): the re-encoded variants of each
//! owner's current image, and which one is current (`users.picture_version`,
//! `companies.logo_version`). What an image is and who may change or see it is ferry-app's.

use crate::{Conn, Result};

/// One stored variant of an image.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Variant {
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// Whose image: a user's profile picture or a company's logo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    User(&'a str),
    Company(&'a str),
}

impl<'a> Owner<'a> {
    fn id(self) -> &'a str {
        match self {
            Owner::User(id) | Owner::Company(id) => id,
        }
    }

    /// The owner's row that says which image is current.
    fn version_update(self) -> &'static str {
        match self {
            Owner::User(_) => {
                "UPDATE users SET picture_version = $2, updated_at = $3 WHERE id = $1"
            }
            Owner::Company(_) => {
                "UPDATE companies SET logo_version = $2, updated_at = $3 WHERE id = $1"
            }
        }
    }
}

/// Replaces the owner's image by `variants` (`(name, mime type, bytes)`) under `version`;
/// returns false (changing nothing) when the owner does not exist.
pub async fn replace(
    conn: &mut Conn,
    owner: Owner<'_>,
    version: &str,
    variants: &[(&str, &str, &[u8])],
    now: i64,
) -> Result<bool> {
    let updated = sqlx::query(owner.version_update())
        .bind(owner.id())
        .bind(version)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated != 1 {
        return Ok(false);
    }
    remove_variants(conn, owner.id()).await?;
    for (name, mime, bytes) in variants {
        sqlx::query(
            "INSERT INTO pictures (owner_id, variant, mime_type, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(owner.id())
        .bind(*name)
        .bind(*mime)
        .bind(bytes.to_vec())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Removes the owner's image; returns whether there was one.
pub async fn remove(conn: &mut Conn, owner: Owner<'_>, now: i64) -> Result<bool> {
    let sql = match owner {
        Owner::User(_) => {
            "UPDATE users SET picture_version = NULL, updated_at = $2 \
             WHERE id = $1 AND picture_version IS NOT NULL"
        }
        Owner::Company(_) => {
            "UPDATE companies SET logo_version = NULL, updated_at = $2 \
             WHERE id = $1 AND logo_version IS NOT NULL"
        }
    };
    let had = sqlx::query(sql)
        .bind(owner.id())
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    remove_variants(conn, owner.id()).await?;
    Ok(had)
}

/// Deletes every stored variant of `owner_id`'s image (a purged account, a deleted company).
pub async fn remove_variants(conn: &mut Conn, owner_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM pictures WHERE owner_id = $1")
        .bind(owner_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One variant of the owner's current image.
pub async fn get(conn: &mut Conn, owner_id: &str, variant: &str) -> Result<Option<Variant>> {
    Ok(
        sqlx::query_as(
            "SELECT mime_type, bytes FROM pictures WHERE owner_id = $1 AND variant = $2",
        )
        .bind(owner_id)
        .bind(variant)
        .fetch_optional(conn)
        .await?,
    )
}
