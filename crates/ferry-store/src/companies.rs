//! Companies (tenants, migration 0025): their status, quota and branding, and the counter of
//! their users' use that [`crate::users::reserve_quota`] keeps. A company's name is unique
//! without regard to case (the unique index on `name_key` makes a duplicate
//! [`StoreError::Conflict`](crate::StoreError::Conflict)).

use ferry_core::CompanyId;
use ferry_core::CompanyStatus;
use ferry_core::validate::name_key;

use crate::{Conn, Result};

/// A stored company.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Company {
    #[sqlx(try_from = "String")]
    pub id: CompanyId,
    pub name: String,
    status: String,
    /// The most its users together may store; `None`: no limit.
    pub quota_bytes: Option<i64>,
    /// What its users store together (kept with each user's own use).
    pub used_bytes: i64,
    /// The quota of a user created in the company without one of their own.
    pub default_user_quota_bytes: Option<i64>,
    pub display_name: String,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Which uploaded logo is current (migration 0041; see [`crate::pictures`]), if any.
    pub logo_version: Option<String>,
}

impl Company {
    pub fn status(&self) -> CompanyStatus {
        // An unknown stored value fails closed.
        CompanyStatus::parse(&self.status).unwrap_or(CompanyStatus::Inactive)
    }
}

/// A company's settable fields (everything but its id, use and times).
#[derive(Debug, Clone)]
pub struct CompanyFields {
    pub name: String,
    pub status: CompanyStatus,
    pub quota_bytes: Option<i64>,
    pub default_user_quota_bytes: Option<i64>,
    pub display_name: String,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
}

impl Company {
    /// The settable fields as they are now (to apply a patch to).
    pub fn fields(&self) -> CompanyFields {
        CompanyFields {
            name: self.name.clone(),
            status: self.status(),
            quota_bytes: self.quota_bytes,
            default_user_quota_bytes: self.default_user_quota_bytes,
            display_name: self.display_name.clone(),
            logo_url: self.logo_url.clone(),
            accent_color: self.accent_color.clone(),
        }
    }
}

const COLUMNS: &str = "id, name, status, quota_bytes, used_bytes, default_user_quota_bytes, \
                       display_name, logo_url, accent_color, created_at, updated_at, \
                       logo_version";

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds `$1` (the id) to `$10` (the time) of [`insert`] and [`update`], which name the
/// fields in the same order.
fn bind_fields<'q>(query: Query<'q>, id: &'q str, f: &'q CompanyFields, now: i64) -> Query<'q> {
    query
        .bind(id)
        .bind(&f.name)
        .bind(name_key(&f.name))
        .bind(f.status.as_str())
        .bind(f.quota_bytes)
        .bind(f.default_user_quota_bytes)
        .bind(&f.display_name)
        .bind(&f.logo_url)
        .bind(&f.accent_color)
        .bind(now)
}

/// Creates a company; a name taken in any case is `StoreError::Conflict`.
pub async fn insert(conn: &mut Conn, id: &str, f: &CompanyFields, now: i64) -> Result<()> {
    let query = sqlx::query(
        "INSERT INTO companies (id, name, name_key, status, quota_bytes, used_bytes, \
         default_user_quota_bytes, display_name, logo_url, accent_color, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10, $10)",
    );
    bind_fields(query, id, f, now).execute(conn).await?;
    Ok(())
}

/// Replaces a company's settable fields; a name taken in any case is `StoreError::Conflict`.
pub async fn update(conn: &mut Conn, id: &str, f: &CompanyFields, now: i64) -> Result<()> {
    let query = sqlx::query(
        "UPDATE companies SET name = $2, name_key = $3, status = $4, quota_bytes = $5, \
         default_user_quota_bytes = $6, display_name = $7, logo_url = $8, accent_color = $9, \
         updated_at = $10 WHERE id = $1",
    );
    bind_fields(query, id, f, now).execute(conn).await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Company>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM companies WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Companies by creation, after the `(created_at, id)` cursor.
pub async fn list(conn: &mut Conn, after: Option<(i64, &str)>, limit: i64) -> Result<Vec<Company>> {
    let (t, id) = after.unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM companies \
         WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) ORDER BY created_at, id LIMIT $3"
    )))
    .bind(t)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Deletes a company that has no users and no groups left; returns whether it did.
pub async fn delete_if_empty(conn: &mut Conn, id: &str) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM companies WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM users WHERE company_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM groups WHERE company_id = $1)",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        sqlx::query("DELETE FROM policies WHERE target_kind = 'company' AND target_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        crate::pictures::remove_variants(conn, id).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// Whether the company has users or groups (which keep it from being deleted).
pub async fn has_members(conn: &mut Conn, id: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users WHERE company_id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?
            + sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM groups WHERE company_id = $1")
                .bind(id)
                .fetch_one(conn)
                .await?
            > 0,
    )
}

/// Adds `bytes` to the company's use if it stays within its quota, in one conditional UPDATE
/// (see [`crate::users::reserve_quota`]). Returns false when the quota would be passed.
pub async fn reserve(conn: &mut Conn, id: &str, bytes: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE companies SET used_bytes = used_bytes + $2 \
         WHERE id = $1 AND (quota_bytes IS NULL OR used_bytes + $2 <= quota_bytes)",
    )
    .bind(id)
    .bind(bytes)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `bytes` off the company's use (never below zero).
pub async fn release(conn: &mut Conn, id: &str, bytes: i64) -> Result<()> {
    sqlx::query(
        "UPDATE companies SET used_bytes = \
         CASE WHEN used_bytes >= $2 THEN used_bytes - $2 ELSE 0 END WHERE id = $1",
    )
    .bind(id)
    .bind(bytes)
    .execute(conn)
    .await?;
    Ok(())
}

/// The company's quota and use.
pub async fn usage(conn: &mut Conn, id: &str) -> Result<(Option<i64>, i64)> {
    Ok(
        sqlx::query_as("SELECT quota_bytes, used_bytes FROM companies WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?
            .unwrap_or((None, 0)),
    )
}
