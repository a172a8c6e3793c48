//! Comments on files (migration 0016), oldest first. A comment with an assignee is a task,
//! `open` or `done`. Comments go with their file: the foreign key cascades when it is purged.

use crate::{Conn, Result};
use ferry_core::{CommentId, FileId, UserId};

/// Where a task comment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Open,
    Done,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Done => "done",
        }
    }

    /// `open` or `done`.
    pub fn parse(s: &str) -> Option<TaskState> {
        match s {
            "open" => Some(TaskState::Open),
            "done" => Some(TaskState::Done),
            _ => None,
        }
    }
}

/// A stored comment, with the current logins of its author and assignee.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    #[sqlx(try_from = "String")]
    pub id: CommentId,
    #[sqlx(try_from = "String")]
    pub file_id: FileId,
    #[sqlx(try_from = "String")]
    pub author_id: UserId,
    pub author_login: String,
    pub body: String,
    pub assignee_id: Option<String>,
    pub assignee_login: Option<String>,
    task_status: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Comment {
    /// The task's state; `None` for a plain comment.
    pub fn task_state(&self) -> Option<TaskState> {
        self.task_status.as_deref().and_then(TaskState::parse)
    }
}

/// What is needed to add a comment.
pub struct NewComment<'a> {
    pub id: &'a str,
    pub file_id: &'a str,
    pub author_id: &'a str,
    pub author_login: &'a str,
    pub body: &'a str,
    /// Makes it a task, `open`.
    pub assignee_id: Option<&'a str>,
    pub now: i64,
}

// The logins are read from the users (a login may change); the stored one is the fallback.
const SELECT: &str = "SELECT c.id, c.file_id, c.author_id, \
    COALESCE(a.login, c.author_login) AS author_login, c.body, c.assignee_id, \
    s.login AS assignee_login, c.task_status, c.created_at, c.updated_at \
    FROM comments c LEFT JOIN users a ON a.id = c.author_id \
    LEFT JOIN users s ON s.id = c.assignee_id";

pub async fn insert(conn: &mut Conn, c: &NewComment<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO comments (id, file_id, author_id, author_login, body, assignee_id, \
         task_status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(c.id)
    .bind(c.file_id)
    .bind(c.author_id)
    .bind(c.author_login)
    .bind(c.body)
    .bind(c.assignee_id)
    .bind(c.assignee_id.map(|_| TaskState::Open.as_str()))
    .bind(c.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Comment>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// A file's comments, oldest first, after the `(created_at, id)` cursor.
pub async fn on_file(
    conn: &mut Conn,
    file_id: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Comment>> {
    let (at, id) = after.unwrap_or((i64::MIN, ""));
    let first = i64::from(after.is_none());
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE c.file_id = $1 \
         AND ($2 = 1 OR c.created_at > $3 OR (c.created_at = $3 AND c.id > $4)) \
         ORDER BY c.created_at, c.id LIMIT $5"
    )))
    .bind(file_id)
    .bind(first)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Changes a comment's body and/or its task state (a plain comment has none to change);
/// false if there is no such comment.
pub async fn update(
    conn: &mut Conn,
    id: &str,
    body: Option<&str>,
    state: Option<TaskState>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE comments SET body = COALESCE($2, body), \
         task_status = CASE WHEN task_status IS NULL THEN NULL ELSE COALESCE($3, task_status) END, \
         updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(body)
    .bind(state.map(TaskState::as_str))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a comment; false if there was none.
pub async fn delete(conn: &mut Conn, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM comments WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many comments a file has (the purge test looks for none left).
pub async fn count_on_file(conn: &mut Conn, file_id: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM comments WHERE file_id = $1")
        .bind(file_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
