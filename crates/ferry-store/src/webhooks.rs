//! Webhooks: subscriptions, the delivery outbox and the attempt log.
//!
//! Every audit event is a webhook event. [`enqueue_event`] runs inside
//! [`crate::audit::append`], so an event and its outbox rows commit together: one
//! `INSERT … SELECT` writes a delivery per active webhook that subscribes to the action and may
//! see the event. The body is rendered once, there, so every attempt sends the same bytes.
//! Workers on any node [`claim`] due deliveries in one statement (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite has a single writer) and [`finish`] them with a claim token, so a
//! delivery whose claim lapsed or that was redelivered meanwhile is never overwritten.

use ferry_core::{UserId, WebhookId};
mod deliveries;

use ferry_core::timefmt::rfc3339;

pub use self::deliveries::{
    Attempt, AttemptResult, Claimed, Delivery, Outcome, attempts, claim, deliveries, finish,
    get_delivery, prune, redeliver, release,
};
use crate::audit::NewEvent;
use crate::{Conn, Result, flag};

/// A stored webhook. Its `Debug` form leaves the secrets out.
#[derive(Clone, sqlx::FromRow)]
pub struct Webhook {
    #[sqlx(try_from = "String")]
    pub id: WebhookId,
    #[sqlx(try_from = "String")]
    pub owner_id: UserId,
    pub url: String,
    /// `,a.b,c.d,` (see [`encode_events`]).
    events: String,
    pub description: Option<String>,
    /// The receiver's signing secret. Never log it.
    pub secret: String,
    /// The secret before the last rotation, signed with too until `prev_secret_until`.
    pub prev_secret: Option<String>,
    pub prev_secret_until: Option<i64>,
    active: i64,
    pub consecutive_failures: i64,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("owner_id", &self.owner_id)
            .field("events", &self.events)
            .field("secret", &"***")
            .field("active", &self.active)
            .field("consecutive_failures", &self.consecutive_failures)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// The subscribed actions (`["*"]` for all).
    pub fn events(&self) -> Vec<String> {
        decode_events(&self.events)
    }

    pub fn is_active(&self) -> bool {
        flag(self.active)
    }
}

/// `["a.b", "c.d"]` → `,a.b,c.d,`, so that `LIKE '%,a.b,%'` matches one action exactly.
pub fn encode_events(events: &[String]) -> String {
    format!(",{},", events.join(","))
}

fn decode_events(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The delivery id of `event_id` to `webhook_id`: `dlv_` + both random parts. The same
/// expression is computed in SQL by [`enqueue_event`].
pub fn delivery_id(event_id: &str, webhook_id: &str) -> String {
    format!(
        "dlv_{}{}",
        event_id.get(4..).unwrap_or(""),
        webhook_id.get(4..).unwrap_or("")
    )
}

/// What is needed to create a webhook.
pub struct NewWebhook<'a> {
    pub id: &'a str,
    pub owner_id: &'a str,
    pub url: &'a str,
    pub events: &'a [String],
    pub description: Option<&'a str>,
    pub secret: &'a str,
    pub now: i64,
}

const COLUMNS: &str = "id, owner_id, url, events, description, secret, prev_secret, \
                       prev_secret_until, active, consecutive_failures, disabled_at, created_at, \
                       updated_at";

pub async fn insert(conn: &mut Conn, w: &NewWebhook<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhooks (id, owner_id, url, events, description, secret, active, \
         consecutive_failures, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $7, $7)",
    )
    .bind(w.id)
    .bind(w.owner_id)
    .bind(w.url)
    .bind(encode_events(w.events))
    .bind(w.description)
    .bind(w.secret)
    .bind(w.now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, id: &str) -> Result<Option<Webhook>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhooks WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Webhooks in creation order after the `(created_at, id)` cursor; only `owner_id`'s when given.
pub async fn list(
    conn: &mut Conn,
    owner_id: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Webhook>> {
    let (t, id) = after.unwrap_or((i64::MIN, ""));
    let owner = if owner_id.is_some() {
        "owner_id = $4 AND"
    } else {
        ""
    };
    let q = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM webhooks WHERE {owner} \
         (created_at > $1 OR (created_at = $1 AND id > $2)) ORDER BY created_at, id LIMIT $3"
    )))
    .bind(t)
    .bind(id)
    .bind(limit);
    let q = match owner_id {
        Some(o) => q.bind(o),
        None => q,
    };
    Ok(q.fetch_all(conn).await?)
}

/// Deletes a webhook with its deliveries and their attempts.
pub async fn delete(conn: &mut Conn, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes to a webhook; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `Some(None)` removes the description.
    pub description: Option<Option<String>>,
    /// Re-enabling also forgets past failures.
    pub active: Option<bool>,
}

/// Applies `changes`; returns the webhook afterwards (`None` if it does not exist).
pub async fn update(
    conn: &mut Conn,
    id: &str,
    changes: &WebhookChanges,
    now: i64,
) -> Result<Option<Webhook>> {
    if let Some(url) = &changes.url {
        sqlx::query("UPDATE webhooks SET url = $2 WHERE id = $1")
            .bind(id)
            .bind(url)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(events) = &changes.events {
        sqlx::query("UPDATE webhooks SET events = $2 WHERE id = $1")
            .bind(id)
            .bind(encode_events(events))
            .execute(&mut *conn)
            .await?;
    }
    if let Some(description) = &changes.description {
        sqlx::query("UPDATE webhooks SET description = $2 WHERE id = $1")
            .bind(id)
            .bind(description.as_deref())
            .execute(&mut *conn)
            .await?;
    }
    match changes.active {
        Some(true) => {
            sqlx::query(
                "UPDATE webhooks SET active = 1, consecutive_failures = 0, disabled_at = NULL \
                 WHERE id = $1 AND active = 0",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        Some(false) => {
            sqlx::query(
                "UPDATE webhooks SET active = 0, disabled_at = $2 WHERE id = $1 AND active = 1",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        None => {}
    }
    sqlx::query("UPDATE webhooks SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    get(conn, id).await
}

/// Replaces the secret; the old one stays valid (is signed with too) until `grace_until`.
pub async fn rotate_secret(
    conn: &mut Conn,
    id: &str,
    secret: &str,
    grace_until: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE webhooks SET prev_secret = secret, prev_secret_until = $3, secret = $2, \
         updated_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(secret)
    .bind(grace_until)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A delivery succeeded: the run of failed deliveries is over.
pub async fn record_success(conn: &mut Conn, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery failed for good (`dead`). Disables the webhook when this makes `max` failed
/// deliveries in a row; returns the count if (and only if) this call disabled it.
pub async fn record_failure(conn: &mut Conn, id: &str, max: i64, now: i64) -> Result<Option<i64>> {
    let count: Option<i64> = sqlx::query_scalar(
        "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 \
         RETURNING consecutive_failures",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(count) = count else {
        return Ok(None);
    };
    if count < max {
        return Ok(None);
    }
    let disabled = sqlx::query(
        "UPDATE webhooks SET active = 0, disabled_at = $2, updated_at = $2 \
         WHERE id = $1 AND active = 1",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1;
    Ok(disabled.then_some(count))
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_string(), json_str)
}

/// The request body of a webhook event:
/// `{"id","type","created_at","data":{"actor","target","ip","user_agent","outcome","details"}}`.
/// Keys are written in that order (for people reading logs; receivers must not rely on it).
pub fn event_body(e: &NewEvent) -> String {
    let actor = match &e.actor_id {
        Some(id) => format!(
            r#"{{"id":{},"login":{}}}"#,
            json_str(id),
            json_str(e.actor_login.as_deref().unwrap_or(""))
        ),
        None => "null".to_string(),
    };
    format!(
        r#"{{"id":{},"type":{},"created_at":{},"data":{{"actor":{},"target":{{"type":{},"id":{}}},"ip":{},"user_agent":{},"outcome":{},"details":{}}}}}"#,
        json_str(&e.id),
        json_str(&e.action),
        json_str(&rfc3339(e.time)),
        actor,
        json_str(&e.target_type),
        json_str(&e.target_id),
        json_opt(e.ip.as_deref()),
        json_opt(e.user_agent.as_deref()),
        json_str(&e.outcome),
        e.details,
    )
}

/// The outbox hook of [`crate::audit::append`]: one pending delivery of `e` per active webhook
/// that subscribes to its action (or to `*`) and whose owner may see it (an admin, the actor,
/// or the owner of the event's folder) and is not a disabled account. Returns how many were
/// queued.
pub async fn enqueue_event(conn: &mut Conn, e: &NewEvent) -> Result<u64> {
    // `_` is a LIKE wildcard and appears in action names (`auth.login_failed`).
    let pattern = format!("%,{},%", e.action.replace('\\', "\\\\").replace('_', "\\_"));
    let done = sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, body, status, \
         attempts, next_attempt_at, retry_since, created_at, updated_at) \
         SELECT 'dlv_' || substr($1, 5) || substr(w.id, 5), w.id, $1, $2, $3, 'pending', 0, \
         $4, $4, $4, $4 FROM webhooks w JOIN users u ON u.id = w.owner_id \
         WHERE w.active = 1 AND u.disabled = 0 \
         AND (w.events LIKE $5 ESCAPE '\\' OR w.events LIKE '%,*,%') \
         AND (u.role = 'admin' \
              OR w.owner_id = $6 \
              OR w.owner_id IN (SELECT owner_id FROM folders WHERE id = $7))",
    )
    .bind(&e.id)
    .bind(&e.action)
    .bind(event_body(e))
    .bind(e.time)
    .bind(pattern)
    .bind(&e.actor_id)
    .bind(&e.folder_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Queues one event for one webhook (pings). Returns the delivery id.
pub async fn enqueue_one(
    conn: &mut Conn,
    webhook_id: &str,
    event_id: &str,
    event_type: &str,
    body: &str,
    now: i64,
) -> Result<String> {
    let id = delivery_id(event_id, webhook_id);
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, body, status, \
         attempts, next_attempt_at, retry_since, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6, $6)",
    )
    .bind(&id)
    .bind(webhook_id)
    .bind(event_id)
    .bind(event_type)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_their_column_form() {
        let events = vec![
            "upload.completed".to_string(),
            "link.downloaded".to_string(),
        ];
        let stored = encode_events(&events);
        assert_eq!(stored, ",upload.completed,link.downloaded,");
        assert_eq!(decode_events(&stored), events);
    }

    #[test]
    fn delivery_ids_join_both_random_parts() {
        assert_eq!(delivery_id("evt_00aa", "whk_11bb"), "dlv_00aa11bb");
    }

    #[test]
    fn bodies_are_json_in_a_fixed_key_order() {
        let e = NewEvent {
            id: "evt_01".into(),
            time: 1_795_867_200_000,
            actor_id: Some("usr_1".into()),
            actor_login: Some("al\"ice".into()),
            action: "upload.completed".into(),
            target_type: "file".into(),
            target_id: "fil_1".into(),
            outcome: "success".into(),
            details: serde_json::json!({"size": 3}),
            ..NewEvent::default()
        };
        let body = event_body(&e);
        assert!(body.starts_with(r#"{"id":"evt_01","type":"upload.completed","created_at":"2026-11-28T12:00:00Z","data":{"actor":{"id":"usr_1","login":"al\"ice"}"#), "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"]["target"]["type"], "file");
        assert_eq!(v["data"]["ip"], serde_json::Value::Null);
        assert_eq!(v["data"]["details"]["size"], 3);
    }
}
