//! Folders: a tree under each owner's top-level folders, with a retention policy for deleted
//! files. A subfolder belongs to (and is paid for by) the owner of its top-level folder, so
//! `owner_id` is the same on every folder of one tree.

use ferry_core::validate::name_key;
use ferry_core::{FolderId, UserId};
use ferry_core::{Sort, SortKey};

use crate::{Conn, Result};

/// A stored folder with its owner's login.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Folder {
    #[sqlx(try_from = "String")]
    pub id: FolderId,
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    pub owner_login: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub retention_days: i64,
    /// Counts changes: the metadata ETag.
    pub revision: i64,
    /// The trash item this folder went with, if it was deleted.
    pub trash_id: Option<String>,
    /// When the folder's tree expires (seed 004's sessions): set on a top-level folder, and
    /// carried by every folder below it, like `owner_id`.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the folder's subtree may hold (bytes of its live files' versions), whoever adds
    /// them; `None`: no limit of its own.
    pub size_limit_bytes: Option<i64>,
}

impl Folder {
    pub fn is_live(&self) -> bool {
        self.trash_id.is_none()
    }
}

pub struct NewFolder<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub name: &'a str,
    pub description: &'a str,
    pub visibility: &'a str,
    pub retention_days: i64,
    /// The tree's expiry (the top-level folder's `expires_at`).
    pub expires_at: Option<i64>,
    pub now: i64,
}

/// Where a name lives: among an owner's top-level folders, or inside a folder (where files and
/// subfolders share one namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace<'a> {
    Top { owner_id: &'a str },
    In { folder_id: &'a str },
}

impl<'a> Namespace<'a> {
    /// The namespace `folder` itself lives in.
    pub fn of(folder: &'a Folder) -> Namespace<'a> {
        match &folder.parent_id {
            Some(parent) => Namespace::In { folder_id: parent },
            None => Namespace::Top {
                owner_id: &folder.owner_id,
            },
        }
    }

    /// The lock that serialises writers of names in this namespace.
    fn lock_key(&self) -> String {
        match self {
            Namespace::Top { owner_id } => format!("top:{owner_id}"),
            Namespace::In { folder_id } => (*folder_id).to_string(),
        }
    }
}

pub(crate) const COLUMNS: &str = "f.id, f.owner_id, u.login AS owner_login, f.parent_id, f.name, \
                       f.description, f.visibility, f.retention_days, f.revision, f.trash_id, \
                       f.expires_at, f.created_at, f.updated_at, f.size_limit_bytes";

fn select() -> String {
    format!("SELECT {COLUMNS} FROM folders f JOIN users u ON u.id = f.owner_id")
}

/// [`COLUMNS`] of a folder `d` (owner `du`) named with a `d_` in front, for a statement that
/// reads a folder beside another row with columns of the same names (a file's).
pub(crate) const CHAIN_COLUMNS: &str = "d.id AS d_id, d.owner_id AS d_owner_id, \
     du.login AS d_owner_login, d.parent_id AS d_parent_id, d.name AS d_name, \
     d.description AS d_description, d.visibility AS d_visibility, \
     d.retention_days AS d_retention_days, d.revision AS d_revision, d.trash_id AS d_trash_id, \
     d.expires_at AS d_expires_at, d.created_at AS d_created_at, d.updated_at AS d_updated_at, \
     d.size_limit_bytes AS d_size_limit_bytes";

/// A [`Folder`] read from [`CHAIN_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct ChainFolder {
    #[sqlx(rename = "d_id", try_from = "String")]
    id: FolderId,
    #[sqlx(rename = "d_owner_id", try_from = "String")]
    owner_id: UserId,
    #[sqlx(rename = "d_owner_login")]
    owner_login: String,
    #[sqlx(rename = "d_parent_id")]
    parent_id: Option<String>,
    #[sqlx(rename = "d_name")]
    name: String,
    #[sqlx(rename = "d_description")]
    description: String,
    #[sqlx(rename = "d_visibility")]
    visibility: String,
    #[sqlx(rename = "d_retention_days")]
    retention_days: i64,
    #[sqlx(rename = "d_revision")]
    revision: i64,
    #[sqlx(rename = "d_trash_id")]
    trash_id: Option<String>,
    #[sqlx(rename = "d_expires_at")]
    expires_at: Option<i64>,
    #[sqlx(rename = "d_created_at")]
    created_at: i64,
    #[sqlx(rename = "d_updated_at")]
    updated_at: i64,
    #[sqlx(rename = "d_size_limit_bytes")]
    size_limit_bytes: Option<i64>,
}

impl From<ChainFolder> for Folder {
    fn from(d: ChainFolder) -> Folder {
        Folder {
            id: d.id,
            owner_id: d.owner_id,
            owner_login: d.owner_login,
            parent_id: d.parent_id,
            name: d.name,
            description: d.description,
            visibility: d.visibility,
            retention_days: d.retention_days,
            revision: d.revision,
            trash_id: d.trash_id,
            expires_at: d.expires_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
            size_limit_bytes: d.size_limit_bytes,
        }
    }
}

/// Inserts a folder; a live sibling with the same name (case-insensitively) is
/// [`crate::StoreError::Conflict`] (callers check files in the namespace first, see
/// [`name_in_use`]).
pub async fn insert(conn: &mut Conn, new: &NewFolder<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO folders (id, owner_id, parent_id, name, name_key, description, visibility, \
         retention_days, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9)",
    )
    .bind(new.id)
    .bind(new.owner_id)
    .bind(new.parent_id)
    .bind(new.name)
    .bind(name_key(new.name))
    .bind(new.description)
    .bind(new.visibility)
    .bind(new.retention_days)
    .bind(new.now)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Folder>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{} WHERE f.id = $1", select())))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Live top-level folders by name (case-insensitively) then id, after the `(name_key, id)`
/// cursor; only `owner_id`'s unless `None`.
pub async fn list_top(
    conn: &mut Conn,
    owner_id: Option<&str>,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<Folder>> {
    let (key, id) = after.unwrap_or(("", ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE f.parent_id IS NULL AND f.trash_id IS NULL \
         AND ($1 IS NULL OR f.owner_id = $1) \
         AND (f.name_key > $2 OR (f.name_key = $2 AND f.id > $3)) \
         ORDER BY f.name_key, f.id LIMIT $4",
        select()
    )))
    .bind(owner_id)
    .bind(key)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A cursor position in a sorted listing: the sort column's value and the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    Text(String, String),
    Number(i64, String),
}

/// `ORDER BY` and the cursor condition for `sort` over table alias `t`, with the cursor
/// value at placeholder `$n` and the id at `$n+1`. Folders have no size of their own, so
/// `size` orders them by name.
pub(crate) fn ordering(
    sort: Sort,
    column_of: fn(SortKey) -> &'static str,
    n: usize,
) -> (String, String) {
    let col = column_of(sort.key);
    let (cmp, dir) = if sort.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let next = n + 1;
    (
        // A row-value comparison: both backends seek the (column, id) index to it.
        format!("({col}, t.id) {cmp} (${n}, ${next})"),
        format!("ORDER BY {col} {dir}, t.id {dir}"),
    )
}

fn folder_column(key: SortKey) -> &'static str {
    match key {
        SortKey::Name | SortKey::Size => "t.name_key",
        SortKey::UpdatedAt => "t.updated_at",
    }
}

/// The sort value of a folder, for the cursor after it.
pub fn sort_value(folder: &Folder, sort: Sort) -> After {
    match sort.key {
        SortKey::Name | SortKey::Size => After::Text(name_key(&folder.name), folder.id.to_string()),
        SortKey::UpdatedAt => After::Number(folder.updated_at, folder.id.to_string()),
    }
}

/// A folder's live subfolders in `sort` order after the cursor.
pub async fn children(
    conn: &mut Conn,
    parent_id: &str,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<Folder>> {
    // The first page has no cursor condition at all: an `OR` on a parameter would keep the
    // planner from seeking the index to the cursor on later pages.
    let (cond, order) = ordering(sort, folder_column, 2);
    let (cond, limit_at) = match after {
        Some(_) => (format!("AND {cond}"), 4),
        None => (String::new(), 2),
    };
    let sql = format!(
        "SELECT {} FROM folders t JOIN users u ON u.id = t.owner_id \
         WHERE t.parent_id = $1 AND t.trash_id IS NULL {cond} {order} LIMIT ${limit_at}",
        COLUMNS.replace("f.", "t.")
    );
    let query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(parent_id);
    let query = match after {
        Some(After::Text(v, id)) => query.bind(v.clone()).bind(id.clone()),
        Some(After::Number(v, id)) => query.bind(*v).bind(id.clone()),
        None => query,
    };
    Ok(query.bind(limit).fetch_all(conn).await?)
}

/// The ids of folder `$1` and its ancestors as `chain (id, depth)`, at most `$2` levels up (so
/// a corrupted cycle cannot loop forever); the folder itself has depth 0.
pub(crate) const CHAIN_CTE: &str = "WITH RECURSIVE chain (id, depth) AS ( \
       SELECT CAST($1 AS TEXT), 0 \
       UNION ALL \
       SELECT p.parent_id, c.depth + 1 FROM folders p JOIN chain c ON p.id = c.id \
       WHERE p.parent_id IS NOT NULL AND c.depth < $2)";

/// The folder and its ancestors, top-level folder first (at most `max` of them, so a
/// corrupted cycle cannot loop forever).
pub async fn ancestry(conn: &mut Conn, id: &str, max: usize) -> Result<Vec<Folder>> {
    let sql = format!(
        "{CHAIN_CTE} SELECT {COLUMNS} FROM chain c JOIN folders f ON f.id = c.id \
         JOIN users u ON u.id = f.owner_id ORDER BY c.depth DESC"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(max as i64)
        .fetch_all(conn)
        .await?)
}

/// The ids of the live folders in the subtree under `id` (itself included) with their depth
/// below it.
pub async fn live_subtree(conn: &mut Conn, id: &str) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "WITH RECURSIVE sub (id, depth) AS ( \
           SELECT CAST($1 AS TEXT), CAST(0 AS BIGINT) \
           UNION ALL \
           SELECT c.id, s.depth + 1 FROM folders c JOIN sub s ON c.parent_id = s.id \
           WHERE c.trash_id IS NULL AND s.depth < 80) \
         SELECT id, depth FROM sub",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// How many levels the subtree under `id` reaches below it, counting trashed folders too.
pub async fn height(conn: &mut Conn, id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE sub (id, depth) AS ( \
           SELECT CAST($1 AS TEXT), CAST(0 AS BIGINT) \
           UNION ALL \
           SELECT c.id, s.depth + 1 FROM folders c JOIN sub s ON c.parent_id = s.id \
           WHERE s.depth < 80) \
         SELECT CAST(MAX(depth) AS BIGINT) FROM sub",
    )
    .bind(id)
    .fetch_one(conn)
    .await?)
}

/// Every folder under `id` (itself included), live or trashed: what a purge removes.
pub async fn whole_subtree(conn: &mut Conn, id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE sub (id, depth) AS ( \
           SELECT CAST($1 AS TEXT), 0 \
           UNION ALL \
           SELECT c.id, s.depth + 1 FROM folders c JOIN sub s ON c.parent_id = s.id \
           WHERE s.depth < 80) \
         SELECT id FROM sub",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// Serialises writers of names into one namespace until the transaction ends, so name checks
/// and inserts cannot race. SQLite's `BEGIN IMMEDIATE` already serialises all writers.
pub async fn lock(conn: &mut Conn, namespace: Namespace<'_>) -> Result<()> {
    crate::dialect::lock_until_commit(conn, &namespace.lock_key()).await
}

/// Serialises every change to the shape of the tree (moves of folders), so that two moves
/// cannot each pass the cycle check and together make a cycle.
pub async fn lock_tree(conn: &mut Conn) -> Result<()> {
    crate::dialect::lock_until_commit(conn, "folder-tree").await
}

/// Whether a live file or folder other than `except` holds `name` (case-insensitively) in
/// the namespace.
pub async fn name_in_use(
    conn: &mut Conn,
    namespace: Namespace<'_>,
    name: &str,
    except: Option<&str>,
) -> Result<bool> {
    let key = name_key(name);
    let except = except.unwrap_or("");
    let n: i64 =
        match namespace {
            Namespace::Top { owner_id } => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM folders WHERE owner_id = $1 AND parent_id IS NULL \
                 AND trash_id IS NULL AND name_key = $2 AND id <> $3",
                )
                .bind(owner_id)
                .bind(&key)
                .bind(except)
                .fetch_one(conn)
                .await?
            }
            Namespace::In { folder_id } => sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM folders WHERE parent_id = $1 AND trash_id IS NULL \
                         AND name_key = $2 AND id <> $3) \
                      + (SELECT COUNT(*) FROM files WHERE folder_id = $1 AND trash_id IS NULL \
                         AND name_key = $2 AND id <> $3)",
            )
            .bind(folder_id)
            .bind(&key)
            .bind(except)
            .fetch_one(conn)
            .await?,
        };
    Ok(n > 0)
}

/// What PATCH may change on a folder (`None` keeps the value).
#[derive(Debug, Default)]
pub struct FolderChanges<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub retention_days: Option<i64>,
    pub visibility: Option<&'a str>,
}

/// Applies `changes` if the folder is still at `revision` (when given); false if it was not
/// (or is gone).
pub async fn update(
    conn: &mut Conn,
    id: &str,
    changes: &FolderChanges<'_>,
    revision: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE folders SET name = COALESCE($2, name), name_key = COALESCE($3, name_key), \
         description = COALESCE($4, description), \
         retention_days = COALESCE($5, retention_days), \
         visibility = COALESCE($8, visibility), revision = revision + 1, \
         updated_at = $6 WHERE id = $1 AND ($7 IS NULL OR revision = $7)",
    )
    .bind(id)
    .bind(changes.name)
    .bind(changes.name.map(name_key))
    .bind(changes.description)
    .bind(changes.retention_days)
    .bind(now)
    .bind(revision)
    .bind(changes.visibility)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets (or, with `None`, lifts) a folder's size limit.
pub async fn set_size_limit(conn: &mut Conn, id: &str, limit: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE folders SET size_limit_bytes = $2 WHERE id = $1")
        .bind(id)
        .bind(limit)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a folder under `parent_id` (`None`: top-level) as `name`, if still at `revision`.
pub async fn relocate(
    conn: &mut Conn,
    id: &str,
    parent_id: Option<&str>,
    name: &str,
    revision: Option<i64>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE folders SET parent_id = $2, name = $3, name_key = $4, revision = revision + 1, \
         updated_at = $5 WHERE id = $1 AND ($6 IS NULL OR revision = $6)",
    )
    .bind(id)
    .bind(parent_id)
    .bind(name)
    .bind(name_key(name))
    .bind(now)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the folder's row until the transaction ends (a writer adding to the folder against a
/// move handing it to another owner) and returns its owner; `None` if it is gone.
/// `read_owner` is the owner this transaction read already: on SQLite every write transaction
/// holds the database's write lock from its start (`BEGIN IMMEDIATE`), so what it read is
/// current and there is no row to lock (no statement, no page written).
pub async fn lock_row(conn: &mut Conn, id: &str, read_owner: &str) -> Result<Option<String>> {
    if !crate::dialect::is_postgres(conn) {
        return Ok(Some(read_owner.to_string()));
    }
    Ok(sqlx::query_scalar(
        "UPDATE folders SET revision = revision WHERE id = $1 RETURNING owner_id",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Hands the folders `ids`, their files and the trash items among them to `owner_id` (a move
/// into another owner's tree).
pub async fn set_owner(conn: &mut Conn, ids: &[String], owner_id: &str) -> Result<()> {
    for chunk in ids.chunks(500) {
        let list = crate::dialect::Placeholders::starting_at(2).list(chunk.len());
        for table in ["folders", "files"] {
            let column = if table == "folders" {
                "id"
            } else {
                "folder_id"
            };
            let sql = format!("UPDATE {table} SET owner_id = $1 WHERE {column} IN ({list})");
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id);
            for id in chunk {
                query = query.bind(id);
            }
            query.execute(&mut *conn).await?;
        }
        // What was deleted inside these folders is now managed by their new owner.
        let sql = format!(
            "UPDATE trash_items SET owner_id = $1 WHERE id IN ({list}) \
             OR id IN (SELECT id FROM files WHERE folder_id IN ({list}))"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(owner_id);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Sets the expiry of the folders `ids` (a tree's top-level folder and everything below it
/// carry the same one).
pub async fn set_expiry(conn: &mut Conn, ids: &[String], expires_at: Option<i64>) -> Result<()> {
    for chunk in ids.chunks(500) {
        let list = crate::dialect::Placeholders::starting_at(2).list(chunk.len());
        let sql = format!("UPDATE folders SET expires_at = $1 WHERE id IN ({list})");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(expires_at);
        for id in chunk {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Live top-level folders whose tree has expired at `now`, oldest expiry first.
pub async fn expired(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM folders WHERE expires_at <= $1 AND trash_id IS NULL \
         AND parent_id IS NULL ORDER BY expires_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks the live folders `ids` and their live files as gone with trash item `trash_id`.
pub async fn put_in_trash(conn: &mut Conn, ids: &[String], trash_id: &str, now: i64) -> Result<()> {
    for chunk in ids.chunks(500) {
        let list = crate::dialect::Placeholders::starting_at(3).list(chunk.len());
        for (table, column) in [("folders", "id"), ("files", "folder_id")] {
            let sql = format!(
                "UPDATE {table} SET trash_id = $1, revision = revision + 1, updated_at = $2 \
                 WHERE trash_id IS NULL AND {column} IN ({list})"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(trash_id)
                .bind(now);
            for id in chunk {
                query = query.bind(id);
            }
            query.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Brings back everything that went with trash item `trash_id`.
pub async fn take_out_of_trash(conn: &mut Conn, trash_id: &str, now: i64) -> Result<()> {
    for table in ["folders", "files"] {
        let sql = format!(
            "UPDATE {table} SET trash_id = NULL, revision = revision + 1, updated_at = $2 \
             WHERE trash_id = $1"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(trash_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Deletes the folder rows `ids` (their files must be gone already) in one statement, so
/// that parent and child rows go together.
pub async fn delete_rows(conn: &mut Conn, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = crate::dialect::Placeholders::default().list(ids.len());
    // Open or finished upload sessions keep their history, without the folder.
    for sql in [
        format!("UPDATE uploads SET folder_id = NULL WHERE folder_id IN ({list})"),
        format!("DELETE FROM folders WHERE id IN ({list})"),
    ] {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// How much a set of folders holds: their live files and those files' current bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Contents {
    pub files: i64,
    pub bytes: i64,
}

/// Live files and their bytes in the folders `ids` (one query per 500 folders).
pub async fn contents(conn: &mut Conn, ids: &[String]) -> Result<Contents> {
    let mut total = Contents::default();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
             WHERE trash_id IS NULL AND folder_id IN ({})",
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        let (files, bytes) = query.fetch_one(&mut *conn).await?;
        total.files += files;
        total.bytes += bytes;
    }
    Ok(total)
}

/// Bytes every version of every live file (not trashed or held) in the folders `ids` holds:
/// what a folder size limit counts.
pub async fn live_bytes(conn: &mut Conn, ids: &[String]) -> Result<i64> {
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(v.size), 0) AS BIGINT) FROM file_versions v \
             JOIN files f ON f.id = v.file_id WHERE f.trash_id IS NULL AND f.folder_id IN ({})",
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        total += query.fetch_one(&mut *conn).await?;
    }
    Ok(total)
}

/// Bytes every version of every file (live, held or trashed) in the folders `ids` holds: what
/// the owner's quota pays for them.
pub async fn stored_bytes(conn: &mut Conn, ids: &[String]) -> Result<i64> {
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(v.size), 0) AS BIGINT) FROM file_versions v \
             JOIN files f ON f.id = v.file_id WHERE f.folder_id IN ({})",
            crate::dialect::Placeholders::default().list(chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id);
        }
        total += query.fetch_one(&mut *conn).await?;
    }
    Ok(total)
}

/// Bytes held by each of these folders' own files (current versions, live and held; purged
/// files no longer count), in one query; folders without files are absent.
pub async fn used_bytes_of(
    conn: &mut Conn,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, i64>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT folder_id, CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
         WHERE folder_id IN ({}) GROUP BY folder_id",
        crate::dialect::Placeholders::default().list(ids.len())
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

/// The live folder named `name` (case-insensitively) in the namespace, if any.
pub async fn by_name(
    conn: &mut Conn,
    namespace: Namespace<'_>,
    name: &str,
) -> Result<Option<Folder>> {
    let (cond, value) = match namespace {
        Namespace::Top { owner_id } => ("f.owner_id = $1 AND f.parent_id IS NULL", owner_id),
        Namespace::In { folder_id } => ("f.parent_id = $1", folder_id),
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE {cond} AND f.trash_id IS NULL AND f.name_key = $2",
        select()
    )))
    .bind(value)
    .bind(name_key(name))
    .fetch_optional(conn)
    .await?)
}

/// Every live top-level folder named `name` (case-insensitively), whoever owns it: how an
/// admin's path lookup finds a folder of another user.
pub async fn top_named(conn: &mut Conn, name: &str) -> Result<Vec<Folder>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{} WHERE f.parent_id IS NULL AND f.trash_id IS NULL AND f.name_key = $1 \
         ORDER BY f.id LIMIT 2",
        select()
    )))
    .bind(name_key(name))
    .fetch_all(conn)
    .await?)
}
