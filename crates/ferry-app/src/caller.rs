//! Who is asking, and from where. Every use case takes a [`Caller`]; background work calls in
//! as [`Actor::System`], never as a fake request.

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
}

impl Caller {
    pub fn user(user: User, origin: Origin) -> Self {
        Caller {
            actor: Actor::User(user),
            origin,
        }
    }

    pub fn system(name: &'static str) -> Self {
        Caller {
            actor: Actor::System(name),
            origin: Origin::system(name),
        }
    }

    /// The user behind the call, if a user is behind it.
    pub fn user_ref(&self) -> Option<&User> {
        match &self.actor {
            Actor::User(u) => Some(u),
            Actor::System(_) => None,
        }
    }
}
