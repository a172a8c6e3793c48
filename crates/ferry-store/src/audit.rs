//! The append-only audit log. Events are written in the same transaction as the change they
//! record; database triggers refuse UPDATE and DELETE on the table; and every event is chained
//! to its predecessor by SHA-256, so tampering below the application is detectable.

use ferry_core::EventId;
use sha2::{Digest, Sha256};

use crate::{Conn, Result};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `SHA-256(prev_hash ‖ canonical JSON of the event's fields)`, hex.
fn chain_hash(prev: &str, e: &Event) -> String {
    let canonical = serde_json::json!([
        e.id,
        e.time,
        e.actor_id,
        e.actor_login,
        e.action,
        e.target_type,
        e.target_id,
        e.folder_id,
        e.ip,
        e.user_agent,
        e.request_id,
        e.outcome,
        e.details,
    ]);
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// An event to append.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub id: String,
    pub time: i64,
    pub actor_id: Option<String>,
    pub actor_login: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// The folder the target lives in, so folder owners can see events on their folders.
    pub folder_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub outcome: String,
    pub details: serde_json::Value,
}

/// A stored event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub seq: i64,
    #[sqlx(try_from = "String")]
    pub id: EventId,
    pub time: i64,
    pub actor_id: Option<String>,
    pub actor_login: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub folder_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub outcome: String,
    pub details: String,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

const COLUMNS: &str = "seq, id, time, actor_id, actor_login, action, target_type, target_id, \
                       folder_id, ip, user_agent, request_id, outcome, details, prev_hash, hash";

/// The PostgreSQL advisory lock that serialises audit appends.
const AUDIT_CHAIN_LOCK: i64 = 7261736;

/// Appends an event, chained to the last one. Appends are serialised (SQLite's write lock;
/// a transaction-scoped advisory lock on PostgreSQL) so the chain never forks.
pub async fn append(conn: &mut Conn, e: &NewEvent) -> Result<()> {
    crate::dialect::lock_number_until_commit(conn, AUDIT_CHAIN_LOCK).await?;
    let prev: Option<Option<String>> =
        sqlx::query_scalar("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let prev = prev.flatten().unwrap_or_else(|| GENESIS.to_string());
    let details = e.details.to_string();
    let stored = Event {
        seq: 0,
        id: e.id.clone().into(),
        time: e.time,
        actor_id: e.actor_id.clone(),
        actor_login: e.actor_login.clone(),
        action: e.action.clone(),
        target_type: e.target_type.clone(),
        target_id: e.target_id.clone(),
        folder_id: e.folder_id.clone(),
        ip: e.ip.clone(),
        user_agent: e.user_agent.clone(),
        request_id: e.request_id.clone(),
        outcome: e.outcome.clone(),
        details: details.clone(),
        prev_hash: None,
        hash: None,
    };
    let hash = chain_hash(&prev, &stored);
    sqlx::query(
        "INSERT INTO audit_events (id, time, actor_id, actor_login, action, target_type, \
         target_id, folder_id, ip, user_agent, request_id, outcome, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&e.id)
    .bind(e.time)
    .bind(&e.actor_id)
    .bind(&e.actor_login)
    .bind(&e.action)
    .bind(&e.target_type)
    .bind(&e.target_id)
    .bind(&e.folder_id)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(&e.request_id)
    .bind(&e.outcome)
    .bind(details)
    .bind(prev)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    // The webhook outbox: deliveries of this event commit (or roll back) with it.
    crate::webhooks::enqueue_event(conn, e).await?;
    Ok(())
}

/// Where the chain breaks, if it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Events checked.
    pub checked: u64,
    /// The first event whose stored hashes do not match its content and predecessor.
    pub broken: Option<(i64, String)>,
}

/// Re-walks the whole chain in order, in batches of `batch` events.
pub async fn verify(conn: &mut Conn, batch: i64) -> Result<Verification> {
    let mut prev = GENESIS.to_string();
    let mut after = i64::MIN;
    let mut checked = 0;
    loop {
        let rows: Vec<Event> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
        )))
        .bind(after)
        .bind(batch)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for e in &rows {
            checked += 1;
            let expected = chain_hash(&prev, e);
            if e.prev_hash.as_deref() != Some(prev.as_str())
                || e.hash.as_deref() != Some(expected.as_str())
            {
                return Ok(Verification {
                    checked,
                    broken: Some((e.seq, e.id.to_string())),
                });
            }
            prev = expected;
        }
    }
    Ok(Verification {
        checked,
        broken: None,
    })
}

/// Filters for [`search`]; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only events by this user id.
    pub actor_id: Option<String>,
    /// Only these actions.
    pub actions: Vec<String>,
    pub target_id: Option<String>,
    pub outcome: Option<String>,
    pub ip: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Only events caused by this user or on folders this user owns (non-admin callers).
    pub visible_to: Option<String>,
    /// Only events of this company (a company admin's view): caused by its users, about its
    /// users, groups or itself (policies on them included), or in its users' folders.
    pub company: Option<String>,
    /// Only events older than this sequence number (the cursor).
    pub before_seq: Option<i64>,
}

/// Events matching `filter`, newest first. Paging by sequence number is stable while new
/// events arrive (they get higher numbers).
pub async fn search(conn: &mut Conn, filter: &Filter, limit: i64) -> Result<Vec<Event>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut marks = crate::dialect::Placeholders::default();
    if filter.actor_id.is_some() {
        sql += &format!(" AND actor_id = {}", marks.next());
    }
    if !filter.actions.is_empty() {
        sql += &format!(" AND action IN ({})", marks.list(filter.actions.len()));
    }
    if filter.target_id.is_some() {
        sql += &format!(" AND target_id = {}", marks.next());
    }
    if filter.outcome.is_some() {
        sql += &format!(" AND outcome = {}", marks.next());
    }
    if filter.ip.is_some() {
        sql += &format!(" AND ip = {}", marks.next());
    }
    if filter.from.is_some() {
        sql += &format!(" AND time >= {}", marks.next());
    }
    if filter.to.is_some() {
        sql += &format!(" AND time < {}", marks.next());
    }
    if filter.visible_to.is_some() {
        let p = marks.next();
        sql += &format!(
            " AND (actor_id = {p} OR folder_id IN (SELECT id FROM folders WHERE owner_id = {p}))"
        );
    }
    if filter.company.is_some() {
        let p = marks.next();
        sql += &format!(
            " AND (actor_id IN (SELECT id FROM users WHERE company_id = {p}) \
             OR target_id IN (SELECT id FROM users WHERE company_id = {p}) \
             OR target_id IN (SELECT id FROM groups WHERE company_id = {p}) \
             OR target_id = {p} \
             OR folder_id IN (SELECT f.id FROM folders f JOIN users u ON u.id = f.owner_id \
             WHERE u.company_id = {p}))"
        );
    }
    if filter.before_seq.is_some() {
        sql += &format!(" AND seq < {}", marks.next());
    }
    sql += &format!(" ORDER BY seq DESC LIMIT {}", marks.next());

    let mut q = sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql));
    if let Some(a) = &filter.actor_id {
        q = q.bind(a);
    }
    for a in &filter.actions {
        q = q.bind(a);
    }
    if let Some(t) = &filter.target_id {
        q = q.bind(t);
    }
    if let Some(o) = &filter.outcome {
        q = q.bind(o);
    }
    if let Some(ip) = &filter.ip {
        q = q.bind(ip);
    }
    if let Some(f) = filter.from {
        q = q.bind(f);
    }
    if let Some(t) = filter.to {
        q = q.bind(t);
    }
    if let Some(v) = &filter.visible_to {
        q = q.bind(v);
    }
    if let Some(c) = &filter.company {
        q = q.bind(c);
    }
    if let Some(s) = filter.before_seq {
        q = q.bind(s);
    }
    Ok(q.bind(limit).fetch_all(conn).await?)
}
