//! Building audit events from a request's context. Events are appended inside the caller's
//! transaction, so a change and its record commit together.

use ferry_core::IdKind;
use ferry_core::audit::{Action, Outcome, TargetKind};
use ferry_core::timefmt::now_ms;
use ferry_store::audit::NewEvent;
use ferry_store::files::File;
use ferry_store::folders::Folder;
use ferry_store::{Conn, users::User};
use serde_json::Value;

use crate::caller::Origin;

/// One event about to be recorded.
pub struct Record<'a> {
    pub ctx: &'a Origin,
    pub actor: Option<&'a User>,
    pub action: Action,
    pub target: (TargetKind, &'a str),
    pub folder_id: Option<&'a str>,
    pub outcome: Outcome,
    pub details: Value,
    /// When it happened, by the application's clock; the wall clock if unset.
    pub time: Option<i64>,
    /// The target file and its folder's chain as the action's transaction just read them,
    /// so the change feed need not read them again.
    pub located: Option<Located<'a>>,
}

/// A file target as its transaction sees it: the row and its folder's chain from the
/// top-level folder down.
#[derive(Clone, Copy)]
pub struct Located<'a> {
    pub file: &'a File,
    pub chain: &'a [Folder],
}

impl Record<'_> {
    /// Appends the event in `conn`'s transaction.
    pub async fn append(self, conn: &mut Conn) -> ferry_store::Result<()> {
        let event = NewEvent {
            id: IdKind::Event.generate(),
            time: self.time.unwrap_or_else(now_ms),
            actor_id: self.actor.map(|u| u.id.to_string()),
            actor_login: self.actor.map(|u| u.login.clone()),
            action: self.action.as_str().into(),
            target_type: self.target.0.as_str().into(),
            target_id: self.target.1.into(),
            folder_id: self.folder_id.map(str::to_string),
            ip: self.ctx.ip.clone(),
            user_agent: self.ctx.user_agent.clone(),
            request_id: Some(self.ctx.request_id.clone()),
            outcome: self.outcome.as_str().into(),
            details: with_impersonator(self.details, self.ctx.impersonated_by.as_deref()),
        };
        ferry_store::audit::append(conn, &event).await?;
        // The change feed is written where the audit is: every change to a file or folder
        // is audited, in its own transaction.
        if self.outcome == Outcome::Success {
            let located = self.located.filter(|l| {
                l.file.id.as_str() == self.target.1
                    && l.chain.last().is_some_and(|f| f.id == l.file.folder_id)
            });
            crate::changes::record(
                conn,
                self.action,
                self.target,
                &event.details,
                event.time,
                located,
            )
            .await?;
        }
        Ok(())
    }
}

/// The event's details, naming the admin who acted as the actor, if one did: an object
/// gains `"impersonated_by"`; anything else is wrapped as `{"value", "impersonated_by"}`.
fn with_impersonator(details: Value, admin_id: Option<&str>) -> Value {
    let Some(admin_id) = admin_id else {
        return details;
    };
    match details {
        Value::Object(mut map) => {
            map.insert("impersonated_by".into(), admin_id.into());
            Value::Object(map)
        }
        Value::Null => serde_json::json!({ "impersonated_by": admin_id }),
        other => serde_json::json!({ "value": other, "impersonated_by": admin_id }),
    }
}

/// A successful action by `actor` on `target`.
pub fn success<'a>(
    ctx: &'a Origin,
    actor: Option<&'a User>,
    action: Action,
    target: (TargetKind, &'a str),
) -> Record<'a> {
    Record {
        ctx,
        actor,
        action,
        target,
        folder_id: None,
        outcome: Outcome::Success,
        details: Value::Object(Default::default()),
        time: None,
        located: None,
    }
}

impl<'a> Record<'a> {
    /// The folder the target lives in, so its owner sees the event.
    pub fn in_folder(self, folder_id: &'a str) -> Self {
        self.in_folder_opt(Some(folder_id))
    }

    /// Like [`Record::in_folder`], for targets that may live in no folder.
    pub fn in_folder_opt(mut self, folder_id: Option<&'a str>) -> Self {
        self.folder_id = folder_id;
        self
    }

    /// Dates the event by the application's clock (`app.now_ms()`).
    pub fn at(mut self, time: i64) -> Self {
        self.time = Some(time);
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The target file and its folder's chain, read in the action's transaction (after the
    /// change): the change feed uses them instead of reading them again.
    pub fn located(mut self, file: &'a File, chain: &'a [Folder]) -> Self {
        self.located = Some(Located { file, chain });
        self
    }
}

/// An audit search as asked for; every field is optional.
#[derive(Debug, Default, Clone)]
pub struct SearchRequest {
    /// A login or user id.
    pub actor: Option<String>,
    /// One action or a comma-separated list.
    pub actions: Option<String>,
    pub target: Option<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    /// `24h`, `7d` or `30d` back from now.
    pub range: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    pub ip: Option<String>,
}

/// The store filter for a search: validated, and limited to what the caller may see
/// ([`crate::access::audit_scope`]).
pub async fn search_filter(
    app: &crate::AppState,
    caller: &crate::Caller,
    q: &SearchRequest,
) -> crate::Result<ferry_store::audit::Filter> {
    use crate::Error;
    let mut filter = ferry_store::audit::Filter::default();
    if let Some(actor) = &q.actor {
        let mut conn = app.store.conn().await?;
        let user = if IdKind::User.matches(actor) {
            ferry_store::users::get(&mut conn, actor).await?
        } else {
            ferry_store::users::by_login(&mut conn, actor).await?
        };
        // An unknown actor matches nothing (rather than everything).
        filter.actor_id = Some(user.map_or_else(|| "usr_none".to_string(), |u| u.id.to_string()));
    }
    if let Some(actions) = &q.actions {
        filter.actions = actions
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect();
        if filter.actions.len() > 50 {
            return Err(Error::invalid(
                "action",
                "invalid_query",
                "At most 50 actions.",
            ));
        }
    }
    filter.target_id = q.target.clone();
    if let Some(o) = &q.outcome {
        if o != "success" && o != "failure" {
            return Err(Error::invalid(
                "outcome",
                "invalid_query",
                "outcome must be `success` or `failure`.",
            ));
        }
        filter.outcome = Some(o.clone());
    }
    filter.ip = q.ip.clone();
    if let Some(range) = &q.range {
        let span = match range.as_str() {
            "24h" => 86_400_000,
            "7d" => 7 * 86_400_000,
            "30d" => 30 * 86_400_000,
            _ => {
                return Err(Error::invalid(
                    "range",
                    "invalid_query",
                    "range must be `24h`, `7d` or `30d`.",
                ));
            }
        };
        filter.from = Some(app.now_ms() - span);
    }
    let time = |field: &'static str, v: &Option<String>| -> crate::Result<Option<i64>> {
        v.as_deref()
            .map(|s| {
                ferry_core::timefmt::parse_rfc3339(s).ok_or_else(|| {
                    Error::invalid(
                        field,
                        "invalid_query",
                        format!("{field} must be an RFC 3339 time."),
                    )
                })
            })
            .transpose()
    };
    if let Some(from) = time("from", &q.from)? {
        filter.from = Some(filter.from.map_or(from, |f| f.max(from)));
    }
    filter.to = time("to", &q.to)?;
    (filter.visible_to, filter.company) = crate::access::audit_scope(caller);
    Ok(filter)
}

/// Events matching `filter`, newest first (`limit` of them).
pub async fn search(
    app: &crate::AppState,
    filter: &ferry_store::audit::Filter,
    limit: i64,
) -> crate::Result<Vec<ferry_store::audit::Event>> {
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::audit::search(&mut conn, filter, limit).await?)
}

/// Re-walks the hash chain (admins): the number of events checked and the first broken one.
pub async fn verify_chain(
    app: &crate::AppState,
    caller: &crate::Caller,
) -> crate::Result<ferry_store::audit::Verification> {
    crate::access::require_admin(caller)?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::audit::verify(&mut conn, 5000).await?)
}
