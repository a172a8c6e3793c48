//! Groups of users and their members (migration 0013). A group's name is unique without regard
//! to case: the unique index on `name_key` (`ferry_core::validate::name_key`) turns a duplicate
//! into [`StoreError::Conflict`](crate::StoreError::Conflict).

use ferry_core::{GroupId, UserId};
use std::collections::HashMap;

use ferry_core::validate::name_key;

use crate::{Conn, Result};

/// A stored group.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    #[sqlx(try_from = "String")]
    pub id: GroupId,
    pub name: String,
    /// The lowercase NFC name, under which names are unique and groups are listed.
    pub name_key: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// The company the group belongs to (made by its company admin); `None`: a system group.
    pub company_id: Option<String>,
}

/// What is needed to create a group.
pub struct NewGroup<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub company_id: Option<&'a str>,
    pub now: i64,
}

/// A member of a group, as its member list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    #[sqlx(try_from = "String")]
    pub id: UserId,
    pub login: String,
    pub name: String,
    pub added_at: i64,
}

const COLUMNS: &str = "id, name, name_key, description, created_at, updated_at, company_id";

/// Creates a group; a name taken in any case is `StoreError::Conflict`.
pub async fn insert(conn: &mut Conn, new: &NewGroup<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO groups (id, name, name_key, description, created_at, updated_at, \
         company_id) VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(new.id)
    .bind(new.name)
    .bind(name_key(new.name))
    .bind(new.description)
    .bind(new.now)
    .bind(new.company_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Group>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Reads a group inside a write transaction and keeps it from changing or going away until the
/// transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's write transactions are serialised
/// already), so a member is never added to a group a concurrent delete removed.
pub async fn get_for_update(conn: &mut Conn, id: &str) -> Result<Option<Group>> {
    let lock = if crate::dialect::is_postgres(conn) {
        "FOR UPDATE"
    } else {
        ""
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups WHERE id = $1 {lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// The group named `name` in any case.
pub async fn by_name(conn: &mut Conn, name: &str) -> Result<Option<Group>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups WHERE name_key = $1"
    )))
    .bind(name_key(name))
    .fetch_optional(conn)
    .await?)
}

/// Which groups [`list_scoped`] lists.
#[derive(Debug, Clone, Copy)]
pub enum GroupScope<'a> {
    All,
    /// The groups this user is a member of.
    MemberOf(&'a str),
    /// The groups of this company.
    Company(&'a str),
}

/// Groups by name (without regard to case) then id, after the `(name_key, id)` cursor; only
/// those `member_id` belongs to when given.
pub async fn list(
    conn: &mut Conn,
    member_id: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Group>> {
    let scope = member_id.map_or(GroupScope::All, GroupScope::MemberOf);
    list_scoped(conn, scope, after, limit).await
}

/// Groups by name (without regard to case) then id, after the `(name_key, id)` cursor, in
/// `scope`.
pub async fn list_scoped(
    conn: &mut Conn,
    scope: GroupScope<'_>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Group>> {
    // "" sorts before every key and id, so no cursor is the same query from the start.
    let (key, id) = after.unwrap_or(("", ""));
    let (filter, value) = match scope {
        GroupScope::All => ("", None),
        GroupScope::MemberOf(m) => (
            "EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = groups.id \
             AND m.user_id = $4) AND",
            Some(m),
        ),
        GroupScope::Company(c) => ("company_id = $4 AND", Some(c)),
    };
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM groups WHERE {filter} \
         (name_key > $1 OR (name_key = $1 AND id > $2)) ORDER BY name_key, id LIMIT $3"
    )))
    .bind(key)
    .bind(id)
    .bind(limit);
    let q = match value {
        Some(v) => q.bind(v),
        None => q,
    };
    Ok(q.fetch_all(conn).await?)
}

/// Renames a group and/or changes its description (`None` leaves a field as it is); returns
/// the group afterwards (`None` if it does not exist). A name taken by another group is
/// `StoreError::Conflict`.
pub async fn update(
    conn: &mut Conn,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
    now: i64,
) -> Result<Option<Group>> {
    let done = sqlx::query(
        "UPDATE groups SET name = COALESCE($2, name), name_key = COALESCE($3, name_key), \
         description = COALESCE($4, description), updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(name.map(name_key))
    .bind(description)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(conn, id).await
}

/// Deletes a group with its memberships; whether it existed.
pub async fn delete(conn: &mut Conn, id: &str) -> Result<bool> {
    // The foreign key cascades on both backends; deleting explicitly does not rely on
    // SQLite's `foreign_keys` pragma.
    sqlx::query("DELETE FROM group_members WHERE group_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes a user a member; whether they were not one before (adding twice is a no-op).
pub async fn add_member(conn: &mut Conn, group_id: &str, user_id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (group_id, user_id) DO NOTHING",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a member; whether they were one.
pub async fn remove_member(conn: &mut Conn, group_id: &str, user_id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the user is a member of the group.
pub async fn is_member(conn: &mut Conn, group_id: &str, user_id: &str) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(group_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Marks the group changed (its members changed).
pub async fn touch(conn: &mut Conn, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE groups SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// A group's members by login then id, after the `(login, id)` cursor.
pub async fn members(
    conn: &mut Conn,
    group_id: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Member>> {
    let (login, id) = after.unwrap_or(("", ""));
    Ok(sqlx::query_as(
        "SELECT u.id, u.login, u.name, m.added_at FROM group_members m \
         JOIN users u ON u.id = m.user_id WHERE m.group_id = $1 \
         AND (u.login > $2 OR (u.login = $2 AND u.id > $3)) ORDER BY u.login, u.id LIMIT $4",
    )
    .bind(group_id)
    .bind(login)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// How many members the group has.
pub async fn member_count(conn: &mut Conn, group_id: &str) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM group_members WHERE group_id = $1")
            .bind(group_id)
            .fetch_one(conn)
            .await?,
    )
}

/// The member count of each of these groups, in one query; groups without members are absent.
pub async fn member_counts(conn: &mut Conn, group_ids: &[&str]) -> Result<HashMap<String, i64>> {
    if group_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT group_id, COUNT(*) FROM group_members WHERE group_id IN ({}) GROUP BY group_id",
        crate::dialect::Placeholders::default().list(group_ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
    for id in group_ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}
