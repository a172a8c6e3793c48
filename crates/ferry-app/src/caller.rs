//! Who is asking, and from where. Every use case takes a [`Caller`]; background work calls in
//! as [`Actor::System`], never as a fake request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferry_core::FolderRole;
use ferry_store::folders::Folder;
use ferry_store::users::User;

/// The principal a use case acts for.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A logged-in user (bearer token or HTTP Basic); boxed, as a user row is far larger than
    /// the other variants.
    User(Box<User>),
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
    /// The admin who opened the session as its user (support), if one did: every event the
    /// request causes names them as `impersonated_by`.
    pub impersonated_by: Option<String>,
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
    granted: Arc<Mutex<Decided>>,
    /// The folder a restricted token limits the call to: it and what is below it are all the
    /// call may see (see [`crate::access::restricted_token_allows`]).
    restricted_to: Option<String>,
}

/// What the access policy has looked up during a call (see [`Caller`]).
#[derive(Debug, Default)]
struct Decided {
    roles: HashMap<String, FolderRole>,
    /// For each folder of a chain looked at: the name it is mounted under in the caller's
    /// root, or `None` if it is not shared with them itself.
    mounts: HashMap<String, Option<String>>,
    /// Folder chains (top-level folder first) already read, by their last folder.
    chains: HashMap<String, Vec<Folder>>,
    /// Files whose favorite mark was read with their row: whether the caller marked them.
    marks: HashMap<String, bool>,
}

impl Caller {
    pub fn user(user: User, origin: Origin) -> Self {
        Caller {
            actor: Actor::User(Box::new(user)),
            origin,
            granted: Arc::default(),
            restricted_to: None,
        }
    }

    /// The same caller limited to `folder_id` and what is below it (a token restricted to
    /// one folder); `None` changes nothing.
    pub fn restricted_to(mut self, folder_id: Option<String>) -> Self {
        if folder_id.is_some() {
            self.restricted_to = folder_id;
        }
        self
    }

    /// The folder the call is limited to, if any.
    pub fn restriction(&self) -> Option<&str> {
        self.restricted_to.as_deref()
    }

    pub fn system(name: &'static str) -> Self {
        Caller {
            actor: Actor::System(name),
            origin: Origin::system(name),
            granted: Arc::default(),
            restricted_to: None,
        }
    }

    /// The role decided on `folder_id` during this call, if one was.
    pub(crate) fn granted(&self, folder_id: &str) -> Option<FolderRole> {
        self.decided().roles.get(folder_id).copied()
    }

    fn decided(&self) -> std::sync::MutexGuard<'_, Decided> {
        self.granted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers where the folders of a chain are mounted (`None`: not shared themselves).
    pub(crate) fn remember_mounts(
        &self,
        mounts: impl IntoIterator<Item = (String, Option<String>)>,
    ) {
        self.decided().mounts.extend(mounts);
    }

    /// Remembers the chain down to `folder_id` (read for a role, reused for its path).
    pub(crate) fn remember_chain(&self, folder_id: &str, chain: Vec<Folder>) {
        self.decided().chains.insert(folder_id.to_string(), chain);
    }

    /// Remembers whether the caller marked `file_id` a favorite (read with the file).
    pub(crate) fn remember_mark(&self, file_id: &str, marked: bool) {
        self.decided().marks.insert(file_id.to_string(), marked);
    }

    /// Whether the caller marked `file_id`, if this call read it already.
    pub(crate) fn known_mark(&self, file_id: &str) -> Option<bool> {
        self.decided().marks.get(file_id).copied()
    }

    /// The chain down to `folder_id`, if this call read it already.
    pub(crate) fn known_chain(&self, folder_id: &str) -> Option<Vec<Folder>> {
        self.decided().chains.get(folder_id).cloned()
    }

    /// The mount names of `ids`, if every one of them was looked up during this call.
    pub(crate) fn known_mounts(&self, ids: &[&str]) -> Option<HashMap<String, String>> {
        let decided = self.decided();
        let mut found = HashMap::new();
        for id in ids {
            if let Some(name) = decided.mounts.get(*id)? {
                found.insert((*id).to_string(), name.clone());
            }
        }
        Some(found)
    }

    /// Remembers the role decided on `folder_id` for the rest of this call.
    pub(crate) fn grant(&self, folder_id: &str, role: FolderRole) {
        self.decided().roles.insert(folder_id.to_string(), role);
    }

    /// The user behind the call, if a user is behind it.
    pub fn user_ref(&self) -> Option<&User> {
        match &self.actor {
            Actor::User(u) => Some(u.as_ref()),
            Actor::System(_) => None,
        }
    }
}
