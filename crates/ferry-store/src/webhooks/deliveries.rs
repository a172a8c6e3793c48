//! The delivery outbox: reading a webhook's log, claiming due deliveries (one node per row),
//! recording attempts, redelivering and pruning.

use crate::{Conn, Result};
use ferry_core::{DeliveryId, EventId, WebhookId};

/// A stored delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Delivery {
    #[sqlx(try_from = "String")]
    pub id: DeliveryId,
    #[sqlx(try_from = "String")]
    pub webhook_id: WebhookId,
    #[sqlx(try_from = "String")]
    pub event_id: EventId,
    pub event_type: String,
    pub body: String,
    /// `pending`, `delivering`, `succeeded`, `failed` (a retry is scheduled) or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub retry_since: i64,
    pub last_status_code: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_response: Option<String>,
    pub last_error: Option<String>,
    pub claimed_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event_type, body, status, attempts, \
                                next_attempt_at, retry_since, last_status_code, \
                                last_latency_ms, last_response, last_error, claimed_until, \
                                created_at, updated_at";

pub async fn get_delivery(conn: &mut Conn, webhook_id: &str, id: &str) -> Result<Option<Delivery>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2"
    )))
    .bind(id)
    .bind(webhook_id)
    .fetch_optional(conn)
    .await?)
}

/// A webhook's deliveries, newest first, before the `(created_at, id)` cursor.
pub async fn deliveries(
    conn: &mut Conn,
    webhook_id: &str,
    before: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    let (t, id) = before.unwrap_or((i64::MAX, ""));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
         AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
         ORDER BY created_at DESC, id DESC LIMIT $4"
    )))
    .bind(webhook_id)
    .bind(t)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// One logged attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    #[sqlx(try_from = "String")]
    pub delivery_id: DeliveryId,
    pub attempt: i64,
    pub time: i64,
    pub status_code: Option<i64>,
    pub latency_ms: Option<i64>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

/// The attempts of these deliveries, in attempt order.
pub async fn attempts(conn: &mut Conn, delivery_ids: &[DeliveryId]) -> Result<Vec<Attempt>> {
    if delivery_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=delivery_ids.len()).map(|i| format!("${i}")).collect();
    let mut q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT delivery_id, attempt, time, status_code, latency_ms, response_excerpt, error \
         FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, attempt",
        marks.join(", ")
    )));
    for id in delivery_ids {
        q = q.bind(id.as_str());
    }
    Ok(q.fetch_all(conn).await?)
}

/// Schedules a delivery again now, with a fresh retry window. An attempt still in flight
/// loses its claim: its result is logged but no longer decides the delivery's state.
pub async fn redeliver(conn: &mut Conn, webhook_id: &str, id: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, \
         retry_since = $3, window_attempts = 0, claimed_until = NULL, claim_token = NULL, \
         updated_at = $3 \
         WHERE id = $1 AND webhook_id = $2",
    )
    .bind(id)
    .bind(webhook_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A delivery claimed by a worker.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    #[sqlx(try_from = "String")]
    pub id: DeliveryId,
    #[sqlx(try_from = "String")]
    pub webhook_id: WebhookId,
    #[sqlx(try_from = "String")]
    pub event_id: EventId,
    pub event_type: String,
    pub body: String,
    pub retry_since: i64,
    /// Attempts since `retry_since`.
    pub window_attempts: i64,
}

/// Claims up to `limit` due deliveries of active webhooks until `until`, marking them with
/// `token`, in one statement that several nodes can run at once: each row goes to one of
/// them. A claim that lapses (a crashed worker) makes the row due again.
pub async fn claim(
    conn: &mut Conn,
    now: i64,
    until: i64,
    token: &str,
    limit: i64,
) -> Result<Vec<Claimed>> {
    // A read-only look first: an idle node then never takes SQLite's write lock.
    let due: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM webhook_deliveries \
         WHERE status IN ('pending', 'failed', 'delivering') AND next_attempt_at <= $1 \
         AND (claimed_until IS NULL OR claimed_until < $1) LIMIT 1",
    )
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    if due.is_none() {
        return Ok(Vec::new());
    }
    let lock = crate::dialect::skip_locked(conn);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE webhook_deliveries SET status = 'delivering', claimed_until = $2, \
         claim_token = $3, updated_at = $1 \
         WHERE id IN (SELECT id FROM webhook_deliveries \
            WHERE status IN ('pending', 'failed', 'delivering') AND next_attempt_at <= $1 \
            AND (claimed_until IS NULL OR claimed_until < $1) \
            AND webhook_id IN (SELECT id FROM webhooks WHERE active = 1) \
            ORDER BY next_attempt_at LIMIT $4 {lock}) \
         RETURNING id, webhook_id, event_id, event_type, body, retry_since, \
         window_attempts"
    )))
    .bind(now)
    .bind(until)
    .bind(token)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Gives claimed deliveries back without an attempt (a worker shutting down).
pub async fn release(conn: &mut Conn, ids: &[DeliveryId], token: &str) -> Result<()> {
    for id in ids {
        sqlx::query(
            "UPDATE webhook_deliveries SET claimed_until = NULL, claim_token = NULL, \
             status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'failed' END \
             WHERE id = $1 AND claim_token = $2",
        )
        .bind(id.as_str())
        .bind(token)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What one attempt saw.
#[derive(Debug, Clone, Default)]
pub struct AttemptResult {
    pub time: i64,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    /// At most 1 KiB of the response body.
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Failed; try again at this time.
    RetryAt(i64),
    /// Failed for good.
    Dead,
}

/// Records an attempt and, if the caller still holds the claim `token`, the delivery's new
/// state. Returns the attempt number (`None` if the delivery is gone) and whether the claim
/// was still held.
pub async fn finish(
    conn: &mut Conn,
    id: &str,
    token: &str,
    result: &AttemptResult,
    outcome: Outcome,
) -> Result<Option<(i64, bool)>> {
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, \
         window_attempts = window_attempts + 1, last_status_code = $2, \
         last_latency_ms = $3, last_response = $4, last_error = $5, updated_at = $6 \
         WHERE id = $1 RETURNING attempts, claim_token",
    )
    .bind(id)
    .bind(result.status_code)
    .bind(result.latency_ms)
    .bind(&result.response_excerpt)
    .bind(&result.error)
    .bind(result.time)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((attempt, holder)) = row else {
        return Ok(None);
    };
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, attempt, time, status_code, latency_ms, \
         response_excerpt, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(attempt)
    .bind(result.time)
    .bind(result.status_code)
    .bind(result.latency_ms)
    .bind(&result.response_excerpt)
    .bind(&result.error)
    .execute(&mut *conn)
    .await?;
    let held = holder.as_deref() == Some(token);
    if held {
        let (status, next) = match outcome {
            Outcome::Succeeded => ("succeeded", result.time),
            Outcome::RetryAt(at) => ("failed", at),
            Outcome::Dead => ("dead", result.time),
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, \
             claimed_until = NULL, claim_token = NULL WHERE id = $1 AND claim_token = $4",
        )
        .bind(id)
        .bind(status)
        .bind(next)
        .bind(token)
        .execute(conn)
        .await?;
    }
    Ok(Some((attempt, held)))
}

/// Deletes deliveries last touched before `before` that are finished (succeeded or dead) or
/// belong to a webhook that is disabled.
pub async fn prune(conn: &mut Conn, before: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE updated_at < $1 \
         AND (status IN ('succeeded', 'dead') \
              OR webhook_id IN (SELECT id FROM webhooks WHERE active = 0))",
    )
    .bind(before)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
