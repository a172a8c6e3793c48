//! The audit log: events, their targets, searches, and the chain verification.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::Owner;

/// What an audit event is about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub time: String,
    /// Who did it; null for anonymous (failed logins, link downloads, the system).
    pub actor: Option<Owner>,
    pub action: String,
    pub target: Target,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventList {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
}

/// `GET /audit/verify`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    /// True when every event's hash matches its content and predecessor.
    pub ok: bool,
    /// Events checked (up to and including the broken one).
    pub checked: u64,
    /// The first event whose hash does not match, if any.
    pub broken_event_id: Option<String>,
}
