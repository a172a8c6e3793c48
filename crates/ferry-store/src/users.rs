//! Users, their login state and their storage quota.

use ferry_core::Role;

use crate::{Conn, Result, StoreError, flag};

/// A stored user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub login: String,
    pub name: String,
    role: String,
    pub password_hash: String,
    pub quota_bytes: Option<i64>,
    pub used_bytes: i64,
    disabled: i64,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What is needed to create a user.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub login: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub quota_bytes: Option<i64>,
    pub now: i64,
}

/// Changes an admin (or the user) makes; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the quota.
    pub quota_bytes: Option<Option<i64>>,
    pub disabled: Option<bool>,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    /// The same user acting with `role` for one request (a token without the `admin` scope
    /// acts as a plain user); nothing is stored.
    pub fn acting_as(mut self, role: Role) -> User {
        self.role = role.as_str().to_string();
        self
    }

    pub fn is_disabled(&self) -> bool {
        flag(self.disabled)
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

const COLUMNS: &str = "id, login, name, role, password_hash, quota_bytes, used_bytes, disabled, \
                       failed_logins, locked_until, created_at, updated_at";

pub async fn insert(conn: &mut Conn, new: &NewUser<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, login, name, role, password_hash, quota_bytes, used_bytes, \
         disabled, failed_logins, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7, $7)",
    )
    .bind(new.id)
    .bind(new.login)
    .bind(new.name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(new.quota_bytes)
    .bind(new.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Logins are matched case-insensitively (ASCII), as mail addresses are.
pub async fn by_login(conn: &mut Conn, login: &str) -> Result<Option<User>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE lower(login) = lower($1)"
    )))
    .bind(login)
    .fetch_optional(conn)
    .await?)
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

/// Users in creation order, after the `(created_at, id)` cursor.
pub async fn list(conn: &mut Conn, after: Option<(i64, &str)>, limit: i64) -> Result<Vec<User>> {
    let (t, id) = after.unwrap_or((i64::MIN, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE (created_at > $1 OR (created_at = $1 AND id > $2)) \
         ORDER BY created_at, id LIMIT $3"
    )))
    .bind(t)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Applies `changes` and returns the updated user (`None` if it does not exist).
pub async fn update(
    conn: &mut Conn,
    id: &str,
    changes: &UserChanges,
    now: i64,
) -> Result<Option<User>> {
    let Some(mut user) = get(conn, id).await? else {
        return Ok(None);
    };
    if let Some(name) = &changes.name {
        user.name = name.clone();
    }
    if let Some(hash) = &changes.password_hash {
        user.password_hash = hash.clone();
    }
    if let Some(role) = changes.role {
        user.role = role.as_str().to_string();
    }
    if let Some(quota) = changes.quota_bytes {
        user.quota_bytes = quota;
    }
    if let Some(disabled) = changes.disabled {
        user.disabled = i64::from(disabled);
    }
    user.updated_at = now;
    sqlx::query(
        "UPDATE users SET name = $2, password_hash = $3, role = $4, quota_bytes = $5, \
         disabled = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(&user.id)
    .bind(&user.name)
    .bind(&user.password_hash)
    .bind(&user.role)
    .bind(user.quota_bytes)
    .bind(user.disabled)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(Some(user))
}

/// Counts a failed login; locks the account until `lock_until` when the count reaches `max`.
/// Returns whether this failure locked the account.
pub async fn record_failed_login(
    conn: &mut Conn,
    id: &str,
    max: i64,
    lock_until: i64,
) -> Result<bool> {
    let (failed, locked_until): (i64, Option<i64>) = sqlx::query_as(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
         WHERE id = $1 RETURNING failed_logins, locked_until",
    )
    .bind(id)
    .bind(max)
    .bind(lock_until)
    .fetch_one(conn)
    .await?;
    Ok(failed >= max && locked_until == Some(lock_until))
}

/// Clears failed logins and any lock.
pub async fn clear_lock(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds `bytes` to the user's usage if it stays within the quota, in one conditional UPDATE
/// so concurrent uploads can never overshoot. Returns false when the quota would be exceeded.
pub async fn reserve_quota(conn: &mut Conn, id: &str, bytes: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET used_bytes = used_bytes + $2 \
         WHERE id = $1 AND (quota_bytes IS NULL OR used_bytes + $2 <= quota_bytes)",
    )
    .bind(id)
    .bind(bytes)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives back `bytes` of usage (never below zero).
pub async fn release_quota(conn: &mut Conn, id: &str, bytes: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET used_bytes = CASE WHEN used_bytes >= $2 THEN used_bytes - $2 ELSE 0 END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(bytes)
    .execute(conn)
    .await?;
    Ok(())
}

/// Maps a duplicate login to `Ok(false)`.
pub fn conflict_as_false(r: Result<()>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The quota limit of each of these users, in one query.
pub async fn quotas_of(
    conn: &mut Conn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, Option<i64>>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT id, quota_bytes FROM users WHERE id IN ({})",
        crate::dialect::Placeholders::default().list(ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, Option<i64>)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

/// The login of each of these users, in one query.
pub async fn logins_of(
    conn: &mut Conn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT id, login FROM users WHERE id IN ({})",
        crate::dialect::Placeholders::default().list(ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}
