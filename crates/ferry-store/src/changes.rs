//! The change feed's rows: every change to a file or folder, numbered in commit order.
//!
//! A writer appends inside the transaction of the change it records. Its number is taken from
//! the one row of `change_counter` with an `UPDATE`, which holds that row locked until the
//! transaction ends (PostgreSQL's row lock; SQLite has one writer anyway): the next writer gets
//! its number only after this one has committed or rolled back. So numbers follow commit
//! order, a rolled-back writer leaves no gap, and no two writers share one, on any number of
//! nodes. (A sequence would not do: PostgreSQL hands out sequence values at `nextval`, and
//! transactions commit in another order, so a reader could skip a number still in flight.)

use crate::{Conn, Result};
use ferry_core::UserId;

/// A change about to be recorded.
#[derive(Debug, Clone, Default)]
pub struct NewChange {
    pub time: i64,
    /// `created`, `updated`, `moved`, `deleted`, `restored`, `shared`, `unshared`.
    pub kind: String,
    /// `file` or `folder`.
    pub item_type: String,
    pub item_id: String,
    /// The owner of the top-level folder the item is in.
    pub owner_id: String,
    /// The folder ids from the top-level folder down ([`chain_of`]).
    pub chain: String,
    /// `/Top/sub/name`, from the owner's root.
    pub path: String,
    pub old_owner_id: Option<String>,
    pub old_chain: Option<String>,
    pub old_path: Option<String>,
    pub version: Option<i64>,
    /// The user a share or unshare is about.
    pub subject_id: Option<String>,
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    pub seq: i64,
    pub time: i64,
    pub kind: String,
    pub item_type: String,
    pub item_id: String,
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    pub chain: String,
    pub path: String,
    pub old_owner_id: Option<String>,
    pub old_chain: Option<String>,
    pub old_path: Option<String>,
    pub version: Option<i64>,
    pub subject_id: Option<String>,
}

impl Change {
    /// The folder ids of [`Change::chain`], top-level folder first.
    pub fn chain_ids(&self) -> Vec<&str> {
        self.chain.split_whitespace().collect()
    }

    /// The folder ids of [`Change::old_chain`], top-level folder first.
    pub fn old_chain_ids(&self) -> Vec<&str> {
        self.old_chain
            .as_deref()
            .map(|c| c.split_whitespace().collect())
            .unwrap_or_default()
    }
}

const COLUMNS: &str = "seq, time, kind, item_type, item_id, owner_id, chain, path, old_owner_id, \
                       old_chain, old_path, version, subject_id";

/// The stored form of a chain of folder ids: ` fld_a fld_b `.
pub fn chain_of<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut chain = String::from(" ");
    for id in ids {
        chain.push_str(id);
        chain.push(' ');
    }
    chain
}

/// Where the feed stands: the last number handed out and the last one removed by retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub last_seq: i64,
    pub pruned_through: i64,
}

/// The feed's position, as committed.
pub async fn position(conn: &mut Conn) -> Result<Position> {
    let (last_seq, pruned_through): (i64, i64) =
        sqlx::query_as("SELECT last_seq, pruned_through FROM change_counter WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(Position {
        last_seq,
        pruned_through,
    })
}

/// The latest change recorded for an item, if one is still kept.
pub async fn last_for_item(conn: &mut Conn, item_id: &str) -> Result<Option<Change>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM changes WHERE item_id = $1 ORDER BY seq DESC LIMIT 1"
    )))
    .bind(item_id)
    .fetch_optional(conn)
    .await?)
}

/// Appends a change in `conn`'s transaction and returns its number; `None` when the latest
/// change already says exactly this (one operation that audits twice, such as a delete that
/// also holds, is one change).
pub async fn append(conn: &mut Conn, c: &NewChange) -> Result<Option<i64>> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE change_counter SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq",
    )
    .fetch_one(&mut *conn)
    .await?;
    // The counter row is ours until commit: the row before ours is the latest of all. The
    // change goes in unless that row says the same (one statement for both).
    let done = sqlx::query(
        "INSERT INTO changes (seq, time, kind, item_type, item_id, owner_id, chain, path, \
         old_owner_id, old_chain, old_path, version, subject_id) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
         WHERE NOT EXISTS (SELECT 1 FROM changes p WHERE p.seq = $1 - 1 \
         AND p.item_id = $5 AND p.kind = $3 AND p.path = $8 \
         AND p.version IS NOT DISTINCT FROM $12 AND p.subject_id IS NOT DISTINCT FROM $13 \
         AND p.old_path IS NOT DISTINCT FROM $11)",
    )
    .bind(seq)
    .bind(c.time)
    .bind(&c.kind)
    .bind(&c.item_type)
    .bind(&c.item_id)
    .bind(&c.owner_id)
    .bind(&c.chain)
    .bind(&c.path)
    .bind(&c.old_owner_id)
    .bind(&c.old_chain)
    .bind(&c.old_path)
    .bind(c.version)
    .bind(&c.subject_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        sqlx::query("UPDATE change_counter SET last_seq = last_seq - 1 WHERE id = 1")
            .execute(&mut *conn)
            .await?;
        return Ok(None);
    }
    Ok(Some(seq))
}

/// Whose changes a reader sees. `all` sees everything; anyone else the changes in trees
/// `user_id` owns (or owned before a move), inside the `shared_roots` (before or after a
/// move), and the shares about them; `within`, when set, limits that to one folder's subtree.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub all: bool,
    pub user_id: Option<String>,
    pub shared_roots: Vec<String>,
    pub within: Option<String>,
}

/// `haystack` (a chain column) contains ` <id> `, as SQL on either backend.
fn contains(postgres: bool, haystack: &str, placeholder: &str) -> String {
    let needle = format!("(' ' || {placeholder} || ' ')");
    if postgres {
        format!("strpos(COALESCE({haystack}, ''), {needle}) > 0")
    } else {
        format!("instr(COALESCE({haystack}, ''), {needle}) > 0")
    }
}

/// Binds `v` after the three fixed parameters of [`list`]; its placeholder.
fn next(v: &str, binds: &mut Vec<String>) -> String {
    binds.push(v.to_string());
    format!("CAST(${} AS TEXT)", binds.len() + 3)
}

/// Changes after `after`, up to `upto` inclusive, that `scope` sees, in order; `limit` rows.
pub async fn list(
    conn: &mut Conn,
    scope: &Scope,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<Change>> {
    let postgres = crate::dialect::is_postgres(conn);
    let mut binds: Vec<String> = Vec::new();
    let mut cond = Vec::new();
    if !scope.all {
        let mut any = Vec::new();
        if let Some(user) = &scope.user_id {
            let p = next(user, &mut binds);
            any.push(format!(
                "owner_id = {p} OR old_owner_id = {p} OR subject_id = {p}"
            ));
        }
        for root in &scope.shared_roots {
            let p = next(root, &mut binds);
            any.push(contains(postgres, "chain", &p));
            any.push(contains(postgres, "old_chain", &p));
        }
        if any.is_empty() {
            return Ok(Vec::new());
        }
        cond.push(format!("({})", any.join(" OR ")));
    }
    if let Some(root) = &scope.within {
        let p = next(root, &mut binds);
        cond.push(format!(
            "({} OR {})",
            contains(postgres, "chain", &p),
            contains(postgres, "old_chain", &p)
        ));
    }
    let filter = if cond.is_empty() {
        String::new()
    } else {
        format!(" AND {}", cond.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM changes WHERE seq > $1 AND seq <= $2{filter} ORDER BY seq LIMIT $3"
    );
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(upto)
        .bind(limit);
    for b in binds {
        q = q.bind(b);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Removes the changes older than `before` (a time), oldest first, and remembers the last
/// number removed; returns how many went.
pub async fn prune(conn: &mut Conn, before: i64) -> Result<u64> {
    let through: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes WHERE time < $1")
        .bind(before)
        .fetch_one(&mut *conn)
        .await?;
    let Some(through) = through else {
        return Ok(0);
    };
    let done = sqlx::query("DELETE FROM changes WHERE seq <= $1")
        .bind(through)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE change_counter SET pruned_through = $1 WHERE id = 1 AND pruned_through < $1",
    )
    .bind(through)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
