//! The one access policy: the only place that decides "may this caller do P on this object?",
//! and the only source of the filters that list and search queries use, so that the rule and
//! the filter cannot disagree. Sharing, groups, policies, link and token principals change
//! this module and nothing else.
//!
//! The rule: a folder's owner and the admins may do everything in it (role `owner`); anyone
//! else holds the highest role shared with them (directly or through a group) on the folder or
//! any folder above it, or nothing: then the folder is invisible. What a caller may not see is
//! `NotFound`; what they see but may not do is `PermissionDenied`.
//!
//! Shared roles need the database; [`resolve_role`] decides them and remembers them in the
//! [`Caller`] for the rest of the call, so that [`folder_role`] (which the views use) answers
//! without a query. A folder whose role this call never decided is invisible: forgetting to
//! resolve fails closed.

use ferry_core::{FolderRole, IdKind, Permission, Role, validate};
use ferry_store::files::File;
use ferry_store::folders::Folder;
use ferry_store::uploads::Upload;
use ferry_store::users::User;
use ferry_store::webhooks::Webhook;

use crate::caller::{Actor, Caller};
use crate::error::{Error, Result};
use crate::state::AppState;

/// The caller's role on `folder` as decided so far: owners and admins always, shared roles
/// once [`resolve_role`] has decided them in this call; `None` means invisible.
pub fn folder_role(caller: &Caller, folder: &Folder) -> Option<FolderRole> {
    match &caller.actor {
        Actor::System(_) => Some(FolderRole::Owner),
        Actor::User(user) if folder.owner_id == user.id || user.is_admin() => {
            Some(FolderRole::Owner)
        }
        Actor::User(_) => caller.granted(&folder.id),
    }
}

/// Decides the caller's role on `folder`: owner or admin, else the highest role shared with
/// them along the folder's path (expired and unaccepted shares count for nothing).
pub async fn resolve_role(
    conn: &mut ferry_store::Conn,
    now: i64,
    caller: &Caller,
    folder: &Folder,
) -> Result<Option<FolderRole>> {
    if !within_restriction(conn, caller, folder).await? {
        return Ok(None);
    }
    if let Some(role) = folder_role(caller, folder) {
        return Ok(Some(role));
    }
    let Actor::User(user) = &caller.actor else {
        return Ok(None);
    };
    let collaborations = ferry_store::collaborations::grants_on;
    // A child of a folder decided in this call: its parent's role, or one shared on the child
    // itself (a listing of a shared folder costs one small query per child, not a walk).
    if let Some(parent_role) = folder.parent_id.as_deref().and_then(|p| caller.granted(p)) {
        let grants = collaborations(conn, &user.id, &[folder.id.as_str()], now).await?;
        let role = grants.iter().map(|g| g.role).chain([parent_role]).max();
        let mount = grants.into_iter().next().map(|g| g.mount_name);
        caller.remember_mounts([(folder.id.to_string(), mount)]);
        if let Some(role) = role {
            caller.grant(&folder.id, role);
        }
        return Ok(role);
    }
    // One walk up the tree with the shares along it; what they say about every folder of the
    // chain (its role, where it is mounted) serves the rest of the call.
    let read = ferry_store::collaborations::chain_with_grants(
        conn,
        &folder.id,
        validate::MAX_DEPTH + 1,
        &user.id,
        now,
    )
    .await?;
    Ok(decide_along(caller, read.chain, &read.grants))
}

/// Folder `id`'s chain with the shares `user_id` holds along it, from the chain this node
/// keeps when the tree has not changed since it was kept (one statement of indexed lookups:
/// the live folder, the live shares, the generation), else walked up the tree and kept.
async fn chain_of(
    app: &AppState,
    conn: &mut ferry_store::Conn,
    id: &str,
    user_id: &str,
    now: i64,
) -> Result<(Vec<Folder>, Vec<ferry_store::collaborations::Grant>)> {
    if let Some(kept) = app.tree.get(id) {
        let ids: Vec<&str> = kept.chain.iter().map(|f| f.id.as_str()).collect();
        let read =
            ferry_store::collaborations::folder_with_grants(conn, id, &ids, user_id, now).await?;
        if let Some(read) = read.filter(|r| r.generation == kept.generation) {
            let mut chain = kept.chain.clone();
            if let Some(last) = chain.last_mut() {
                *last = read.folder;
            }
            let grants = read
                .grants
                .into_iter()
                .map(|(folder_id, role, mount)| {
                    let mount_name = mount.unwrap_or_else(|| {
                        let shared = chain.iter().find(|f| f.id == folder_id.as_str());
                        shared.map(|f| f.name.clone()).unwrap_or_default()
                    });
                    ferry_store::collaborations::Grant {
                        folder_id,
                        role,
                        mount_name,
                    }
                })
                .collect();
            return Ok((chain, grants));
        }
    }
    let read = ferry_store::collaborations::chain_with_grants(
        conn,
        id,
        validate::MAX_DEPTH + 1,
        user_id,
        now,
    )
    .await?;
    if read.chain.last().is_some_and(|f| f.id == id) {
        app.tree.keep(id, read.generation, read.chain.clone());
    }
    Ok((read.chain, read.grants))
}

/// Decides the caller's role on every folder of `chain` (top-level folder first) from the
/// shares they hold along it (a role reaches everything below it), remembers those roles, the
/// mount names and the chain for the rest of the call, and says the role on the last folder.
fn decide_along(
    caller: &Caller,
    chain: Vec<Folder>,
    grants: &[ferry_store::collaborations::Grant],
) -> Option<FolderRole> {
    let mut role: Option<FolderRole> = None;
    let mut mounts = Vec::with_capacity(chain.len());
    for f in &chain {
        let here: Vec<_> = grants.iter().filter(|g| g.folder_id == f.id).collect();
        role = here.iter().map(|g| g.role).chain(role).max();
        mounts.push((f.id.to_string(), here.first().map(|g| g.mount_name.clone())));
        if let Some(role) = role {
            caller.grant(&f.id, role);
        }
    }
    caller.remember_mounts(mounts);
    if let Some(last) = chain.last() {
        caller.remember_chain(&last.id.clone(), chain);
    }
    role
}

/// Records that `folder` (a child of one the caller holds `inherited` on) is seen with at
/// least that role: a listing of a shared folder's children needs no query per child.
pub fn inherit_role(caller: &Caller, folder: &Folder, inherited: FolderRole) {
    if folder_role(caller, folder).is_none_or(|r| r < inherited) {
        caller.grant(&folder.id, inherited);
    }
}

/// Whether the caller may grant (or change, or take away) `role` on `folder`: owners and
/// admins any role, anyone else only roles below their own (a manager makes editors, not
/// managers).
pub fn may_grant(caller: &Caller, folder: &Folder, role: FolderRole) -> Result<()> {
    match folder_role(caller, folder) {
        None => Err(Error::NotFound),
        Some(FolderRole::Owner) => Ok(()),
        Some(own) if role < own => Ok(()),
        Some(_) => Err(Error::PermissionDenied),
    }
}

/// What `caller` may do in `folder`; empty means the folder is invisible to them.
pub fn folder_permissions(caller: &Caller, folder: &Folder) -> Vec<Permission> {
    folder_role(caller, folder).map_or_else(Vec::new, |r| r.permissions().to_vec())
}

/// Whether the caller may move something out of `from`'s tree into `to`'s: within one tree
/// (one owner) `write` on both is enough (checked by the caller); across trees the moved
/// bytes change owner, which only the source tree's owner (or an admin) may decide, so a
/// collaborator moves only inside what is shared with them.
pub fn may_move_between(caller: &Caller, from: &Folder, to: &Folder) -> Result<()> {
    if from.owner_id == to.owner_id || owns_or_admin(caller, &from.owner_id) {
        Ok(())
    } else {
        Err(Error::PermissionDenied)
    }
}

/// Whether the caller may create top-level folders owned by `owner_id` (moving a folder to the
/// top level makes it theirs: only its owner, or an admin for the owner; never a token
/// restricted to one folder, whose world is that folder).
pub fn may_own_top_level(caller: &Caller, owner_id: &str) -> bool {
    caller.restriction().is_none() && owns_or_admin(caller, owner_id)
}

/// Whether `folder` is inside what a restricted token may see: the folder it is restricted to
/// or one below it (always, for an unrestricted caller).
async fn within_restriction(
    conn: &mut ferry_store::Conn,
    caller: &Caller,
    folder: &Folder,
) -> Result<bool> {
    let Some(root) = caller.restriction() else {
        return Ok(true);
    };
    // A folder decided in this call passed this check; so did its children.
    if folder.id == root
        || caller.granted(&folder.id).is_some()
        || folder
            .parent_id
            .as_deref()
            .is_some_and(|p| caller.granted(p).is_some())
    {
        return Ok(true);
    }
    let chain = match caller.known_chain(&folder.id) {
        Some(chain) => chain,
        None => {
            let chain =
                ferry_store::folders::ancestry(conn, &folder.id, validate::MAX_DEPTH + 1).await?;
            caller.remember_chain(&folder.id, chain.clone());
            chain
        }
    };
    Ok(chain.iter().any(|f| f.id == root))
}

/// What a token restricted to one folder may call, by the route's template (as the router
/// matched it): requests about one folder or file (whose access checks then keep it inside
/// that folder), uploads and downloads into it, archives of what it holds, and who the token
/// belongs to. Everything else (listings across the account, search, trash, links, shares
/// lists, audit, administration, the caller's tokens) is refused with `insufficient_scope`:
/// an endpoint is closed to such tokens until it is added here.
pub fn restricted_token_allows(changes_something: bool, route: &str) -> Result<()> {
    let Some(route) = route.strip_prefix("/api/v1") else {
        // The other doors (tus, WebDAV) speak only of folders and files.
        return Ok(());
    };
    let allowed = match route {
        "/me" | "/me/policy" => !changes_something,
        // The feed keeps such a token inside its folder (see [`changes_scope`]).
        "/changes" | "/changes/stream" => !changes_something,
        // The root lists the restricted folder alone; creating needs a parent inside it.
        "/folders" => true,
        // Starting an upload or an archive (a listing of uploads would show others).
        "/uploads" | "/archives" => changes_something,
        "/tus" | "/tus/" => true,
        _ => ["/folders/{", "/files/{", "/uploads/{", "/tus/{", "/tasks/{"]
            .iter()
            .any(|prefix| route.starts_with(prefix)),
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::InsufficientScope)
    }
}

/// Which trash items the caller sees: `None` = all (admins), else those of folders they manage.
pub fn trash_scope(caller: &Caller) -> Option<String> {
    folder_scope(caller).owner_filter().map(str::to_string)
}

/// Whether the caller may act on a trash item managed by `owner_id`.
pub fn may_manage_trash_of(caller: &Caller, owner_id: &str) -> bool {
    owns_or_admin(caller, owner_id)
}

/// Whether the caller may see a task queued by `owner_id` (its creator, or an admin).
pub fn may_see_task(caller: &Caller, owner_id: &str) -> bool {
    owns_or_admin(caller, owner_id)
}

/// Whether the caller may purge a held item before its hold ends (admins only).
pub fn may_purge_held(caller: &Caller) -> bool {
    is_admin(caller)
}

/// Which folders a listing shows the caller: the filter `ferry_store::folders::list` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderScope {
    /// Every folder (admins, the system).
    All,
    /// The folders this user owns.
    OwnedBy(String),
}

impl FolderScope {
    /// The owner filter for the store's query (`None` = no filter).
    pub fn owner_filter(&self) -> Option<&str> {
        match self {
            FolderScope::All => None,
            FolderScope::OwnedBy(id) => Some(id),
        }
    }
}

/// The folders `caller` can see, as a query filter; the same rule as [`folder_permissions`].
pub fn folder_scope(caller: &Caller) -> FolderScope {
    match &caller.actor {
        Actor::System(_) => FolderScope::All,
        Actor::User(u) if u.is_admin() => FolderScope::All,
        Actor::User(u) => FolderScope::OwnedBy(u.id.to_string()),
    }
}

/// What a search may find for the caller: `owner_id`'s folders (none: everything) and the
/// folders shared with them that they may read, with everything below them.
#[derive(Debug, Default)]
pub struct SearchScope {
    pub owner_id: Option<String>,
    pub shared_roots: Vec<String>,
}

/// The caller's search scope: the same rule as [`folder_role`], as a filter.
pub async fn search_scope(app: &AppState, caller: &Caller) -> Result<SearchScope> {
    let owner_id = folder_scope(caller).owner_filter().map(str::to_string);
    let shared_roots = match &owner_id {
        Some(user_id) => {
            let mut conn = app.store.conn().await?;
            ferry_store::collaborations::readable_roots(&mut conn, user_id, app.now_ms()).await?
        }
        None => Vec::new(),
    };
    Ok(SearchScope {
        owner_id,
        shared_roots,
    })
}

/// Which changes of the feed the caller sees: the same rule as [`search_scope`] (admins and the
/// system everything; anyone else the trees they own and the folders shared with them with
/// `read`, an uploader's share giving nothing), limited to a restricted token's folder.
pub async fn changes_scope(
    conn: &mut ferry_store::Conn,
    now: i64,
    caller: &Caller,
) -> Result<ferry_store::changes::Scope> {
    let mut scope = ferry_store::changes::Scope {
        within: caller.restriction().map(str::to_string),
        ..Default::default()
    };
    match folder_scope(caller).owner_filter() {
        None => scope.all = true,
        Some(user_id) => {
            scope.shared_roots =
                ferry_store::collaborations::readable_roots(conn, user_id, now).await?;
            scope.user_id = Some(user_id.to_string());
        }
    }
    Ok(scope)
}

/// Which audit events the caller may read: the filters `ferry_store::audit::search` applies,
/// `(user, company)`. `(None, None)` is everything (admins); a company admin's are the events
/// of its company (see [`ferry_store::audit::Filter::company`]); anyone else's the events the
/// user caused and events in folders the user can see (today: owns).
pub fn audit_scope(caller: &Caller) -> (Option<String>, Option<String>) {
    match administers(caller) {
        Ok(Administers::Company(company)) => (None, Some(company)),
        _ => (
            folder_scope(caller).owner_filter().map(str::to_string),
            None,
        ),
    }
}

/// Loads a folder the caller may access with `needed`: invisible is `NotFound`, visible
/// without the permission `PermissionDenied`.
pub async fn folder(
    app: &AppState,
    caller: &Caller,
    id: &str,
    needed: Permission,
) -> Result<Folder> {
    let folder = visible_folder(app, caller, id).await?;
    permit(caller, &folder, needed)?;
    Ok(folder)
}

/// Loads a folder the caller holds any role on (an uploader sees the folder it adds to, but
/// may read nothing in it but its own files); anything else is `NotFound`.
pub async fn visible_folder(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    visible_folder_read(app, caller, id, Read::Row).await
}

/// [`visible_folder`] for a read-only view that shows the folder's path: the chain (and the
/// shares along it) are read with the folder, in one statement.
pub async fn folder_to_show(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    visible_folder_read(app, caller, id, Read::Chain).await
}

/// How [`visible_folder_read`] reads the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Its row alone.
    Row,
    /// Its whole chain from the top-level folder, in the same one statement, kept in the
    /// caller for the rest of the call: for a read-only view that shows the path (a file's
    /// metadata), which then costs no second walk up the tree. Never for a call that changes
    /// the tree: a kept chain is not read again.
    Chain,
}

async fn visible_folder_read(
    app: &AppState,
    caller: &Caller,
    id: &str,
    read: Read,
) -> Result<Folder> {
    if !IdKind::Folder.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    let folder = match read {
        Read::Row => ferry_store::folders::get(&mut conn, id).await?,
        // A user who is no admin may hold the folder through shares along its chain: read
        // them with it, and decide the role now (one statement whoever owns the folder).
        Read::Chain => match chain_grants_at(app, caller) {
            Some(now) => {
                let user_id = caller
                    .user_ref()
                    .map(|u| u.id.to_string())
                    .unwrap_or_default();
                let (chain, grants) = chain_of(app, &mut conn, id, &user_id, now).await?;
                take_chain(caller, id, chain, Some(&grants))
            }
            None => {
                let chain =
                    ferry_store::folders::ancestry(&mut conn, id, validate::MAX_DEPTH + 1).await?;
                take_chain(caller, id, chain, None)
            }
        },
    };
    settle_visible(app, &mut conn, caller, folder).await
}

/// When reading a folder's chain should read the caller's shares along it too (the time
/// they are valid at): for a user who is no admin and holds no restricted token.
fn chain_grants_at(app: &AppState, caller: &Caller) -> Option<i64> {
    match &caller.actor {
        Actor::User(user) if !user.is_admin() && caller.restriction().is_none() => {
            Some(app.now_ms())
        }
        _ => None,
    }
}

/// The folder `id` from the chain read down to it, the chain kept in the caller (and, with
/// `grants`, the roles they give decided on a folder the caller does not own).
fn take_chain(
    caller: &Caller,
    id: &str,
    chain: Vec<Folder>,
    grants: Option<&[ferry_store::collaborations::Grant]>,
) -> Option<Folder> {
    let folder = chain.last().filter(|f| f.id == id).cloned();
    match (grants, caller.user_ref()) {
        (Some(grants), Some(user)) if folder.as_ref().is_some_and(|f| f.owner_id != user.id) => {
            decide_along(caller, chain, grants);
        }
        _ => caller.remember_chain(id, chain),
    }
    folder
}

/// The folder read for the caller, if it is live, the caller has a role on it and its tree
/// has not expired (`NotFound`, `FolderExpired`).
async fn settle_visible(
    app: &AppState,
    conn: &mut ferry_store::Conn,
    caller: &Caller,
    folder: Option<Folder>,
) -> Result<Folder> {
    let folder = folder.filter(Folder::is_live).ok_or(Error::NotFound)?;
    if resolve_role(conn, app.now_ms(), caller, &folder)
        .await?
        .is_none()
    {
        return Err(Error::NotFound);
    }
    // Past its tree's expiry a folder is gone for its users (the system still purges it).
    let expired = folder.expires_at.is_some_and(|at| at <= app.now_ms());
    if expired && !matches!(caller.actor, Actor::System(_)) {
        return Err(Error::FolderExpired);
    }
    Ok(folder)
}

/// Which of a folder's files a caller sees listed.
pub enum FilesScope {
    All,
    /// An uploader: only the files it added.
    AddedBy(String),
}

/// The files of `folder` (already resolved) the caller may list: everything with `read`,
/// an uploader its own, anyone else nothing (`PermissionDenied`).
pub fn files_scope(caller: &Caller, folder: &Folder) -> Result<FilesScope> {
    match (folder_role(caller, folder), caller.user_ref()) {
        (None, _) => Err(Error::NotFound),
        (Some(FolderRole::Uploader), Some(user)) => Ok(FilesScope::AddedBy(user.id.to_string())),
        (Some(role), _) if role.permissions().contains(&Permission::Read) => Ok(FilesScope::All),
        (Some(_), _) => Err(Error::PermissionDenied),
    }
}

/// Whether `caller` may do `needed` in `folder` (already loaded): invisible is `NotFound`,
/// visible without the permission `PermissionDenied`.
pub fn permit(caller: &Caller, folder: &Folder, needed: Permission) -> Result<()> {
    match folder_role(caller, folder) {
        None => Err(Error::NotFound),
        Some(role) if role.permissions().contains(&needed) => Ok(()),
        // An uploader sees the folder it may add to, and nothing in it but its own files.
        Some(_) => Err(Error::PermissionDenied),
    }
}

/// Loads a file whose folder the caller may access with `needed`, with that folder.
pub async fn file(
    app: &AppState,
    caller: &Caller,
    id: &str,
    needed: Permission,
) -> Result<(File, Folder)> {
    file_read(app, caller, id, needed, Read::Row).await
}

/// [`file`] for reading, for a read-only view of the file with its path: the folder's chain
/// is read with the folder and kept for the path (one statement less per metadata read).
pub async fn file_to_show(app: &AppState, caller: &Caller, id: &str) -> Result<(File, Folder)> {
    file_read(app, caller, id, Permission::Read, Read::Chain).await
}

async fn file_read(
    app: &AppState,
    caller: &Caller,
    id: &str,
    needed: Permission,
    read: Read,
) -> Result<(File, Folder)> {
    if !IdKind::File.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = Some(app.store.conn().await?);
    let (file, folder) = match (read, caller.user_ref()) {
        // A view shows the caller's favorite mark and the folder's path: the file, the
        // mark, the chain down to its folder and the caller's shares along it in one
        // statement.
        (Read::Chain, Some(user)) => {
            let conn = conn.as_mut().expect("taken above");
            let grants_at = chain_grants_at(app, caller);
            let shown = ferry_store::files::get_shown(
                conn,
                id,
                &user.id,
                validate::MAX_DEPTH + 1,
                grants_at,
            )
            .await?
            .ok_or(Error::NotFound)?;
            let ferry_store::files::Shown {
                file,
                marked,
                chain,
                grants,
            } = shown;
            caller.remember_mark(&file.id, marked);
            // A deleted file is out of sight except in the trash; a held one stays visible
            // by id.
            if !shown_by_id(&file) {
                return Err(Error::NotFound);
            }
            let grants = grants_at.map(|_| grants.as_slice());
            let folder = take_chain(caller, &file.folder_id, chain, grants);
            let folder = settle_visible(app, conn, caller, folder).await?;
            (file, folder)
        }
        _ => {
            let mut taken = conn.take().expect("taken above");
            let file = ferry_store::files::get(&mut taken, id)
                .await?
                .ok_or(Error::NotFound)?;
            if !shown_by_id(&file) {
                return Err(Error::NotFound);
            }
            // One connection at a time: reading the folder takes its own.
            drop(taken);
            let folder = visible_folder_read(app, caller, &file.folder_id, read).await?;
            (file, folder)
        }
    };
    if folder_role(caller, &folder) == Some(FolderRole::Uploader) {
        // An uploader sees only the files it added, and may read those.
        let user = caller.user_ref().ok_or(Error::NotFound)?;
        let mut conn = match conn {
            Some(conn) => conn,
            None => app.store.conn().await?,
        };
        let added_by = ferry_store::files::added_by(&mut conn, &file.id).await?;
        if added_by.as_deref() != Some(user.id.as_str()) {
            return Err(Error::NotFound);
        }
        if needed == Permission::Read {
            return Ok((file, folder));
        }
    }
    permit(caller, &folder, needed)?;
    Ok((file, folder))
}

/// Whether a file is in sight by its id: a deleted one is only in the trash, a held one stays
/// visible.
fn shown_by_id(file: &File) -> bool {
    file.trash_id.is_none() || (file.is_held() && file.trash_id.as_deref() == Some(&file.id))
}

/// Whether the caller may read a held file's content (only admins may: a held file is out of
/// sight for everyone else until it is restored).
pub fn may_read_held(caller: &Caller) -> bool {
    is_admin(caller)
}

/// Loads an upload the caller created (admins: any).
pub async fn upload(app: &AppState, caller: &Caller, id: &str) -> Result<Upload> {
    if !IdKind::Upload.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    let upload = ferry_store::uploads::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    if owns_or_admin(caller, &upload.creator_id) {
        Ok(upload)
    } else {
        Err(Error::NotFound)
    }
}

/// Which uploads a listing shows: the creator filter `ferry_store::uploads::list` applies.
/// `None` is every upload (the system only). A user, admins included, lists the uploads they
/// started themselves: as in Box and Dropbox, the list of upload sessions is one's own work in
/// progress. (An admin may still open, and abort, anyone's upload by its id: see [`upload`].)
pub fn upload_scope(caller: &Caller) -> Option<String> {
    match &caller.actor {
        Actor::System(_) => None,
        Actor::User(u) => Some(u.id.to_string()),
    }
}

/// Loads a webhook the caller owns (admins: any).
pub async fn webhook(app: &AppState, caller: &Caller, id: &str) -> Result<Webhook> {
    if !IdKind::Webhook.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    match ferry_store::webhooks::get(&mut conn, id).await? {
        Some(w) if owns_or_admin(caller, &w.owner_id) => Ok(w),
        _ => Err(Error::NotFound),
    }
}

/// Which webhooks a listing shows: `None` = all (admins), else the owner's.
pub fn webhook_scope(caller: &Caller) -> Option<String> {
    folder_scope(caller).owner_filter().map(str::to_string)
}

/// Whether the caller created a link: its creator may revoke it even without `share` on the
/// file (whoever has `share` may too, see [`file`]).
pub fn is_link_creator(caller: &Caller, creator_id: &str) -> bool {
    caller.user_ref().is_some_and(|u| u.id == creator_id)
}

/// Admin-only operations (user management, the audit chain check).
pub fn require_admin(caller: &Caller) -> Result<&User> {
    match &caller.actor {
        Actor::User(u) if u.is_admin() => Ok(u),
        _ => Err(Error::Forbidden),
    }
}

pub fn is_admin(caller: &Caller) -> bool {
    match &caller.actor {
        Actor::User(u) => u.is_admin(),
        Actor::System(_) => true,
    }
}

fn owns_or_admin(caller: &Caller, owner_id: &str) -> bool {
    match &caller.actor {
        Actor::User(u) => u.id == owner_id || u.is_admin(),
        Actor::System(_) => true,
    }
}

// Groups. System admins create, rename and delete any group and manage its members; a company
// admin does the same for its company's groups, with members of its company only; any
// logged-in user sees the groups they are a member of. A group the caller cannot see is
// `NotFound`; one they see but may not change is `PermissionDenied`.

/// Whether the caller may create groups (system admins; company admins, in their company).
pub fn may_manage_groups(caller: &Caller) -> bool {
    administers(caller).is_ok()
}

/// The company a group the caller creates belongs to (`None`: a system group).
pub fn company_of_new_group(caller: &Caller) -> Result<Option<String>> {
    Ok(administers(caller)?.company().map(str::to_string))
}

/// Which groups a listing shows: all (admins, the system), a company admin's company's, or
/// the groups this user is a member of.
pub fn group_scope(caller: &Caller) -> ferry_store::groups::GroupScope<'_> {
    use ferry_store::groups::GroupScope;
    match (&caller.actor, administers(caller)) {
        (_, Ok(Administers::Everything)) => GroupScope::All,
        (Actor::User(u), Ok(Administers::Company(_))) => {
            GroupScope::Company(u.company_id.as_deref().unwrap_or_default())
        }
        (Actor::User(u), Err(_)) => GroupScope::MemberOf(&u.id),
        (Actor::System(_), _) => GroupScope::All,
    }
}

/// Loads a group the caller may see; anything else is `NotFound`.
pub async fn group(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ferry_store::groups::Group> {
    use ferry_store::groups::GroupScope;
    if !IdKind::Group.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    let group = ferry_store::groups::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    let visible = match group_scope(caller) {
        GroupScope::All => true,
        GroupScope::Company(c) => group.company_id.as_deref() == Some(c),
        GroupScope::MemberOf(user_id) => {
            ferry_store::groups::is_member(&mut conn, &group.id, user_id).await?
        }
    };
    if visible {
        Ok(group)
    } else {
        Err(Error::NotFound)
    }
}

/// Loads a group the caller may change: invisible is `NotFound`, visible but not theirs to
/// change is `PermissionDenied`.
pub async fn group_to_manage(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ferry_store::groups::Group> {
    let group = group(app, caller, id).await?;
    match administers(caller) {
        Ok(scope) if scope.reaches(group.company_id.as_deref()) => Ok(group),
        _ => Err(Error::PermissionDenied),
    }
}

/// Whether `member` may be added to `group` by the caller: a company admin adds only users of
/// its company (another company's user is `NotFound`).
pub fn may_add_member(caller: &Caller, member: &User) -> Result<()> {
    if administers(caller)?.reaches(member.company_id.as_deref()) {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

// Links. `GET /links` shows a user the links they created; admins, moderators (and the
// system) see everyone's. Revoking follows [`is_link_creator`] and `share` on the file, or
// [`may_block_link`].

/// Which links a listing shows: the filters the stores' link listings apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkScope {
    /// Only the links this user created.
    pub creator: Option<String>,
    /// Only the links this company's users created.
    pub company: Option<String>,
}

/// The links the caller lists: everyone's (admins, moderators, the system), a company admin's
/// company's, anyone else's own.
pub fn link_scope(caller: &Caller) -> LinkScope {
    match &caller.actor {
        Actor::System(_) => LinkScope::default(),
        Actor::User(u) if u.is_admin() || u.role() == Role::Moderator => LinkScope::default(),
        Actor::User(u) => match administers(caller) {
            Ok(Administers::Company(company)) => LinkScope {
                creator: None,
                company: Some(company),
            },
            _ => LinkScope {
                creator: Some(u.id.to_string()),
                company: None,
            },
        },
    }
}

/// Whether the caller may block (revoke) a link of `creator_id` whatever their role on its
/// file: system admins and moderators any link, a company admin its company's users' links.
pub async fn may_block_link(app: &AppState, caller: &Caller, creator_id: &str) -> Result<bool> {
    let Actor::User(user) = &caller.actor else {
        return Ok(true);
    };
    if user.is_admin() || user.role() == Role::Moderator {
        return Ok(true);
    }
    match administers(caller) {
        Ok(Administers::Company(company)) => {
            let mut conn = app.store.conn().await?;
            let creator = ferry_store::users::get(&mut conn, creator_id).await?;
            Ok(creator.is_some_and(|c| c.company_id.as_deref() == Some(company.as_str())))
        }
        _ => Ok(false),
    }
}

// Comments. Whoever may read a file may list its comments and add one; the author edits their
// own; the author, or a manager of the folder (`share`), deletes one; a task's state is changed
// by its author, its assignee, or anyone who may write in the folder. A comment on a file the
// caller cannot see is `NotFound`; one they see but may not change is `PermissionDenied`.

/// Loads a file the caller may comment on (and read the comments of), with its folder.
pub async fn commented_file(app: &AppState, caller: &Caller, id: &str) -> Result<(File, Folder)> {
    file(app, caller, id, Permission::Read).await
}

/// Loads a comment on a file the caller may read, with the file and its folder; anything
/// else is `NotFound`.
pub async fn comment(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(ferry_store::comments::Comment, File, Folder)> {
    if !IdKind::Comment.matches(id) {
        return Err(Error::NotFound);
    }
    let comment = {
        let mut conn = app.store.conn().await?;
        ferry_store::comments::get(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let (file, folder) = commented_file(app, caller, &comment.file_id).await?;
    Ok((comment, file, folder))
}

fn is_user(caller: &Caller, user_id: Option<&str>) -> bool {
    caller
        .user_ref()
        .is_some_and(|u| Some(u.id.as_str()) == user_id)
}

/// Whether the caller may change a comment's body: its author only.
pub fn may_edit_comment(caller: &Caller, comment: &ferry_store::comments::Comment) -> Result<()> {
    if is_user(caller, Some(&comment.author_id)) {
        Ok(())
    } else {
        Err(Error::PermissionDenied)
    }
}

/// Whether the caller may delete a comment: its author, or whoever may share the folder.
pub fn may_delete_comment(
    caller: &Caller,
    folder: &Folder,
    comment: &ferry_store::comments::Comment,
) -> Result<()> {
    if is_user(caller, Some(&comment.author_id)) {
        return Ok(());
    }
    permit(caller, folder, Permission::Share)
}

/// Whether the caller may mark a task comment done or open again: its author, its assignee,
/// or whoever may write in the folder.
pub fn may_set_task_state(
    caller: &Caller,
    folder: &Folder,
    comment: &ferry_store::comments::Comment,
) -> Result<()> {
    if is_user(caller, Some(&comment.author_id)) || is_user(caller, comment.assignee_id.as_deref())
    {
        return Ok(());
    }
    permit(caller, folder, Permission::Write)
}

/// Whether `user` (someone other than the caller: a mentioned user, an assignee) may read
/// `file` in `folder`: the rule of [`file`] for them. Disabled and deleted users read nothing.
pub async fn user_may_read_file(
    conn: &mut ferry_store::Conn,
    now: i64,
    user: &User,
    file: &File,
    folder: &Folder,
) -> Result<bool> {
    if user.is_disabled() || user.is_deleted() {
        return Ok(false);
    }
    let them = Caller::user(user.clone(), crate::caller::Origin::default());
    Ok(match resolve_role(conn, now, &them, folder).await? {
        None => false,
        Some(FolderRole::Uploader) => {
            ferry_store::files::added_by(conn, &file.id)
                .await?
                .as_deref()
                == Some(user.id.as_str())
        }
        Some(role) => role.permissions().contains(&Permission::Read),
    })
}

// ---- Media metadata through links --------------------------------------------------------
//
// A user who may read a file sees all of its media metadata. A download or folder link's
// recipient sees it too (dimensions, time, camera, audio tags and duration), except the GPS
// position, which only when the link's creator allowed it (`show_location`). Search's media
// filters (`has_location` among them) only ever run over what the caller may read
// ([`search_scope`]), so they tell nobody more of a position than the file's media would.

/// The media metadata a link's recipient sees of `media`.
pub fn link_media(mut media: crate::media::Media, show_location: bool) -> crate::media::Media {
    if !show_location {
        media.gps = None;
    }
    media
}

// ---- Upload links (file requests) ----------------------------------------------------------
//
// An upload link is a principal of its own: whoever holds it may add files to the link's
// folder (never overwrite, see `upload_links`) and continue the uploads it opened, and may
// list or read nothing. It is worth what its creator may still do: when the creator can no
// longer share the folder (unshared, folder deleted or expired), the link opens nothing.

/// The folder an upload link adds files to, with its creator as a caller (for the subfolders
/// a link makes): `NotFound` when the creator may no longer share the folder or it is gone,
/// `FolderExpired` past the tree's expiry.
pub async fn upload_link_target(
    app: &AppState,
    link: &ferry_store::upload_links::UploadLink,
    origin: &crate::caller::Origin,
) -> Result<(Folder, Caller)> {
    let creator = {
        let mut conn = app.store.conn().await?;
        ferry_store::users::get(&mut conn, &link.creator_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let creator = Caller::user(creator, origin.clone());
    let folder = match folder(app, &creator, &link.folder_id, Permission::Share).await {
        Ok(f) => f,
        Err(Error::PermissionDenied | Error::Forbidden) => return Err(Error::NotFound),
        Err(e) => return Err(e),
    };
    Ok((folder, creator))
}

/// An upload opened through upload link `link_id` (and only such an upload): what the link's
/// holder may continue, look at or abort. Anything else is `NotFound`.
pub async fn upload_via_link(app: &AppState, link_id: &str, id: &str) -> Result<Upload> {
    if !IdKind::Upload.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    ferry_store::uploads::get(&mut conn, id)
        .await?
        .filter(|u| u.link_id.as_deref() == Some(link_id))
        .ok_or(Error::NotFound)
}

/// The folder a folder link opens: the link's folder, as long as its creator may still share
/// it (else `NotFound`, as for upload links) and it has not expired (`FolderExpired`).
pub async fn folder_link_root(
    app: &AppState,
    link: &ferry_store::folder_links::FolderLink,
) -> Result<Folder> {
    let creator = {
        let mut conn = app.store.conn().await?;
        ferry_store::users::get(&mut conn, &link.creator_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let creator = Caller::user(creator, crate::caller::Origin::default());
    match folder(app, &creator, &link.folder_id, Permission::Share).await {
        Ok(f) => Ok(f),
        Err(Error::PermissionDenied | Error::Forbidden) => Err(Error::NotFound),
        Err(e) => Err(e),
    }
}

/// What a path under a folder link names.
pub enum LinkItem {
    /// A folder, with its path from the link's folder (`""` for that folder itself).
    Folder(Folder, String),
    /// A file, with its path from the link's folder.
    File(File, String),
}

/// What a folder link's holder reaches at `path` (`/`-separated, relative to the link's
/// folder `root`): only live folders and files below it, found by name one segment at a time,
/// so nothing above the link's folder, in the trash, held or expired can be named. Anything
/// else is `NotFound`.
pub async fn through_folder_link(
    conn: &mut ferry_store::Conn,
    root: &Folder,
    path: &str,
    now: i64,
) -> Result<LinkItem> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.len() > ferry_core::validate::MAX_DEPTH + 1 || path.len() > 16_384 {
        return Err(Error::NotFound);
    }
    let mut folder = root.clone();
    // The path as stored (names in their own case), not as asked.
    let mut names: Vec<String> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let here = ferry_store::folders::Namespace::In {
            folder_id: &folder.id,
        };
        if let Some(sub) = ferry_store::folders::by_name(conn, here, segment).await? {
            if sub.expires_at.is_some_and(|at| at <= now) {
                return Err(Error::NotFound);
            }
            names.push(sub.name.clone());
            folder = sub;
            continue;
        }
        if i + 1 < segments.len() {
            return Err(Error::NotFound);
        }
        // `by_name` finds live files only (trashed and held ones carry a trash id).
        let file = ferry_store::files::by_name(conn, &folder.id, segment)
            .await?
            .filter(|f| !f.is_expired(now))
            .ok_or(Error::NotFound)?;
        names.push(file.name.clone());
        return Ok(LinkItem::File(file, names.join("/")));
    }
    Ok(LinkItem::Folder(folder, names.join("/")))
}

// Tokens. A user manages their own tokens; an admin also another user's (list, revoke, wipe).
// A token's scopes cap what a request made with it may do.

/// Whether the caller may see and manage `user_id`'s tokens (others': `NotFound`).
pub fn may_manage_tokens_of(caller: &Caller, user_id: &str) -> bool {
    owns_or_admin(caller, user_id)
}

/// Whether a request made with a token of `scopes` may run: one that changes something needs
/// `write`, one that only reads needs `read` (or `write`: a write-only token may still read
/// what it wrote). The admin scope is applied when the token is resolved: without it the user
/// acts as a plain user ([`crate::auth::resolve_token`]).
pub fn token_permits(scopes: ferry_core::TokenScopes, changes_something: bool) -> Result<()> {
    use ferry_core::TokenScope;
    let allowed = if changes_something {
        scopes.contains(TokenScope::Write)
    } else {
        scopes.contains(TokenScope::Read) || scopes.contains(TokenScope::Write)
    };
    if allowed {
        Ok(())
    } else {
        Err(Error::InsufficientScope)
    }
}
// ---- Organisation: companies, company admins, moderators, policies --------------------------
//
// A system admin administers everything. A company admin administers exactly its own company:
// its users, its groups, the policies on those and on the company, and its audit; anything of
// another company is `NotFound` (it does not exist for them). A moderator may list and revoke
// any link. Everyone else administers nothing (`Forbidden`).

/// What part of the organisation a caller administers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Administers {
    Everything,
    Company(String),
}

impl Administers {
    /// The company filter of a listing (`None`: everything).
    pub fn company(&self) -> Option<&str> {
        match self {
            Administers::Everything => None,
            Administers::Company(id) => Some(id),
        }
    }

    /// Whether something of `company_id` (`None`: of no company) is within reach.
    pub fn reaches(&self, company_id: Option<&str>) -> bool {
        match self {
            Administers::Everything => true,
            Administers::Company(id) => company_id == Some(id.as_str()),
        }
    }
}

/// What the caller administers; `Forbidden` for callers who administer nothing.
pub fn administers(caller: &Caller) -> Result<Administers> {
    match &caller.actor {
        Actor::System(_) => Ok(Administers::Everything),
        Actor::User(u) => match (u.role(), &u.company_id) {
            (Role::Admin, _) => Ok(Administers::Everything),
            (Role::CompanyAdmin, Some(company)) => Ok(Administers::Company(company.clone())),
            // A company admin without a company administers nothing.
            _ => Err(Error::Forbidden),
        },
    }
}

/// Whether the caller may ask if a login is taken (`GET /users/exists`): admins only, so
/// nobody else can probe for accounts (a company admin learns no more than a refused
/// `POST /users` would tell it). Returns their reach: the account is named only within it.
pub fn may_check_logins(caller: &Caller) -> Result<Administers> {
    administers(caller)
}

/// Loads a user the caller administers: out of reach is `NotFound`.
pub async fn managed_user(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    let scope = administers(caller)?;
    if !IdKind::User.matches(id) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    ferry_store::users::get(&mut conn, id)
        .await?
        .filter(|u| scope.reaches(u.company_id.as_deref()))
        .ok_or(Error::NotFound)
}

/// Whether the caller may change how the account logs in (password, second factor, tokens,
/// logins, login keys): not in a session an admin opened as the user, so support can never
/// take an account over or keep a way in.
pub fn may_manage_credentials(caller: &Caller) -> Result<()> {
    if caller.origin.impersonated_by.is_some() {
        return Err(Error::PermissionDenied);
    }
    Ok(())
}

/// Whether the caller may act as `user` for support (seed 001 "act as"): an admin of the
/// user (system admins: anyone; company admins: their company's), for plain users only
/// (never another admin, company admin or moderator), never themselves, never from a
/// session that is itself acting as someone.
pub fn may_impersonate(caller: &Caller, user: &User) -> Result<()> {
    may_manage_credentials(caller)?;
    may_change_user(caller, user)?;
    let me = caller.user_ref().ok_or(Error::Unauthorized)?;
    if me.id == user.id || user.role() != Role::User {
        return Err(Error::PermissionDenied);
    }
    Ok(())
}

/// Whether the caller may give `role` to a user: a company admin makes users and company
/// admins, never system admins or moderators (whose reach passes its company).
pub fn may_assign_role(caller: &Caller, role: Role) -> Result<()> {
    match administers(caller)? {
        Administers::Everything => Ok(()),
        Administers::Company(_) if matches!(role, Role::User | Role::CompanyAdmin) => Ok(()),
        Administers::Company(_) => Err(Error::PermissionDenied),
    }
}

/// Whether the caller may change `user` (already in reach, see [`managed_user`]): a company
/// admin may not change a system admin or moderator placed in its company.
pub fn may_change_user(caller: &Caller, user: &User) -> Result<()> {
    may_assign_role(caller, user.role())
}

/// The company a user the caller creates or moves belongs to: a system admin's choice (to be
/// checked to exist), a company admin's own company always (naming another is `NotFound`,
/// taking a user out of every company `PermissionDenied`).
pub fn company_for_user(
    caller: &Caller,
    requested: Option<Option<&str>>,
) -> Result<Option<Option<String>>> {
    match administers(caller)? {
        Administers::Everything => Ok(requested.map(|c| c.map(str::to_string))),
        Administers::Company(own) => match requested {
            None => Ok(None),
            Some(Some(c)) if c == own => Ok(Some(Some(own))),
            // Out of every company: theirs to see, not to do.
            Some(None) => Err(Error::PermissionDenied),
            Some(Some(_)) => Err(Error::NotFound),
        },
    }
}

/// Loads a company the caller may see: system admins any, anyone else their own company.
pub async fn company(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ferry_store::companies::Company> {
    if !IdKind::Company.matches(id) {
        return Err(Error::NotFound);
    }
    let visible = match &caller.actor {
        Actor::System(_) => true,
        Actor::User(u) => u.is_admin() || u.company_id.as_deref() == Some(id),
    };
    if !visible {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    ferry_store::companies::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)
}

/// Creating, changing and deleting companies, and listing them all: system admins only.
pub fn may_manage_companies(caller: &Caller) -> Result<()> {
    if is_admin(caller) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Whose usage the caller may see in the analytics: everyone's or one company's (system
/// admins, who may name a company), or their own company's (company admins; naming another
/// is `NotFound`). Anyone else is `Forbidden`.
pub fn analytics_scope(caller: &Caller, requested: Option<&str>) -> Result<Option<String>> {
    match administers(caller)? {
        Administers::Everything => Ok(requested.map(str::to_string)),
        Administers::Company(own) => match requested {
            Some(other) if other != own => Err(Error::NotFound),
            _ => Ok(Some(own)),
        },
    }
}

/// Whether the account itself may act at `now`: not disabled, not deleted, not past its
/// expiry date. Asked by every door that authenticates a user, and by work done on a user's
/// behalf later (tasks, temporary links).
pub fn account_usable(user: &User, now: i64) -> Result<()> {
    if user.is_deleted() {
        return Err(Error::AccountDeleted);
    }
    if user.is_disabled() {
        return Err(Error::AccountDisabled);
    }
    if user.is_expired(now) {
        return Err(Error::AccountExpired);
    }
    Ok(())
}

/// Whether the caller may act at all from where the request comes, as `user`: an inactive or
/// expired company's users may not (their tokens stop working), nor may anyone from an
/// address outside their policies' `allowed_ip_ranges`. Every door that authenticates a user
/// asks this.
pub async fn admit(app: &AppState, user: &User, origin: &crate::caller::Origin) -> Result<()> {
    if !user.company_active() {
        return Err(Error::CompanyInactive);
    }
    let policy = crate::policies::effective(app, user).await?;
    policy.check_address(origin.ip.as_deref())
}

/// What a policy may refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    Download,
    Upload,
    ShareLinks,
}

/// Whether the policies of `user` allow `what`: `PolicyDenied` if not. A link's downloads and
/// uploads are checked against its creator's policies (as Box does): a link is worth what its
/// creator may still do.
pub async fn require_policy(app: &AppState, user: &User, what: Guarded) -> Result<()> {
    let policy = crate::policies::effective(app, user).await?;
    policy.allows(what)
}

/// [`require_policy`] for the user behind the caller (the system is never refused).
pub async fn require_caller_policy(app: &AppState, caller: &Caller, what: Guarded) -> Result<()> {
    match caller.user_ref() {
        Some(user) => require_policy(app, user, what).await,
        None => Ok(()),
    }
}

/// Loads the target of a policy the caller may read or set: a company, a group or a user the
/// caller administers (`NotFound` otherwise); the policy's audit target kind comes with it.
pub async fn policy_target(
    app: &AppState,
    caller: &Caller,
    target: ferry_store::policies::PolicyTarget,
    id: &str,
) -> Result<()> {
    use ferry_store::policies::PolicyTarget;
    let scope = administers(caller)?;
    match target {
        PolicyTarget::Company => {
            company(app, caller, id).await?;
            if !scope.reaches(Some(id)) {
                return Err(Error::NotFound);
            }
        }
        PolicyTarget::Group => {
            group_to_manage(app, caller, id).await?;
        }
        PolicyTarget::User => {
            managed_user(app, caller, id).await?;
        }
    }
    Ok(())
}

/// The creator of a link, as long as their links may serve: once their company is inactive or
/// expired (or they are gone), their links answer `LinkRevoked`.
pub async fn link_creator(app: &AppState, creator_id: &str) -> Result<User> {
    let mut conn = app.store.conn().await?;
    match ferry_store::users::get(&mut conn, creator_id).await? {
        Some(user) if user.company_active() => Ok(user),
        _ => Err(Error::LinkRevoked),
    }
}

/// Whether a link of `creator_id` may serve `what` (a download through a download or folder
/// link, an upload through an upload link): the creator's policies decide, as Box does.
pub async fn link_allows(app: &AppState, creator_id: &str, what: Guarded) -> Result<()> {
    let creator = link_creator(app, creator_id).await?;
    require_policy(app, &creator, what).await
}

/// What the caller's policies make of a new link (of any kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTerms {
    /// The lifetime to use, in seconds (`None`: the server's default).
    pub expires_in: Option<i64>,
    /// The link must carry a watermark.
    pub force_watermark: bool,
}

/// Whether the caller may create a link, and on what terms: `PolicyDenied` without
/// `can_share_links` or when `requested` passes `max_link_expires_in_secs` (no request gets
/// `default`, capped).
pub async fn link_terms(
    app: &AppState,
    caller: &Caller,
    requested: Option<i64>,
    default: i64,
) -> Result<LinkTerms> {
    let Some(user) = caller.user_ref() else {
        return Ok(LinkTerms {
            expires_in: requested,
            force_watermark: false,
        });
    };
    let policy = crate::policies::effective(app, user).await?;
    policy.allows(Guarded::ShareLinks)?;
    Ok(LinkTerms {
        expires_in: policy.link_lifetime(requested, default)?,
        force_watermark: policy.force_watermark,
    })
}

// --- Company visibility: the directory and access requests (issue #12) ---------------------
//
// A top-level folder with visibility `company` is listed in the directory of its owner's
// company. The company's members see it there (name, description, owner) without being able
// to open it, and may ask for access; whoever may share the folder decides. For anyone else
// (another company's members, users of no company, tokens restricted to a folder) such a
// folder stays invisible: `NotFound`, like every folder they hold no role on.

/// Whether the caller may give a folder owned by `owner` the visibility `visibility`:
/// `company` is for top-level folders (the directory lists whole trees) of a company member
/// (there must be a company to show it to); `private` always. The caller needs `manage`,
/// checked with the rest of the change.
pub fn may_set_visibility(
    caller: &Caller,
    folder_is_top: bool,
    owner: &User,
    visibility: ferry_core::Visibility,
) -> Result<()> {
    if visibility == ferry_core::Visibility::Private {
        return Ok(());
    }
    if caller.restriction().is_some() {
        return Err(Error::PermissionDenied);
    }
    let why = if !folder_is_top {
        "Only top-level folders can be shown to the company."
    } else if owner.company_id.is_none() {
        "The folder's owner belongs to no company to show it to."
    } else {
        return Ok(());
    };
    Err(Error::invalid("visibility", "invalid_value", why))
}

/// The company whose directory the caller sees: their own. A caller of no company, or a
/// token restricted to one folder (whose world is that folder), sees none.
pub fn directory_company(caller: &Caller) -> Option<&str> {
    if caller.restriction().is_some() {
        return None;
    }
    caller.user_ref()?.company_id.as_deref()
}

/// Decides the caller's role on folders of the directory (top-level folders, so only the
/// shares on each itself count): one query for the whole page.
pub async fn resolve_directory_roles(
    conn: &mut ferry_store::Conn,
    now: i64,
    caller: &Caller,
    folders: &[Folder],
) -> Result<()> {
    let Some(user) = caller.user_ref() else {
        return Ok(());
    };
    let ids: Vec<&str> = folders
        .iter()
        .filter(|f| f.parent_id.is_none() && folder_role(caller, f).is_none())
        .map(|f| f.id.as_str())
        .collect();
    for grant in ferry_store::collaborations::grants_on(conn, &user.id, &ids, now).await? {
        if caller.granted(&grant.folder_id) < Some(grant.role) {
            caller.grant(&grant.folder_id, grant.role);
        }
    }
    Ok(())
}

/// Whether `folder` is in the caller's directory: a live top-level folder shown to the
/// company of its owner `owner`, which is the caller's.
fn in_directory_of(caller: &Caller, folder: &Folder, owner: &User) -> bool {
    folder.is_live()
        && folder.parent_id.is_none()
        && folder.visibility == ferry_core::Visibility::Company.as_str()
        && directory_company(caller).is_some_and(|c| owner.company_id.as_deref() == Some(c))
}

/// A folder of the caller's directory they may ask access to. Not in their directory:
/// `NotFound`; a role on it already (their own folder, a share, an admin): `Conflict`.
pub async fn requestable_folder(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    if !IdKind::Folder.matches(id) || directory_company(caller).is_none() {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    let folder = ferry_store::folders::get(&mut conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    let owner = ferry_store::users::get(&mut conn, &folder.owner_id)
        .await?
        .ok_or(Error::NotFound)?;
    if !in_directory_of(caller, &folder, &owner) {
        return Err(Error::NotFound);
    }
    if resolve_role(&mut conn, app.now_ms(), caller, &folder)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(
            "You have access to this folder already.".into(),
        ));
    }
    Ok(folder)
}

/// The folder whose access requests the caller may see and decide: `share` on it (managers
/// and owners); a visible folder without it is `PermissionDenied`, anything else `NotFound`.
pub async fn access_requests_folder(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    folder(app, caller, id, Permission::Share).await
}

/// Loads an access request the caller may decide, with its folder (see
/// [`access_requests_folder`]); an unknown one is `NotFound`.
pub async fn decidable_access_request(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(ferry_store::access_requests::AccessRequest, Folder)> {
    if !IdKind::AccessRequest.matches(id) {
        return Err(Error::NotFound);
    }
    let request = {
        let mut conn = app.store.conn().await?;
        ferry_store::access_requests::get(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    // Whoever cannot see the folder learns nothing of the request either.
    let folder = visible_folder(app, caller, &request.folder_id).await?;
    permit(caller, &folder, Permission::Share)?;
    Ok((request, folder))
}

// --- Profile pictures and company logos (issue #13) -----------------------------------------
//
// Who sees a user's picture is who sees the user: the user, whoever administers them (system
// admins everyone, a company admin its company's users: the reach of [`managed_user`]), and
// the other members of the user's company, as the directory shows a company's members to each
// other ([`directory_company`]; so a token restricted to one folder sees nobody's). Anyone
// else: `NotFound`, as for an account that does not exist. A user changes their own picture;
// whoever may change the user ([`managed_user`], [`may_change_user`]) may change it too. A
// company's logo is seen by whoever sees the company ([`company`]), and by anyone holding a
// live link of one of its users (the link's landing page shows it, see `pictures`); it is
// changed by system admins and the company's own admins.

/// Loads a user whose profile picture the caller may see; anyone else is `NotFound`.
pub async fn visible_user(app: &AppState, caller: &Caller, id: &str) -> Result<User> {
    if !IdKind::User.matches(id) {
        return Err(Error::NotFound);
    }
    let user = {
        let mut conn = app.store.conn().await?;
        ferry_store::users::get(&mut conn, id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let company = user.company_id.as_deref();
    let sees = match &caller.actor {
        Actor::System(_) => true,
        Actor::User(me) => {
            me.id == user.id
                || administers(caller).is_ok_and(|a| a.reaches(company))
                || (!user.is_deleted() && company.is_some() && directory_company(caller) == company)
        }
    };
    if sees { Ok(user) } else { Err(Error::NotFound) }
}

/// Loads the user whose profile picture the caller changes: themselves (`None`, or their own
/// id), or a user they may change as an admin (out of reach `NotFound`; a plain user naming
/// someone else `Forbidden`, as for every `/users/{id}` change).
pub async fn picture_subject(app: &AppState, caller: &Caller, id: Option<&str>) -> Result<User> {
    let me = caller.user_ref().ok_or(Error::Unauthorized)?;
    let id = id.unwrap_or(me.id.as_str());
    if id == me.id.as_str() {
        let mut conn = app.store.conn().await?;
        return ferry_store::users::get(&mut conn, id)
            .await?
            .ok_or(Error::NotFound);
    }
    let user = managed_user(app, caller, id).await?;
    may_change_user(caller, &user)?;
    Ok(user)
}

/// Loads a company whose logo the caller may change: system admins any, a company admin
/// its own; a member who sees the company but does not administer it is `PermissionDenied`,
/// anyone else `NotFound`.
pub async fn logo_company(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ferry_store::companies::Company> {
    let found = company(app, caller, id).await?;
    match administers(caller) {
        Ok(scope) if scope.reaches(Some(id)) => Ok(found),
        _ => Err(Error::PermissionDenied),
    }
}
