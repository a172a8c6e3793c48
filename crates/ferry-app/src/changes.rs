//! The change feed (`GET /changes`, `GET /changes/stream`): what changed in the files and
//! folders a caller can read, in commit order, for sync clients and the portal.
//!
//! Every change to a file or folder is audited in its own transaction, so the feed is written
//! where the audit is: [`record`] runs inside [`crate::audit::Record::append`], after the
//! audit row (and so after the audit chain's lock; the counter's row lock always comes second,
//! so two writers never wait on each other in opposite orders). Reading filters by
//! [`crate::access::changes_scope`] and shows paths as [`crate::namespace::path_for`] would:
//! from the caller's root, a share under its mount name.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Duration;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::validate;
use ferry_store::Conn;
use ferry_store::changes::{Change, NewChange, Scope, chain_of};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::namespace::path_of;
use crate::state::AppState;

/// What happened to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Updated,
    Moved,
    Deleted,
    Restored,
    Shared,
    Unshared,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Created => "created",
            Kind::Updated => "updated",
            Kind::Moved => "moved",
            Kind::Deleted => "deleted",
            Kind::Restored => "restored",
            Kind::Shared => "shared",
            Kind::Unshared => "unshared",
        }
    }
}

/// Where an item was before a move or rename, as its audit event tells it.
enum Before<'a> {
    /// Not moved.
    Nowhere,
    /// Renamed in place from this name.
    Renamed(&'a str),
    /// Moved from this folder (`None`: from the top level), under this name if known.
    Moved(Option<&'a str>, Option<&'a str>),
}

/// The change an audited action makes to the feed, if any: kind, item type, and where the item
/// was before.
fn classify<'a>(
    action: Action,
    target: TargetKind,
    details: &'a Value,
) -> Option<(Kind, TargetKind, Before<'a>)> {
    let text = |key: &str| details.get(key).and_then(Value::as_str);
    let file = TargetKind::File;
    let folder = TargetKind::Folder;
    let change = match (action, target) {
        (Action::FolderCreated | Action::FolderCopied, TargetKind::Folder) => {
            (Kind::Created, folder, Before::Nowhere)
        }
        (Action::FolderRenamed, TargetKind::Folder) => (
            Kind::Moved,
            folder,
            text("from").map_or(Before::Nowhere, Before::Renamed),
        ),
        (Action::FolderMoved, TargetKind::Folder) => (
            Kind::Moved,
            folder,
            Before::Moved(text("from_parent_id"), None),
        ),
        (Action::FolderUpdated, TargetKind::Folder) => (Kind::Updated, folder, Before::Nowhere),
        (Action::FolderDeleted | Action::FolderHeld, TargetKind::Folder) => {
            (Kind::Deleted, folder, Before::Nowhere)
        }
        (Action::FolderRestored, TargetKind::Folder) => (Kind::Restored, folder, Before::Nowhere),
        (Action::PermissionChanged, TargetKind::Folder) => {
            let shared = details.get("new_role").is_some_and(|r| !r.is_null());
            let kind = if shared { Kind::Shared } else { Kind::Unshared };
            (kind, folder, Before::Nowhere)
        }
        // A new file, or a new version of one (told apart by the version below).
        (Action::UploadCompleted | Action::FileCopied, TargetKind::File) => {
            (Kind::Created, file, Before::Nowhere)
        }
        (
            Action::FileUpdated | Action::FileVersionCreated | Action::FileVersionRestored,
            TargetKind::File,
        ) => (Kind::Updated, file, Before::Nowhere),
        (Action::FileRenamed, TargetKind::File) => (
            Kind::Moved,
            file,
            text("from").map_or(Before::Nowhere, Before::Renamed),
        ),
        (Action::FileMoved, TargetKind::File) => (
            Kind::Moved,
            file,
            Before::Moved(text("from_folder_id"), text("from_name")),
        ),
        (Action::FileDeleted | Action::FileHeld, TargetKind::File) => {
            (Kind::Deleted, file, Before::Nowhere)
        }
        (Action::FileRestored, TargetKind::File) => (Kind::Restored, file, Before::Nowhere),
        // A file whose time to live ended is gone for its readers as if deleted.
        (Action::FilePurged, TargetKind::File) if text("reason") == Some("ttl") => {
            (Kind::Deleted, file, Before::Nowhere)
        }
        _ => return None,
    };
    Some(change)
}

/// The chain down to `folder_id`, top-level folder first.
async fn chain_to(conn: &mut Conn, folder_id: &str) -> ferry_store::Result<Vec<Folder>> {
    ferry_store::folders::ancestry(conn, folder_id, validate::MAX_DEPTH + 1).await
}

/// `path` with its last component replaced by `name`.
fn renamed(path: &str, name: &str) -> String {
    match path.rfind('/') {
        Some(i) => format!("{}/{name}", &path[..i]),
        None => format!("/{name}"),
    }
}

/// Records in the feed what an audited action changed, in the action's transaction (called
/// by [`crate::audit::Record::append`] for successful events).
pub(crate) async fn record(
    conn: &mut Conn,
    action: Action,
    target: (TargetKind, &str),
    details: &Value,
    time: i64,
    located: Option<crate::audit::Located<'_>>,
) -> ferry_store::Result<()> {
    let Some((mut kind, item_type, before)) = classify(action, target.0, details) else {
        return Ok(());
    };
    let id = target.1;
    let mut version = None;
    let (chain, path) = match item_type {
        TargetKind::File => {
            let (file, chain): (Cow<'_, File>, Cow<'_, [Folder]>) = match located {
                Some(l) => (Cow::Borrowed(l.file), Cow::Borrowed(l.chain)),
                None => match ferry_store::files::get(conn, id).await? {
                    Some(file) => {
                        let chain = chain_to(conn, &file.folder_id).await?;
                        (Cow::Owned(file), Cow::Owned(chain))
                    }
                    None => return record_gone(conn, kind, id, time).await,
                },
            };
            if file.version > 1 && kind == Kind::Created && action == Action::UploadCompleted {
                kind = Kind::Updated;
            }
            version = Some(file.version);
            let path = format!("{}/{}", path_of(&chain), file.name);
            (chain, path)
        }
        _ => {
            let chain = chain_to(conn, id).await?;
            if chain.last().is_none_or(|f| f.id != id) {
                return record_gone(conn, kind, id, time).await;
            }
            let path = path_of(&chain);
            (Cow::Owned(chain), path)
        }
    };
    let Some(top) = chain.first() else {
        return Ok(());
    };
    let ids = || chain.iter().map(|f| f.id.as_str());
    let mut change = NewChange {
        time,
        kind: kind.as_str().into(),
        item_type: item_type.as_str().into(),
        item_id: id.into(),
        owner_id: top.owner_id.to_string(),
        chain: chain_of(ids()),
        path: path.clone(),
        version,
        ..NewChange::default()
    };
    match before {
        Before::Nowhere => {}
        Before::Renamed(from) => {
            change.old_owner_id = Some(top.owner_id.to_string());
            change.old_chain = Some(change.chain.clone());
            change.old_path = Some(renamed(&path, from));
        }
        Before::Moved(from, name) => {
            // A folder's old name: the one its last change knew, else its current one.
            let name = match name {
                Some(n) => n.to_string(),
                None => match ferry_store::changes::last_for_item(conn, id).await? {
                    Some(last) => last.path.rsplit('/').next().unwrap_or_default().to_string(),
                    None => path.rsplit('/').next().unwrap_or_default().to_string(),
                },
            };
            let old: Vec<Folder> = match from {
                Some(parent) => chain_to(conn, parent).await?,
                None => Vec::new(),
            };
            let mut old_ids: Vec<&str> = old.iter().map(|f| f.id.as_str()).collect();
            if item_type == TargetKind::Folder {
                old_ids.push(id);
            }
            let base = if old.is_empty() {
                String::new()
            } else {
                path_of(&old)
            };
            change.old_owner_id = Some(
                old.first()
                    .map_or_else(|| top.owner_id.clone(), |f| f.owner_id.clone())
                    .to_string(),
            );
            change.old_chain = Some(chain_of(old_ids));
            change.old_path = Some(format!("{base}/{name}"));
        }
    }
    if matches!(kind, Kind::Shared | Kind::Unshared) {
        let principal = details.get("principal");
        if principal
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            == Some("user")
        {
            change.subject_id = principal
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    ferry_store::changes::append(conn, &change).await?;
    Ok(())
}

/// An item whose row is already gone (purged in the same transaction): recorded where the
/// feed last saw it, or not at all if it never did.
async fn record_gone(conn: &mut Conn, kind: Kind, id: &str, time: i64) -> ferry_store::Result<()> {
    let Some(last) = ferry_store::changes::last_for_item(conn, id).await? else {
        return Ok(());
    };
    if last.kind == Kind::Deleted.as_str() {
        return Ok(());
    }
    let change = NewChange {
        time,
        kind: kind.as_str().into(),
        item_type: last.item_type,
        item_id: id.into(),
        owner_id: last.owner_id.to_string(),
        chain: last.chain,
        path: last.path,
        version: last.version,
        ..NewChange::default()
    };
    ferry_store::changes::append(conn, &change).await?;
    Ok(())
}

/// One change as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub seq: i64,
    pub time: i64,
    pub kind: String,
    /// `file` or `folder`.
    pub item_type: String,
    pub id: String,
    pub path: String,
    pub old_path: Option<String>,
    pub version: Option<i64>,
}

/// A page of the feed.
#[derive(Debug, Clone)]
pub struct Page {
    pub changes: Vec<View>,
    /// The position to continue from (the last number looked at).
    pub next: i64,
    /// More changes are waiting after `next`.
    pub has_more: bool,
}

/// The feed's current position: where a client with no cursor starts.
pub async fn now(app: &AppState) -> Result<i64> {
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::changes::position(&mut conn).await?.last_seq)
}

/// The caller's changes after position `after`, at most `limit`. A position older than the
/// retention window is `CursorExpired`; one the feed has not reached is invalid.
pub async fn page(app: &AppState, caller: &Caller, after: i64, limit: i64) -> Result<Page> {
    let mut conn = app.store.conn().await?;
    // Read first: every number up to it is committed (numbers are handed out in commit
    // order), so the page never passes a change still in flight.
    let position = ferry_store::changes::position(&mut conn).await?;
    if after < 0 || after > position.last_seq {
        return Err(Error::invalid(
            "cursor",
            "invalid_cursor",
            "The cursor is not valid.",
        ));
    }
    if after < position.pruned_through {
        return Err(Error::CursorExpired);
    }
    let scope = crate::access::changes_scope(&mut conn, app.now_ms(), caller).await?;
    let mut rows =
        ferry_store::changes::list(&mut conn, &scope, after, position.last_seq, limit + 1).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = if has_more {
        rows.last().map_or(position.last_seq, |c| c.seq)
    } else {
        position.last_seq
    };
    let mounts = match (&scope.user_id, scope.shared_roots.is_empty()) {
        (Some(user), false) => {
            let ids: Vec<&str> = scope.shared_roots.iter().map(String::as_str).collect();
            ferry_store::collaborations::mount_names(&mut conn, user, &ids).await?
        }
        _ => HashMap::new(),
    };
    let changes = rows
        .iter()
        .filter_map(|c| view(c, &scope, &mounts))
        .collect();
    Ok(Page {
        changes,
        next,
        has_more,
    })
}

/// Whether `scope` sees an item whose tree belongs to `owner` along `chain`.
fn sees(scope: &Scope, owner: Option<&str>, chain: &[&str]) -> bool {
    if owner.is_none() {
        return false;
    }
    let within = scope.within.as_deref().is_none_or(|r| chain.contains(&r));
    let reads = scope.all
        || scope.user_id.as_deref() == owner
        || chain
            .iter()
            .any(|id| scope.shared_roots.iter().any(|r| r == id));
    within && reads
}

/// `path` (from the owner's root, along `chain`) as the scope's caller sees it.
fn path_for(
    scope: &Scope,
    owner: &str,
    chain: &[&str],
    path: &str,
    mounts: &HashMap<String, String>,
) -> String {
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    let from = |start: usize, head: Option<&str>| {
        let mut out = String::new();
        if let Some(head) = head {
            out.push('/');
            out.push_str(head);
        }
        for p in parts.iter().skip(start) {
            out.push('/');
            out.push_str(p);
        }
        if out.is_empty() { "/".to_string() } else { out }
    };
    if let Some(i) = scope
        .within
        .as_deref()
        .and_then(|r| chain.iter().position(|id| *id == r))
    {
        return from(i, None);
    }
    if scope.all || scope.user_id.as_deref() == Some(owner) {
        return path.to_string();
    }
    match chain.iter().position(|id| mounts.contains_key(*id)) {
        Some(i) => from(i + 1, Some(&mounts[chain[i]])),
        None => from(parts.len().saturating_sub(1), None),
    }
}

/// The change as the scope's caller sees it: a move into what they see is a creation, a
/// move out of it a deletion; `None` if they see none of it.
fn view(c: &Change, scope: &Scope, mounts: &HashMap<String, String>) -> Option<View> {
    let chain = c.chain_ids();
    let old_chain = c.old_chain_ids();
    let now_seen = sees(scope, Some(&c.owner_id), &chain);
    let before_seen = c.old_path.is_some() && sees(scope, c.old_owner_id.as_deref(), &old_chain);
    let subject = c.subject_id.is_some() && c.subject_id == scope.user_id;
    let old_path = || {
        c.old_path.as_deref().map(|p| {
            let owner = c.old_owner_id.as_deref().unwrap_or(&c.owner_id);
            path_for(scope, owner, &old_chain, p, mounts)
        })
    };
    let (kind, path, old_path) = match (now_seen, before_seen) {
        (true, true) => (
            c.kind.clone(),
            path_for(scope, &c.owner_id, &chain, &c.path, mounts),
            old_path(),
        ),
        (true, false) if c.old_path.is_some() => (
            Kind::Created.as_str().to_string(),
            path_for(scope, &c.owner_id, &chain, &c.path, mounts),
            None,
        ),
        (true, false) => (
            c.kind.clone(),
            path_for(scope, &c.owner_id, &chain, &c.path, mounts),
            None,
        ),
        (false, true) => (Kind::Deleted.as_str().to_string(), old_path()?, None),
        (false, false) if subject => (
            c.kind.clone(),
            path_for(scope, &c.owner_id, &chain, &c.path, mounts),
            None,
        ),
        (false, false) => return None,
    };
    Some(View {
        seq: c.seq,
        time: c.time,
        kind,
        item_type: c.item_type.clone(),
        id: c.item_id.clone(),
        path,
        old_path,
        version: c.version,
    })
}

/// What [`follow`] hands its reader.
#[derive(Debug, Clone)]
pub enum Followed {
    Change(View),
    /// The reader fell behind the retention window: changes were lost, the stream ends.
    Expired,
}

/// Changes per query while following.
const FOLLOW_BATCH: i64 = 100;
/// What a follower buffers for a slow reader before it waits (and, past the stall timeout,
/// gives up): the memory a reader that never reads can hold is this many changes.
pub const FOLLOW_BUFFER: usize = 64;

/// Follows the caller's changes after `after` as they commit, on any node: a task polls the
/// feed every `changes.poll_interval_ms` and hands what it finds to a bounded channel. A
/// reader that takes nothing for `changes.stall_timeout_secs` is dropped (the channel
/// closes), so one that never reads holds at most [`FOLLOW_BUFFER`] changes; every reader is
/// let go after `changes.stream_max_secs`.
pub async fn follow(
    app: &AppState,
    caller: &Caller,
    after: i64,
) -> Result<mpsc::Receiver<Followed>> {
    // The first page answers now: a bad or expired position is the caller's error, not the
    // stream's.
    let first = page(app, caller, after, FOLLOW_BATCH).await?;
    let (tx, rx) = mpsc::channel(FOLLOW_BUFFER);
    let app = app.clone();
    let caller = caller.clone();
    let poll = Duration::from_millis(app.config.changes.poll_interval_ms.max(10));
    let stall = Duration::from_secs(app.config.changes.stall_timeout_secs.max(1));
    let max = app.config.changes.stream_max_secs;
    let ends = (max > 0).then(|| tokio::time::Instant::now() + Duration::from_secs(max));
    tokio::spawn(async move {
        let mut current = first;
        loop {
            for change in current.changes.drain(..) {
                if tx
                    .send_timeout(Followed::Change(change), stall)
                    .await
                    .is_err()
                {
                    tracing::debug!("change feed reader gone or stalled; dropped");
                    return;
                }
            }
            let position = current.next;
            if ends.is_some_and(|at| tokio::time::Instant::now() >= at) {
                return;
            }
            if !current.has_more {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = tx.closed() => return,
                }
            }
            current = match page(&app, &caller, position, FOLLOW_BATCH).await {
                Ok(p) => p,
                Err(Error::CursorExpired) => {
                    let _ = tx.send_timeout(Followed::Expired, stall).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change feed follower stopped");
                    return;
                }
            };
        }
    });
    Ok(rx)
}

/// Removes changes older than `changes.keep_days` (the collector's pass); how many went.
pub async fn prune(app: &AppState) -> Result<u64> {
    let keep = app.config.changes.keep_days.max(1);
    let before = app.now_ms() - keep * 86_400_000;
    let mut tx = app.store.begin().await?;
    let removed = ferry_store::changes::prune(&mut tx, before).await?;
    tx.commit().await?;
    Ok(removed)
}
