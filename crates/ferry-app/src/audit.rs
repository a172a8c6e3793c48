//! Building audit events from a request's context. Events are appended inside the caller's
//! transaction, so a change and its record commit together.

use ferry_core::IdKind;
use ferry_core::audit::{Action, Outcome};
use ferry_core::timefmt::now_ms;
use ferry_store::audit::NewEvent;
use ferry_store::{Conn, users::User};
use serde_json::Value;

use crate::caller::Origin;

/// One event about to be recorded.
pub struct Record<'a> {
    pub ctx: &'a Origin,
    pub actor: Option<&'a User>,
    pub action: Action,
    pub target: (&'static str, &'a str),
    pub folder_id: Option<&'a str>,
    pub outcome: Outcome,
    pub details: Value,
}

impl Record<'_> {
    /// Appends the event in `conn`'s transaction.
    pub async fn append(self, conn: &mut Conn) -> ferry_store::Result<()> {
        let event = NewEvent {
            id: IdKind::Event.generate(),
            time: now_ms(),
            actor_id: self.actor.map(|u| u.id.clone()),
            actor_login: self.actor.map(|u| u.login.clone()),
            action: self.action.as_str().into(),
            target_type: self.target.0.into(),
            target_id: self.target.1.into(),
            folder_id: self.folder_id.map(str::to_string),
            ip: self.ctx.ip.clone(),
            user_agent: self.ctx.user_agent.clone(),
            request_id: Some(self.ctx.request_id.clone()),
            outcome: self.outcome.as_str().into(),
            details: self.details,
        };
        ferry_store::audit::append(conn, &event).await
    }
}

/// A successful action by `actor` on `target`.
pub fn success<'a>(
    ctx: &'a Origin,
    actor: Option<&'a User>,
    action: Action,
    target: (&'static str, &'a str),
) -> Record<'a> {
    Record {
        ctx,
        actor,
        action,
        target,
        folder_id: None,
        outcome: Outcome::Success,
        details: Value::Object(Default::default()),
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

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}
