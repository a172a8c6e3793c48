//! Tasks: rows that any node's workers claim (see migration 0012). A worker [`claim`]s one task
//! for a lease, renews the lease with every [`progress`] report and ends it with [`finish`];
//! each of these writes names the claim's `attempt`, so a worker whose claim lapsed and was
//! taken over changes nothing.

use ferry_core::{TaskId, UserId};
use ferry_core::{TaskKind, TaskStatus};

use crate::{Conn, Result};

/// A stored task.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Task {
    #[sqlx(try_from = "String")]
    pub id: TaskId,
    #[sqlx(try_from = "String")]
    pub kind: TaskKind,
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    /// What the task was asked to do (JSON).
    pub params: String,
    #[sqlx(try_from = "String")]
    pub status: TaskStatus,
    pub progress_done: i64,
    pub progress_total: i64,
    /// What an earlier attempt left for the next one to clear away (JSON).
    pub checkpoint: Option<String>,
    /// What the task produced (JSON), once it succeeded.
    pub result: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// How many times a worker claimed it; a worker's writes name the attempt it holds.
    pub attempt: i64,
    pub lease_until: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, owner_id, params, status, progress_done, progress_total, \
                       checkpoint, result, error_code, error_message, attempt, lease_until, \
                       created_at, started_at, finished_at";

/// Queues a task.
pub async fn insert(
    conn: &mut Conn,
    id: &str,
    kind: TaskKind,
    owner_id: &str,
    params: &str,
    total: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO tasks (id, kind, owner_id, params, status, progress_total, created_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, $6)",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(owner_id)
    .bind(params)
    .bind(total)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Task>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tasks WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Claims the oldest task that is queued, or running under a lease that has ended (its worker
/// died), until `lease_until`; one statement that several nodes can run at once.
pub async fn claim(conn: &mut Conn, now: i64, lease_until: i64) -> Result<Option<Task>> {
    // A read-only look first: an idle node then never takes SQLite's write lock.
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM tasks WHERE status = 'queued' \
         OR (status = 'running' AND lease_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if due.is_none() {
        return Ok(None);
    }
    let lock = crate::dialect::skip_locked(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE tasks SET status = 'running', attempt = attempt + 1, lease_until = $2, \
         started_at = COALESCE(started_at, $1) \
         WHERE id IN (SELECT id FROM tasks WHERE status = 'queued' \
            OR (status = 'running' AND lease_until < $1) ORDER BY created_at, id LIMIT 1 {lock}) \
         RETURNING {COLUMNS}"
    )))
    .bind(now)
    .bind(lease_until)
    .fetch_optional(conn)
    .await?)
}

/// Records progress (and what to clear away if this attempt dies) and renews the lease;
/// false when the claim `attempt` was lost.
pub async fn progress(
    conn: &mut Conn,
    id: &str,
    attempt: i64,
    done: i64,
    total: i64,
    checkpoint: Option<&str>,
    lease_until: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE tasks SET progress_done = $3, progress_total = $4, checkpoint = $5, \
         lease_until = $6 WHERE id = $1 AND attempt = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(attempt)
    .bind(done)
    .bind(total)
    .bind(checkpoint)
    .bind(lease_until)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// How a task ended.
pub enum Ending {
    /// With what it produced (JSON).
    Succeeded {
        result: String,
    },
    Failed {
        code: String,
        message: String,
    },
}

/// Ends a task for good; false when the claim `attempt` was lost.
pub async fn finish(
    conn: &mut Conn,
    id: &str,
    attempt: i64,
    ending: &Ending,
    now: i64,
) -> Result<bool> {
    let (status, result, code, message) = match ending {
        Ending::Succeeded { result } => (TaskStatus::Succeeded, Some(result), None, None),
        Ending::Failed { code, message } => (TaskStatus::Failed, None, Some(code), Some(message)),
    };
    let updated = sqlx::query(
        "UPDATE tasks SET status = $3, result = $4, error_code = $5, error_message = $6, \
         finished_at = $7, lease_until = NULL, checkpoint = NULL, \
         progress_done = CASE WHEN $3 = 'succeeded' THEN progress_total ELSE progress_done END \
         WHERE id = $1 AND attempt = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(attempt)
    .bind(status.as_str())
    .bind(result)
    .bind(code)
    .bind(message)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Gives a claimed task back to the queue at once (a worker shutting down), keeping its
/// checkpoint for the next attempt.
pub async fn release(conn: &mut Conn, id: &str, attempt: i64) -> Result<()> {
    sqlx::query(
        "UPDATE tasks SET status = 'queued', lease_until = NULL \
         WHERE id = $1 AND attempt = $2 AND status = 'running'",
    )
    .bind(id)
    .bind(attempt)
    .execute(conn)
    .await?;
    Ok(())
}
