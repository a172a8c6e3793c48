//! Who is asking, and from where. Every use case takes a [`Caller`]; background work calls in
//! as [`Actor::System`], never as a fake request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferry_core::FolderRole;
use ferry_store::users::User;

/// The principal a use case acts for.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A logged-in user (bearer token or HTTP Basic).
    User(User),
    /// Ferry itself: a worker named by what it does (`"retention"`, `"webhooks"`…).
    System(&'static str),
}

/// Where a request came from, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The request's id (`req_…`), or a worker's name.
    pub request_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// The origin of work Ferry does on its own.
    pub fn system(name: &str) -> Self {
        Origin {
            request_id: name.to_string(),
            ..Origin::default()
        }
    }
}

/// An actor and an origin: the first argument of every use case.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub origin: Origin,
    /// Roles the access policy has decided during this call (shared folders; owners and
    /// admins need no lookup), so that the views of a call show what its checks decided
    /// without asking again. Only [`crate::access`] writes it.
    granted: Arc<Mutex<HashMap<String, FolderRole>>>,
}

impl Caller {
    pub fn user(user: User, origin: Origin) -> Self {
        Caller {
            actor: Actor::User(user),
            origin,
            granted: Arc::default(),
        }
    }

    pub fn system(name: &'static str) -> Self {
        Caller {
            actor: Actor::System(name),
            origin: Origin::system(name),
            granted: Arc::default(),
        }
    }

    /// The role decided on `folder_id` during this call, if one was.
    pub(crate) fn granted(&self, folder_id: &str) -> Option<FolderRole> {
        self.granted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(folder_id)
            .copied()
    }

    /// Remembers the role decided on `folder_id` for the rest of this call.
    pub(crate) fn grant(&self, folder_id: &str, role: FolderRole) {
        self.granted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(folder_id.to_string(), role);
    }

    /// The user behind the call, if a user is behind it.
    pub fn user_ref(&self) -> Option<&User> {
        match &self.actor {
            Actor::User(u) => Some(u),
            Actor::System(_) => None,
        }
    }
}
