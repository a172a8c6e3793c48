//! WebDAV's own state: dead properties (PROPPATCH) and locks (LOCK), kept here rather than in
//! one node's memory so that every node of a cluster answers alike.

use crate::{Conn, Result};

/// A dead property of a file or folder: its XML namespace, local name and value (the whole
/// element, as the client sent it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadProperty {
    pub namespace: String,
    pub name: String,
    pub xml: String,
}

/// The dead properties of `target_id`, by namespace and name.
pub async fn properties(conn: &mut Conn, target_id: &str) -> Result<Vec<DeadProperty>> {
    Ok(sqlx::query_as(
        "SELECT namespace, name, xml FROM dav_properties WHERE target_id = $1 \
         ORDER BY namespace, name",
    )
    .bind(target_id)
    .fetch_all(conn)
    .await?)
}

/// Sets (or replaces) one dead property.
pub async fn set_property(
    conn: &mut Conn,
    target_id: &str,
    property: &DeadProperty,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dav_properties (target_id, namespace, name, xml, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (target_id, namespace, name) \
         DO UPDATE SET xml = excluded.xml, updated_at = excluded.updated_at",
    )
    .bind(target_id)
    .bind(&property.namespace)
    .bind(&property.name)
    .bind(&property.xml)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes one dead property (nothing if it is not set).
pub async fn remove_property(
    conn: &mut Conn,
    target_id: &str,
    namespace: &str,
    name: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM dav_properties WHERE target_id = $1 AND namespace = $2 AND name = $3")
        .bind(target_id)
        .bind(namespace)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Gives `to` the dead properties of `from` (a COPY copies them, RFC 4918 §9.8.2).
pub async fn copy_properties(conn: &mut Conn, from: &str, to: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO dav_properties (target_id, namespace, name, xml, updated_at) \
         SELECT $2, namespace, name, xml, $3 FROM dav_properties WHERE target_id = $1 \
         ON CONFLICT (target_id, namespace, name) DO UPDATE SET xml = excluded.xml, \
         updated_at = excluded.updated_at",
    )
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A WebDAV lock on a path of one owner's tree.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DavLock {
    pub token: String,
    /// `<owner id>:/top/sub`, each name folded as `name_key` folds it.
    pub path_key: String,
    /// The path the lock was taken on, as the locker wrote it (for lock discovery).
    pub path: String,
    /// The user who holds it.
    pub principal: String,
    /// The `<D:owner>` element the client sent, as XML.
    pub owner_xml: Option<String>,
    pub timeout_secs: Option<i64>,
    pub expires_at: Option<i64>,
    pub shared: i64,
    pub deep: i64,
    pub created_at: i64,
}

/// Serialises lock changes in one owner's tree across nodes until the transaction ends, so
/// that two LOCK requests cannot both find the path free.
pub async fn lock_tree(conn: &mut Conn, owner_key: &str) -> Result<()> {
    crate::dialect::lock_until_commit(conn, &format!("dav-locks:{owner_key}")).await
}

/// The unexpired locks whose path key starts with `prefix` (an owner's `<id>:`).
pub async fn live_locks(conn: &mut Conn, prefix: &str, now: i64) -> Result<Vec<DavLock>> {
    Ok(sqlx::query_as(
        "SELECT token, path_key, path, principal, owner_xml, timeout_secs, expires_at, shared, \
         deep, created_at FROM dav_locks WHERE substr(path_key, 1, $1) = $2 \
         AND (expires_at IS NULL OR expires_at > $3) ORDER BY created_at, token",
    )
    .bind(prefix.chars().count() as i32)
    .bind(prefix)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Records a new lock (expired locks of the same tree are dropped on the way).
pub async fn insert_lock(conn: &mut Conn, lock: &DavLock) -> Result<()> {
    sqlx::query("DELETE FROM dav_locks WHERE expires_at IS NOT NULL AND expires_at <= $1")
        .bind(lock.created_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO dav_locks (token, path_key, path, principal, owner_xml, timeout_secs, \
         expires_at, shared, deep, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&lock.token)
    .bind(&lock.path_key)
    .bind(&lock.path)
    .bind(&lock.principal)
    .bind(&lock.owner_xml)
    .bind(lock.timeout_secs)
    .bind(lock.expires_at)
    .bind(lock.shared)
    .bind(lock.deep)
    .bind(lock.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the lock `token`; whether it existed.
pub async fn delete_lock(conn: &mut Conn, token: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM dav_locks WHERE token = $1")
        .bind(token)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives the lock `token` a new timeout.
pub async fn refresh_lock(
    conn: &mut Conn,
    token: &str,
    timeout_secs: Option<i64>,
    expires_at: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE dav_locks SET timeout_secs = $2, expires_at = $3 WHERE token = $1")
        .bind(token)
        .bind(timeout_secs)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes the locks on `path_key` and everything below it (after a MOVE or DELETE).
pub async fn delete_locks_under(conn: &mut Conn, path_key: &str) -> Result<()> {
    let below = format!("{}/", path_key.trim_end_matches('/'));
    sqlx::query("DELETE FROM dav_locks WHERE path_key = $1 OR substr(path_key, 1, $2) = $3")
        .bind(path_key.trim_end_matches('/'))
        .bind(below.chars().count() as i32)
        .bind(&below)
        .execute(conn)
        .await?;
    Ok(())
}
