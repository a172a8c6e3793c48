//! Users, their login state and their storage quota.

use ferry_core::UserId;
use ferry_core::{CompanyStatus, Role};

use crate::{Conn, Result, StoreError, flag};

/// A stored user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    #[sqlx(try_from = "String")]
    pub id: UserId,
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
    /// The company the user belongs to (migration 0025), if any.
    pub company_id: Option<String>,
    /// That company's status, read with the user (so that every token check sees it).
    company_status: Option<String>,
    /// Whether a login needs a TOTP code too (a confirmed secret exists; migration 0029).
    two_factor: i64,
    /// When the account was deleted; it is purged at `purge_at` (migration 0029).
    pub deleted_at: Option<i64>,
    pub purge_at: Option<i64>,
    /// Who receives the account's folders when it is purged.
    pub transfer_to: Option<String>,
    /// After this time the account refuses logins.
    pub expires_at: Option<i64>,
    /// Which profile picture is current (migration 0041; see [`crate::pictures`]), if any.
    pub picture_version: Option<String>,
}

/// What is needed to create a user.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub login: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub quota_bytes: Option<i64>,
    pub company_id: Option<&'a str>,
    pub now: i64,
}

/// Changes an admin (or the user) makes; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserChanges {
    /// `Some(None)` removes the expiry date.
    pub expires_at: Option<Option<i64>>,
    pub name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` removes the quota.
    pub quota_bytes: Option<Option<i64>>,
    pub disabled: Option<bool>,
    /// `Some(None)` takes the user out of their company. Moving the user's use between the
    /// companies' counters is the caller's business ([`move_company_use`]).
    pub company_id: Option<Option<String>>,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    /// Whether the user is a system admin (a company admin is not).
    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    /// The same user acting with `role` for one request (a token without the `admin` scope
    /// acts as a plain user); nothing is stored.
    pub fn acting_as(mut self, role: Role) -> User {
        self.role = role.as_str().to_string();
        self
    }

    /// The status of the user's company (`None`: no company).
    pub fn company_status(&self) -> Option<CompanyStatus> {
        // An unknown stored value fails closed, as an inactive company.
        self.company_status
            .as_deref()
            .map(|s| CompanyStatus::parse(s).unwrap_or(CompanyStatus::Inactive))
    }

    /// Whether the user's company (if any) lets its users in: inactive and expired ones do not.
    pub fn company_active(&self) -> bool {
        self.company_status()
            .is_none_or(|s| s == CompanyStatus::Active)
    }

    pub fn is_disabled(&self) -> bool {
        flag(self.disabled)
    }

    /// Whether a login needs a TOTP code as well as the password.
    pub fn has_two_factor(&self) -> bool {
        self.two_factor > 0
    }

    /// Whether the account is deleted (waiting to be purged, or purged).
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Whether the account's expiry date has passed at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: i64) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// The columns a [`User`] is read from, for the `users` row named `u` in a query (the token
/// lookup reads a user joined to its token with the same list).
pub(crate) fn columns(u: &str) -> String {
    format!(
        "{u}.id, {u}.login, {u}.name, {u}.role, {u}.password_hash, {u}.quota_bytes, \
         {u}.used_bytes, {u}.disabled, {u}.failed_logins, {u}.locked_until, {u}.created_at, \
         {u}.updated_at, {u}.company_id, \
         (SELECT c.status FROM companies c WHERE c.id = {u}.company_id) AS company_status, \
         (SELECT COUNT(*) FROM user_totp totp WHERE totp.user_id = {u}.id \
          AND totp.confirmed_at IS NOT NULL) AS two_factor, \
         {u}.deleted_at, {u}.purge_at, {u}.transfer_to, {u}.expires_at, {u}.picture_version"
    )
}

pub async fn insert(conn: &mut Conn, new: &NewUser<'_>) -> Result<()> {
    // The company column only when there is a company: a user without one is written with
    // the columns every schema has (the upgrade tests fill old schemas through this).
    let (company_column, company_value) = match new.company_id {
        Some(_) => (", company_id", ", $8"),
        None => ("", ""),
    };
    let query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO users (id, login, name, role, password_hash, quota_bytes, used_bytes, \
         disabled, failed_logins, created_at, updated_at{company_column}) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7, $7{company_value})"
    )))
    .bind(new.id)
    .bind(new.login)
    .bind(new.name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(new.quota_bytes)
    .bind(new.now);
    let query = match new.company_id {
        Some(company) => query.bind(company),
        None => query,
    };
    query.execute(conn).await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<User>> {
    let cols = columns("users");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The account whose login, or one of whose extra logins, is `login`; matched
/// case-insensitively (ASCII), as mail addresses are.
pub async fn by_login(conn: &mut Conn, login: &str) -> Result<Option<User>> {
    let cols = columns("users");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM users WHERE lower(login) = lower($1) \
         OR id = (SELECT user_id FROM user_logins WHERE login_key = lower($1))"
    )))
    .bind(login)
    .fetch_optional(conn)
    .await?)
}

/// The ids of the system admins who may act (not disabled, not deleted), oldest first.
pub async fn active_admin_ids(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE role = 'admin' AND disabled = 0 AND deleted_at IS NULL \
         ORDER BY created_at, id",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut Conn) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

/// Users in creation order, after the `(created_at, id)` cursor; only `company_id`'s when
/// given.
/// Where an account stands, as `GET /users?status=` filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Neither disabled, locked, expired nor deleted.
    Active,
    Disabled,
    /// Locked by failed logins until a time still to come.
    Locked,
    /// Past its expiry date.
    Expired,
    /// Deleted: waiting for its purge, or purged.
    Deleted,
}

impl UserStatus {
    pub fn parse(s: &str) -> Option<UserStatus> {
        match s {
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            "locked" => Some(UserStatus::Locked),
            "expired" => Some(UserStatus::Expired),
            "deleted" => Some(UserStatus::Deleted),
            _ => None,
        }
    }
}

/// Which users a listing shows; every field narrows it.
#[derive(Debug, Default, Clone, Copy)]
pub struct UserFilter<'a> {
    pub company_id: Option<&'a str>,
    /// A part of the login or the name, in any case.
    pub text: Option<&'a str>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    /// The time `Locked` is judged at.
    pub now: i64,
}

/// A WHERE condition with its binds, numbered from `$first`.
fn filter_sql(filter: &UserFilter<'_>, first: usize) -> (String, Vec<FilterValue>) {
    let mut cond = Vec::new();
    let mut binds = Vec::new();
    let mut next = |value: FilterValue| {
        binds.push(value);
        format!("${}", first + binds.len() - 1)
    };
    if let Some(company) = filter.company_id {
        cond.push(format!(
            "company_id = {}",
            next(FilterValue::Text(company.into()))
        ));
    }
    if let Some(text) = filter.text {
        let ph = next(FilterValue::Text(crate::search::like_pattern(text)));
        cond.push(format!(
            "(lower(login) LIKE {ph} ESCAPE '\\' OR lower(name) LIKE {ph} ESCAPE '\\')"
        ));
    }
    if let Some(role) = filter.role {
        cond.push(format!(
            "role = {}",
            next(FilterValue::Text(role.as_str().into()))
        ));
    }
    match filter.status {
        None => {}
        Some(UserStatus::Active) => {
            let now = next(FilterValue::Int(filter.now));
            cond.push(format!(
                "disabled = 0 AND deleted_at IS NULL \
                 AND (locked_until IS NULL OR locked_until <= {now}) \
                 AND (expires_at IS NULL OR expires_at > {now})"
            ));
        }
        Some(UserStatus::Disabled) => cond.push("disabled = 1 AND deleted_at IS NULL".into()),
        Some(UserStatus::Locked) => {
            let now = next(FilterValue::Int(filter.now));
            cond.push(format!("locked_until > {now} AND deleted_at IS NULL"));
        }
        Some(UserStatus::Expired) => {
            let now = next(FilterValue::Int(filter.now));
            cond.push(format!(
                "expires_at <= {now} AND disabled = 0 AND deleted_at IS NULL"
            ));
        }
        Some(UserStatus::Deleted) => cond.push("deleted_at IS NOT NULL".into()),
    }
    let sql = if cond.is_empty() {
        "1 = 1".to_string()
    } else {
        cond.join(" AND ")
    };
    (sql, binds)
}

/// A value bound to a filter's placeholder.
enum FilterValue {
    Text(String),
    Int(i64),
}

/// One page of the users `filter` selects, in creation order after `after`.
pub async fn list(
    conn: &mut Conn,
    filter: &UserFilter<'_>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<User>> {
    let (t, id) = after.unwrap_or((i64::MIN, ""));
    let (cond, binds) = filter_sql(filter, 4);
    let cols = columns("users");
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM users WHERE {cond} \
         AND (created_at > $1 OR (created_at = $1 AND id > $2)) ORDER BY created_at, id LIMIT $3"
    )))
    .bind(t)
    .bind(id)
    .bind(limit);
    for value in binds {
        q = match value {
            FilterValue::Text(s) => q.bind(s),
            FilterValue::Int(i) => q.bind(i),
        };
    }
    Ok(q.fetch_all(conn).await?)
}

/// How many users `filter` selects, on every page together.
pub async fn count_matching(conn: &mut Conn, filter: &UserFilter<'_>) -> Result<i64> {
    let (cond, binds) = filter_sql(filter, 1);
    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM users WHERE {cond}"
    )));
    for value in binds {
        q = match value {
            FilterValue::Text(s) => q.bind(s),
            FilterValue::Int(i) => q.bind(i),
        };
    }
    Ok(q.fetch_one(conn).await?)
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
    if let Some(company) = &changes.company_id {
        user.company_id = company.clone();
    }
    if let Some(expires_at) = changes.expires_at {
        user.expires_at = expires_at;
    }
    user.updated_at = now;
    sqlx::query(
        "UPDATE users SET name = $2, password_hash = $3, role = $4, quota_bytes = $5, \
         disabled = $6, updated_at = $7, company_id = $8, expires_at = $9 WHERE id = $1",
    )
    .bind(user.id.as_str())
    .bind(&user.name)
    .bind(&user.password_hash)
    .bind(&user.role)
    .bind(user.quota_bytes)
    .bind(user.disabled)
    .bind(now)
    .bind(&user.company_id)
    .bind(user.expires_at)
    .execute(&mut *conn)
    .await?;
    // Re-read for the company's status.
    get(conn, id).await
}

/// Counts a failed login from any address; returns the consecutive failures of the account.
/// (What locks an address out is counted in [`crate::login_failures`].)
pub async fn record_failed_login(conn: &mut Conn, id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 \
         RETURNING failed_logins",
    )
    .bind(id)
    .fetch_one(conn)
    .await?)
}

/// Notes that an address is locked out until `until` (the account's `locked_until` is the
/// latest such lock, for listings).
pub async fn note_lock(conn: &mut Conn, id: &str, until: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET locked_until = $2 \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until < $2)",
    )
    .bind(id)
    .bind(until)
    .execute(conn)
    .await?;
    Ok(())
}

/// Resets the account's count of consecutive failures (a login succeeded); the locks of
/// other addresses stay.
pub async fn reset_failures(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0 WHERE id = $1 AND failed_logins <> 0")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Clears failed logins and the locks of every address (an admin's unlock, a new password).
pub async fn clear_lock(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    crate::login_failures::clear_all(conn, id).await
}

/// Why [`reserve_quota`] refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The user's own quota would be passed.
    User,
    /// The user's company's quota would be passed: its limit and use.
    Company { limit: Option<i64>, used: i64 },
}

/// Adds `bytes` to the user's usage if it stays within the quota, and to their company's if it
/// stays within the company's, each in one conditional UPDATE so concurrent uploads can never
/// overshoot either (PostgreSQL re-checks the condition on the row it waited for; SQLite's
/// writers take turns). Run it in a transaction: when the company refuses, the user's charge
/// is taken back here, but only the transaction makes the pair atomic for readers.
pub async fn reserve_quota(
    conn: &mut Conn,
    id: &str,
    bytes: i64,
) -> Result<std::result::Result<(), Refused>> {
    // The row comes back (with its company) only if the charge fitted.
    let charged: Option<Option<String>> = sqlx::query_scalar(
        "UPDATE users SET used_bytes = used_bytes + $2 \
         WHERE id = $1 AND (quota_bytes IS NULL OR used_bytes + $2 <= quota_bytes) \
         RETURNING company_id",
    )
    .bind(id)
    .bind(bytes)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(company) = charged else {
        return Ok(Err(Refused::User));
    };
    let Some(company) = company else {
        return Ok(Ok(()));
    };
    if crate::companies::reserve(conn, &company, bytes).await? {
        return Ok(Ok(()));
    }
    release_own(conn, id, bytes).await?;
    let (limit, used) = crate::companies::usage(conn, &company).await?;
    Ok(Err(Refused::Company { limit, used }))
}

/// Gives back `bytes` of usage (never below zero), to the user and to their company.
pub async fn release_quota(conn: &mut Conn, id: &str, bytes: i64) -> Result<()> {
    release_own(conn, id, bytes).await?;
    let company: Option<String> = sqlx::query_scalar("SELECT company_id FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    if let Some(company) = company {
        crate::companies::release(conn, &company, bytes).await?;
    }
    Ok(())
}

async fn release_own(conn: &mut Conn, id: &str, bytes: i64) -> Result<()> {
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

/// Deletes an account, to be purged at `purge_at` (its folders handed to `transfer_to`, if
/// any). `false` when it is deleted already.
pub async fn schedule_deletion(
    conn: &mut Conn,
    id: &str,
    now: i64,
    purge_at: i64,
    transfer_to: Option<&str>,
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE users SET deleted_at = $2, purge_at = $3, transfer_to = $4, updated_at = $2 \
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .bind(purge_at)
    .bind(transfer_to)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Undoes a deletion that is not purged yet; `false` when there is none to undo.
pub async fn restore(conn: &mut Conn, id: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE users SET deleted_at = NULL, purge_at = NULL, transfer_to = NULL, \
         updated_at = $2 WHERE id = $1 AND deleted_at IS NOT NULL AND purge_at IS NOT NULL",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Deleted accounts whose grace period has ended, oldest first.
pub async fn due_for_purge(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<User>> {
    let cols = columns("users");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM users WHERE purge_at IS NOT NULL AND purge_at <= $1 \
         ORDER BY purge_at, id LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The end of a purge: the row stays (the audit trail names it), but it can never log in
/// again and its login is free for a new account. `false` when it was purged already (by
/// another node) or restored meanwhile.
pub async fn mark_purged(conn: &mut Conn, id: &str, freed_login: &str, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE users SET purge_at = NULL, transfer_to = NULL, login = $2, \
         password_hash = '', disabled = 1, updated_at = $3 \
         WHERE id = $1 AND deleted_at IS NOT NULL AND purge_at IS NOT NULL",
    )
    .bind(id)
    .bind(freed_login)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// What a purged account leaves behind besides its folders: settings, group memberships,
/// the shares made to it, its second factor, its tokens and its profile picture.
pub async fn remove_belongings(conn: &mut Conn, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM user_settings WHERE user_id = $1",
        "DELETE FROM group_members WHERE user_id = $1",
        "DELETE FROM collaborations WHERE principal_type = 'user' AND user_id = $1",
        "DELETE FROM access_requests WHERE user_id = $1 AND status = 'pending'",
        "DELETE FROM recovery_codes WHERE user_id = $1",
        "DELETE FROM user_totp WHERE user_id = $1",
        "DELETE FROM tokens WHERE user_id = $1",
        "DELETE FROM user_logins WHERE user_id = $1",
        "DELETE FROM login_keys WHERE user_id = $1",
        "DELETE FROM pictures WHERE owner_id = $1",
        "UPDATE users SET picture_version = NULL WHERE id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}
