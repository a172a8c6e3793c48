//! Folders: the tree (create, list, children, rename, move, copy), a folder's files, and
//! folder quotas and sizes. Deletion is in [`crate::trash`].

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, OnConflict, Permission, Sort, Visibility, validate};
use ferry_store::files::File;
use ferry_store::folders::{After, Folder, FolderChanges, Namespace, NewFolder};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::namespace::{self, free_name, inherited_retention_days};
use crate::state::AppState;

/// What a new folder asks for.
pub struct NewFolderRequest<'a> {
    pub name: &'a str,
    /// A subfolder of this folder; `None` makes a top-level folder owned by the caller.
    pub parent_id: Option<&'a str>,
    pub retention_days: Option<i64>,
    pub visibility: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Top-level folders only: when the tree expires.
    pub expires_at: Option<i64>,
}

/// A folder with its path from its owner's root.
pub struct Entry {
    pub folder: Folder,
    pub path: String,
}

/// A folder's storage: its owner's limit and the bytes its files hold.
pub struct FolderQuota {
    pub limit_bytes: Option<i64>,
    pub used_bytes: i64,
}

/// Longest description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 4096;

fn description(value: &str) -> Result<&str> {
    if value.len() > MAX_DESCRIPTION_BYTES || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            "description",
            "invalid_value",
            "description must be at most 4096 bytes without control characters.",
        ));
    }
    Ok(value)
}

pub(crate) fn checked_description(value: Option<&str>) -> Result<Option<&str>> {
    value.map(description).transpose()
}

fn visibility(value: &str) -> Result<Visibility> {
    Visibility::parse(value).ok_or_else(|| {
        Error::invalid(
            "visibility",
            "invalid_value",
            "visibility must be `private` or `company`.",
        )
    })
}

fn retention(value: i64, inherited: i64) -> Result<i64> {
    let days = validate::in_range("retention_days", value, 0..=validate::MAX_RETENTION_DAYS)?;
    if days < inherited {
        return Err(Error::invalid(
            "retention_days",
            "invalid_value",
            format!(
                "retention_days must be at least {inherited}: a folder inherits the longest \
                 rule above it and may only lengthen it."
            ),
        ));
    }
    Ok(days)
}

/// Creates a folder: top-level (owned by the caller) or inside `parent_id` (needs `write`
/// there; it belongs to the top-level folder's owner).
pub async fn create(app: &AppState, caller: &Caller, new: NewFolderRequest<'_>) -> Result<Entry> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let name = validate::stored_name("name", new.name)?;
    let visibility = new.visibility.map(visibility).transpose()?;
    if let Some(v) = visibility {
        access::may_set_visibility(caller, new.parent_id.is_none(), user, v)?;
    }
    let visibility = visibility.unwrap_or(Visibility::Private);
    let description = description(new.description.unwrap_or(""))?;
    let expires_at = expiry(app, new.parent_id.is_none(), new.expires_at)?;
    let parent = match new.parent_id {
        Some(id) => Some(access::folder(app, caller, id, Permission::Write).await?),
        None if !access::may_own_top_level(caller, &user.id) => {
            return Err(Error::PermissionDenied);
        }
        None => None,
    };
    let id = IdKind::Folder.generate();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let (owner_id, chain) = match &parent {
        Some(p) => (
            p.owner_id.clone(),
            namespace::live_chain(&mut tx, &p.id).await?,
        ),
        None => (user.id.clone(), Vec::new()),
    };
    if chain.len() >= validate::MAX_DEPTH {
        return Err(Error::TooDeep {
            max: validate::MAX_DEPTH,
        });
    }
    let retention_days = retention(
        new.retention_days
            .unwrap_or(inherited_retention_days(&chain)),
        inherited_retention_days(&chain),
    )?;
    let ns = match &parent {
        Some(p) => Namespace::In { folder_id: &p.id },
        None => Namespace::Top {
            owner_id: &owner_id,
        },
    };
    ferry_store::folders::lock(&mut tx, ns).await?;
    free_name(&mut tx, ns, &name, OnConflict::Fail, None).await?;
    let inserted = ferry_store::folders::insert(
        &mut tx,
        &NewFolder {
            id: &id,
            owner_id: &owner_id,
            parent_id: parent.as_ref().map(|p| p.id.as_str()),
            name: &name,
            description,
            visibility: visibility.as_str(),
            retention_days,
            expires_at: parent.as_ref().map_or(expires_at, |p| p.expires_at),
            now,
        },
    )
    .await;
    match inserted {
        Err(ferry_store::StoreError::Conflict) => {
            return Err(Error::NameConflict(format!(
                "Something named `{name}` already exists here."
            )));
        }
        other => other?,
    }
    let folder = ferry_store::folders::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    let mut chain = chain;
    chain.push(folder.clone());
    let path = namespace::path_for(&mut tx, caller, &chain).await?;
    audit::success(
        &caller.origin,
        Some(user),
        Action::FolderCreated,
        (TargetKind::Folder, &id),
    )
    .at(now)
    .in_folder(&id)
    .details(
        json!({"name": name, "path": path, "parent_id": new.parent_id,
        "retention_days": retention_days}),
    )
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Entry { folder, path })
}

/// A folder the caller can read, with its path.
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<Entry> {
    let folder = access::folder_to_show(app, caller, id).await?;
    let mut conn = app.store.conn().await?;
    let path = namespace::folder_path(&mut conn, caller, &folder.id).await?;
    Ok(Entry { folder, path })
}

/// The caller's root: the top-level folders they can see, by name after `after`; `limit + 1`
/// rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<Entry>> {
    if let Some(root) = caller.restriction() {
        // A token restricted to one folder has that folder alone as its root.
        let mut entry = get(app, caller, root).await?;
        let key = validate::name_key(&entry.folder.name);
        if after
            .as_ref()
            .is_some_and(|(k, i)| (key.as_str(), entry.folder.id.as_str()) <= (k, i))
        {
            return Ok(Vec::new());
        }
        entry.folder.parent_id = None;
        return Ok(vec![entry]);
    }
    let scope = access::folder_scope(caller);
    let mut conn = app.store.conn().await?;
    let position = after.as_ref().map(|(n, i)| (n.as_str(), i.as_str()));
    let rows = ferry_store::folders::list_top(&mut conn, scope.owner_filter(), position, limit + 1)
        .await?;
    let mut entries: Vec<(String, Entry)> = rows
        .into_iter()
        .map(|folder| {
            let entry = Entry {
                path: format!("/{}", folder.name),
                folder,
            };
            (validate::name_key(&entry.folder.name), entry)
        })
        .collect();
    // What is shared with the caller is mounted in their root under its mount name.
    if let (access::FolderScope::OwnedBy(user_id), Some(_)) = (&scope, caller.user_ref()) {
        let now = app.now_ms();
        for share in ferry_store::collaborations::mounts(&mut conn, user_id, now).await? {
            let Some(mut folder) = ferry_store::folders::get(&mut conn, &share.folder_id).await?
            else {
                continue;
            };
            if folder.owner_id == *user_id
                || access::resolve_role(&mut conn, now, caller, &folder)
                    .await?
                    .is_none()
            {
                continue;
            }
            let name = share
                .mount_name
                .clone()
                .unwrap_or_else(|| folder.name.clone());
            let key = validate::name_key(&name);
            if position.is_some_and(|(k, i)| (key.as_str(), folder.id.as_str()) <= (k, i)) {
                continue;
            }
            if entries.iter().any(|(_, e)| e.folder.id == folder.id) {
                continue;
            }
            folder.name = name;
            folder.parent_id = None;
            entries.push((
                key,
                Entry {
                    path: format!("/{}", folder.name),
                    folder,
                },
            ));
        }
        entries.sort_by(|(a, x), (b, y)| (a, &x.folder.id).cmp(&(b, &y.folder.id)));
        entries.truncate(limit as usize + 1);
    }
    Ok(entries.into_iter().map(|(_, e)| e).collect())
}

/// A folder's subfolders in `sort` order after the cursor; `limit + 1` rows.
pub async fn children(
    app: &AppState,
    caller: &Caller,
    id: &str,
    sort: Sort,
    after: Option<After>,
    limit: i64,
) -> Result<Vec<Entry>> {
    let parent = get(app, caller, id).await?;
    access::permit(caller, &parent.folder, Permission::Read)?;
    let mut conn = app.store.conn().await?;
    let rows = ferry_store::folders::children(
        &mut conn,
        &parent.folder.id,
        sort,
        after.as_ref(),
        limit + 1,
    )
    .await?;
    // A collaborator holds at least the parent's role on each child (a higher one shared on
    // the child itself counts too).
    let now = app.now_ms();
    for child in &rows {
        access::resolve_role(&mut conn, now, caller, child).await?;
    }
    let base = if parent.path == "/" { "" } else { &parent.path };
    Ok(rows
        .into_iter()
        .map(|folder| Entry {
            path: format!("{base}/{}", folder.name),
            folder,
        })
        .collect())
}

/// A folder's live files (not deleted, not expired) in `sort` order after the cursor, with
/// the folder's path; `limit + 1` rows.
pub async fn files(
    app: &AppState,
    caller: &Caller,
    id: &str,
    sort: Sort,
    after: Option<After>,
    limit: i64,
) -> Result<(Vec<File>, String)> {
    let folder = get(app, caller, id).await?;
    let mut conn = app.store.conn().await?;
    let rows = match access::files_scope(caller, &folder.folder)? {
        access::FilesScope::All => {
            ferry_store::files::list_live(
                &mut conn,
                &folder.folder.id,
                app.now_ms(),
                sort,
                after.as_ref(),
                limit + 1,
            )
            .await?
        }
        access::FilesScope::AddedBy(user_id) => {
            ferry_store::files::list_added_by(
                &mut conn,
                &folder.folder.id,
                &user_id,
                app.now_ms(),
                sort,
                after.as_ref(),
                limit + 1,
            )
            .await?
        }
    };
    Ok((rows, folder.path))
}

/// What a PATCH of a folder asks for.
#[derive(Default)]
pub struct FolderPatch<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub retention_days: Option<i64>,
    /// A new expiry of a top-level folder's tree (`Some(None)`: none).
    pub expires_at: Option<Option<i64>>,
    /// A new size limit of the folder's subtree (`Some(None)`: none).
    pub size_limit_bytes: Option<Option<i64>>,
    /// `private` or `company` (top-level folders of a company member only).
    pub visibility: Option<&'a str>,
}

/// An expiry asked for: top-level folders only, and in the future.
fn expiry(app: &AppState, folder_is_top: bool, at: Option<i64>) -> Result<Option<i64>> {
    let Some(at) = at else {
        return Ok(None);
    };
    if !folder_is_top {
        return Err(Error::invalid(
            "expires_at",
            "invalid_value",
            "Only top-level folders expire; a subfolder expires with its top-level folder.",
        ));
    }
    if at <= app.now_ms() {
        return Err(Error::invalid(
            "expires_at",
            "invalid_value",
            "expires_at must be in the future.",
        ));
    }
    Ok(Some(at))
}

/// Renames, describes or changes the retention of a folder; `revision` (from `If-Match`)
/// refuses a lost update. A rename needs `write` (of a top-level folder: `manage`), the
/// retention rule `manage`.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    patch: FolderPatch<'_>,
    revision: Option<i64>,
) -> Result<Entry> {
    let folder = access::folder(app, caller, id, Permission::Read).await?;
    let renaming_top = patch.name.is_some() && folder.parent_id.is_none();
    let needed = if patch.retention_days.is_some()
        || patch.expires_at.is_some()
        || patch.size_limit_bytes.is_some()
        || patch.visibility.is_some()
        || renaming_top
    {
        Permission::Manage
    } else {
        Permission::Write
    };
    if !access::folder_permissions(caller, &folder).contains(&needed) {
        return Err(Error::PermissionDenied);
    }
    let name = patch
        .name
        .map(|n| validate::stored_name("name", n))
        .transpose()?;
    let description = checked_description(patch.description)?;
    let new_visibility = patch.visibility.map(visibility).transpose()?;
    if let Some(v) = new_visibility {
        let mut conn = app.store.conn().await?;
        let owner = ferry_store::users::get(&mut conn, &folder.owner_id)
            .await?
            .ok_or(Error::NotFound)?;
        access::may_set_visibility(caller, folder.parent_id.is_none(), &owner, v)?;
    }
    let size_limit = patch
        .size_limit_bytes
        .map(|limit| {
            limit
                .map(|l| validate::in_range("size_limit_bytes", l, 1..=i64::MAX / 2))
                .transpose()
        })
        .transpose()?;
    let expires_at = patch
        .expires_at
        .map(|at| expiry(app, folder.parent_id.is_none(), at))
        .transpose()?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let ns = Namespace::of(&folder);
    ferry_store::folders::lock(&mut tx, ns).await?;
    // Read inside the transaction: a folder a concurrent delete just trashed is gone.
    let chain = namespace::live_chain(&mut tx, &folder.id).await?;
    let above = &chain[..chain.len().saturating_sub(1)];
    let retention_days = patch
        .retention_days
        .map(|d| retention(d, inherited_retention_days(above)))
        .transpose()?;
    if let Some(name) = &name {
        free_name(&mut tx, ns, name, OnConflict::Fail, Some(&folder.id)).await?;
    }
    let changes = FolderChanges {
        name: name.as_deref(),
        description,
        retention_days,
        visibility: new_visibility.map(Visibility::as_str),
    };
    if !ferry_store::folders::update(&mut tx, &folder.id, &changes, revision, now).await? {
        return Err(Error::PreconditionFailed);
    }
    if let Some(at) = expires_at {
        // The whole tree carries its top-level folder's expiry.
        let tree: Vec<String> = ferry_store::folders::live_subtree(&mut tx, &folder.id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ferry_store::folders::set_expiry(&mut tx, &tree, at).await?;
    }
    if let Some(limit) = size_limit {
        ferry_store::folders::set_size_limit(&mut tx, &folder.id, limit).await?;
    }
    let updated = ferry_store::folders::get(&mut tx, &folder.id)
        .await?
        .ok_or(Error::NotFound)?;
    let (action, details) = match &name {
        Some(n) if *n != folder.name => {
            (Action::FolderRenamed, json!({"from": folder.name, "to": n}))
        }
        _ => (
            Action::FolderUpdated,
            json!({"description": description.is_some(), "retention_days": retention_days,
                "expires_at": expires_at.map(|at| at.map(ferry_core::timefmt::rfc3339)),
                "size_limit_bytes": size_limit,
                "visibility": new_visibility.map(Visibility::as_str)}),
        ),
    };
    audit::success(
        &caller.origin,
        caller.user_ref(),
        action,
        (TargetKind::Folder, &folder.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(details)
    .append(&mut tx)
    .await?;
    let mut chain = chain;
    if let Some(last) = chain.last_mut() {
        *last = updated.clone();
    }
    let path = namespace::path_for(&mut tx, caller, &chain).await?;
    tx.commit().await?;
    Ok(Entry {
        path,
        folder: updated,
    })
}

/// Where a move or copy goes and what it may do there.
pub struct Destination<'a> {
    /// The new parent; `None` is the top level (moves only).
    pub parent_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub on_conflict: OnConflict,
    /// Check everything, change nothing.
    pub dry_run: bool,
    /// `If-Match`: refuse if the moved object changed.
    pub revision: Option<i64>,
}

/// The outcome of a move or copy: done, or (a dry run) what it would have produced.
pub enum Outcome<T> {
    Done(T),
    WouldSucceed,
}

/// Moves a folder (with everything below it) under another parent or to the top level.
/// Atomic and cycle-safe: tree moves are serialised and the cycle check runs inside the lock.
/// O(1) in the folder's contents within one owner's tree; into another owner's tree the
/// subtree changes owner (and quota) with it.
pub async fn move_folder(
    app: &AppState,
    caller: &Caller,
    id: &str,
    to: Destination<'_>,
) -> Result<Outcome<Entry>> {
    let folder = access::folder(app, caller, id, Permission::Read).await?;
    let needed = if folder.parent_id.is_none() {
        Permission::Manage
    } else {
        Permission::Write
    };
    if !access::folder_permissions(caller, &folder).contains(&needed) {
        return Err(Error::PermissionDenied);
    }
    let target = match to.parent_id {
        Some(p) => {
            let target = writable_target(app, caller, p).await?;
            access::may_move_between(caller, &folder, &target)?;
            Some(target)
        }
        None => {
            if !access::may_own_top_level(caller, &folder.owner_id) {
                return Err(Error::PermissionDenied);
            }
            None
        }
    };
    let name = match to.name {
        Some(n) => validate::stored_name("name", n)?,
        None => folder.name.clone(),
    };
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock_tree(&mut tx).await?;
    let folder = ferry_store::folders::get(&mut tx, &folder.id)
        .await?
        .filter(Folder::is_live)
        .ok_or(Error::NotFound)?;
    if to.revision.is_some_and(|r| r != folder.revision) {
        return Err(Error::PreconditionFailed);
    }
    let (chain, ns, new_owner) = match &target {
        Some(t) => {
            let chain = namespace::live_chain(&mut tx, &t.id).await?;
            if chain.iter().any(|f| f.id == folder.id) {
                return Err(Error::InvalidMove);
            }
            (
                chain,
                Namespace::In { folder_id: &t.id },
                t.owner_id.clone(),
            )
        }
        None => (
            Vec::new(),
            Namespace::Top {
                owner_id: &folder.owner_id,
            },
            folder.owner_id.clone(),
        ),
    };
    let subtree = ferry_store::folders::live_subtree(&mut tx, &folder.id).await?;
    let height = subtree.iter().map(|(_, d)| *d as usize).max().unwrap_or(0);
    if chain.len() + 1 + height > validate::MAX_DEPTH {
        return Err(Error::TooDeep {
            max: validate::MAX_DEPTH,
        });
    }
    ferry_store::folders::lock(&mut tx, ns).await?;
    let name = free_name(&mut tx, ns, &name, to.on_conflict, Some(&folder.id)).await?;
    if new_owner != folder.owner_id {
        let ids = ferry_store::folders::whole_subtree(&mut tx, &folder.id).await?;
        // Owner first: it locks the rows, so an upload finishing in there either went in
        // before (and is counted below) or waits and follows the new owner (`add_file`).
        ferry_store::folders::set_owner(&mut tx, &ids, &new_owner).await?;
        let bytes = ferry_store::folders::stored_bytes(&mut tx, &ids).await?;
        transfer_quota(&mut tx, &folder.owner_id, &new_owner, bytes).await?;
    }
    // Into another tree, the folder takes that tree's expiry (to the top level, it keeps its
    // own); within one tree nothing changes, so such moves stay one row.
    if let Some(t) = &target
        && t.expires_at != folder.expires_at
    {
        let ids = ferry_store::folders::whole_subtree(&mut tx, &folder.id).await?;
        ferry_store::folders::set_expiry(&mut tx, &ids, t.expires_at).await?;
    }
    let parent_id = target.as_ref().map(|t| t.id.as_str());
    if !ferry_store::folders::relocate(&mut tx, &folder.id, parent_id, &name, None, now).await? {
        return Err(Error::NotFound);
    }
    if to.dry_run {
        return Ok(Outcome::WouldSucceed);
    }
    let moved = ferry_store::folders::get(&mut tx, &folder.id)
        .await?
        .ok_or(Error::NotFound)?;
    let mut chain = chain;
    chain.push(moved.clone());
    let path = namespace::path_for(&mut tx, caller, &chain).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FolderMoved,
        (TargetKind::Folder, &folder.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(
        json!({"from_parent_id": folder.parent_id, "to_parent_id": parent_id,
        "name": name, "path": path}),
    )
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(Outcome::Done(Entry {
        folder: moved,
        path,
    }))
}

/// A folder the caller may add to: invisible is `404`, visible without `write` is `403`.
pub(crate) async fn writable_target(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    let target = access::folder(app, caller, id, Permission::Read)
        .await
        .or(Err(Error::NotFound))?;
    if !access::folder_permissions(caller, &target).contains(&Permission::Write) {
        return Err(Error::PermissionDenied);
    }
    Ok(target)
}

/// Charges `bytes` to `owner_id`'s quota (and their company's), or refuses with
/// `413 quota_exceeded`.
pub(crate) async fn charge(tx: &mut ferry_store::Tx, owner_id: &str, bytes: i64) -> Result<()> {
    match ferry_store::users::reserve_quota(tx, owner_id, bytes).await? {
        Ok(()) => Ok(()),
        Err(ferry_store::users::Refused::User) => {
            let owner = ferry_store::users::get(tx, owner_id).await?;
            Err(Error::QuotaExceeded {
                limit: owner.as_ref().and_then(|o| o.quota_bytes),
                used: owner.map_or(0, |o| o.used_bytes),
            })
        }
        // The company's quota is the one that would be passed: its numbers, same code.
        Err(ferry_store::users::Refused::Company { limit, used }) => {
            Err(Error::QuotaExceeded { limit, used })
        }
    }
}

/// Refuses `bytes` more under the last folder of `chain` (top-level folder first) when a
/// folder on it has a size limit they would pass: `413 folder_size_limit`. Each limited
/// folder's row is locked first, nearest first (the order every writer takes, deeper rows
/// before shallower ones, so two writers never wait on each other), so that concurrent
/// additions under one limit are checked one after the other and can never pass it together.
pub(crate) async fn check_size_limits(
    tx: &mut ferry_store::Tx,
    chain: &[Folder],
    bytes: i64,
) -> Result<()> {
    for limited in chain.iter().rev() {
        let Some(limit) = limited.size_limit_bytes else {
            continue;
        };
        ferry_store::folders::lock_row(tx, &limited.id, &limited.owner_id).await?;
        let ids: Vec<String> = ferry_store::folders::live_subtree(tx, &limited.id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let used = ferry_store::folders::live_bytes(tx, &ids).await?;
        if used + bytes > limit {
            return Err(Error::FolderSizeLimit {
                folder: limited.name.clone(),
                limit,
                used,
            });
        }
    }
    Ok(())
}

/// Moves `bytes` of stored content from one user's quota to another's (refused if it does not
/// fit the receiver's quota).
pub(crate) async fn transfer_quota(
    tx: &mut ferry_store::Tx,
    from: &str,
    to: &str,
    bytes: i64,
) -> Result<()> {
    if from == to || bytes == 0 {
        return Ok(());
    }
    charge(tx, to, bytes).await?;
    ferry_store::users::release_quota(tx, from, bytes).await?;
    Ok(())
}

/// What a folder holds, recursively: live files, their bytes (current versions) and
/// subfolders.
pub struct FolderSize {
    pub bytes: i64,
    pub files: i64,
    pub folders: i64,
}

/// The recursive size of a folder the caller can read.
pub async fn size(app: &AppState, folder: &Folder) -> Result<FolderSize> {
    let mut conn = app.store.conn().await?;
    let subtree = ferry_store::folders::live_subtree(&mut conn, &folder.id).await?;
    let ids: Vec<String> = subtree.into_iter().map(|(id, _)| id).collect();
    let contents = ferry_store::folders::contents(&mut conn, &ids).await?;
    Ok(FolderSize {
        bytes: contents.bytes,
        files: contents.files,
        folders: ids.len() as i64 - 1,
    })
}

/// The quota view of each folder, in order, with one query for the owners and one for the
/// bytes used, however many folders there are.
pub async fn quotas(app: &AppState, folders: &[Folder]) -> Result<Vec<FolderQuota>> {
    if folders.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = app.store.conn().await?;
    let ids: Vec<&str> = folders.iter().map(|f| f.id.as_str()).collect();
    let owners: Vec<&str> = folders.iter().map(|f| f.owner_id.as_str()).collect();
    let used = ferry_store::folders::used_bytes_of(&mut conn, &ids).await?;
    let limits = ferry_store::users::quotas_of(&mut conn, &owners).await?;
    Ok(folders
        .iter()
        .map(|f| FolderQuota {
            limit_bytes: limits.get(f.owner_id.as_str()).copied().flatten(),
            used_bytes: used.get(f.id.as_str()).copied().unwrap_or(0),
        })
        .collect())
}

/// The folder `relative_path` (`2026/reports`, relative to `base`) names, creating each missing
/// level (seed 003's `relativePath`). Two uploads racing to create the same path both get the
/// one folder: a level someone else created first is simply used. Needs `write` on `base`.
pub async fn ensure_subfolders(
    app: &AppState,
    caller: &Caller,
    base: &Folder,
    relative_path: &str,
) -> Result<Folder> {
    let names = validate::relative_path(relative_path)?;
    let mut current = base.clone();
    for name in names {
        let existing = {
            let mut conn = app.store.conn().await?;
            ferry_store::folders::by_name(
                &mut conn,
                Namespace::In {
                    folder_id: &current.id,
                },
                &name,
            )
            .await?
        };
        if let Some(folder) = existing {
            current = folder;
            continue;
        }
        let created = create(
            app,
            caller,
            NewFolderRequest {
                name: &name,
                parent_id: Some(&current.id),
                retention_days: None,
                visibility: None,
                description: None,
                expires_at: None,
            },
        )
        .await;
        current = match created {
            Ok(entry) => entry.folder,
            // Someone made it between our look and our insert: use theirs.
            Err(Error::NameConflict(message)) => {
                let mut conn = app.store.conn().await?;
                ferry_store::folders::by_name(
                    &mut conn,
                    Namespace::In {
                        folder_id: &current.id,
                    },
                    &name,
                )
                .await?
                .ok_or(Error::NameConflict(message))?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(current)
}
