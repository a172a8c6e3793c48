//! Deleting and the trash. A deleted file or folder (a folder with everything below it, as one
//! item) is held when a retention rule applies to it, otherwise it waits in the trash for
//! `trash.keep_days`; either way it can be restored until it is purged, and its bytes count
//! towards the owner's quota until then.

use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, ItemKind, OnConflict, Permission, TaskKind, TrashState, validate};
use ferry_store::files::File;
use ferry_store::folders::{Folder, Namespace};
use ferry_store::trash::TrashItem;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::namespace::{ancestry, free_name, inherited_retention_days, path_of};
use crate::state::AppState;
use crate::tasks::{self, Claim, Stop, Task};

const DAY_MS: i64 = 86_400_000;

/// What a delete did.
pub enum Deleted<T> {
    /// A retention rule applies: the item is held, restorable until the hold ends.
    Held(Box<T>),
    /// In the trash (or purged at once with `permanent`).
    Gone,
}

fn deleted_by(caller: &Caller) -> (Option<String>, Option<String>) {
    match caller.user_ref() {
        Some(u) => (Some(u.id.to_string()), Some(u.login.clone())),
        None => (None, None),
    }
}

/// Deletes a file (needs `write`): held when its folder or any folder above it keeps deleted
/// files, else into the trash; `permanent` purges it at once (not when a rule holds it).
pub async fn delete_file(
    app: &AppState,
    caller: &Caller,
    id: &str,
    permanent: bool,
) -> Result<Deleted<File>> {
    let (file, folder) = access::file(app, caller, id, Permission::Read).await?;
    if !access::folder_permissions(caller, &folder).contains(&Permission::Write) {
        return Err(Error::PermissionDenied);
    }
    if file.is_held() {
        return Err(Error::FileHeld);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    // Re-read inside the transaction: a concurrent delete may have won.
    let file = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .filter(|f| f.trash_id.is_none())
        .ok_or(Error::NotFound)?;
    let chain = ancestry(&mut tx, &folder.id).await?;
    let retention_days = inherited_retention_days(&chain);
    if permanent && retention_days > 0 {
        return Err(Error::FileHeld);
    }
    let record = |action| {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            action,
            (TargetKind::File, &file.id),
        )
        .at(now)
        .in_folder(&folder.id)
    };
    record(Action::FileDeleted)
        .details(
            json!({"name": file.name, "size": file.size, "retention_days": retention_days,
            "permanent": permanent}),
        )
        .append(&mut tx)
        .await?;
    if permanent {
        if !ferry_store::files::remove(&mut tx, &file, now).await? {
            return Err(Error::NotFound);
        }
        record(Action::FilePurged)
            .details(json!({"name": file.name, "size": file.size, "reason": "permanent"}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        return Ok(Deleted::Gone);
    }
    let (state, held_until, purge_at) = if retention_days > 0 {
        let until = now + retention_days * DAY_MS;
        (TrashState::Held, Some(until), until)
    } else {
        (
            TrashState::Trashed,
            None,
            now + app.config.trash.keep_days * DAY_MS,
        )
    };
    match held_until {
        Some(until) => ferry_store::files::hold(&mut tx, &file.id, until, now).await?,
        None => ferry_store::files::trash(&mut tx, &file.id, now).await?,
    }
    let (by_id, by_login) = deleted_by(caller);
    ferry_store::trash::insert(
        &mut tx,
        &TrashItem {
            id: file.id.to_string(),
            kind: ItemKind::File,
            name: file.name.clone(),
            original_parent_id: Some(folder.id.to_string()),
            original_path: format!("{}/{}", path_of(&chain), file.name),
            owner_id: folder.owner_id.clone(),
            size: file.size,
            state,
            held_until,
            purge_at,
            deleted_at: now,
            deleted_by_id: by_id,
            deleted_by_login: by_login,
        },
    )
    .await?;
    if let Some(until) = held_until {
        record(Action::FileHeld)
            .details(json!({"held_until": rfc3339(until)}))
            .append(&mut tx)
            .await?;
        let held = ferry_store::files::get(&mut tx, &file.id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        return Ok(Deleted::Held(Box::new(held)));
    }
    tx.commit().await?;
    Ok(Deleted::Gone)
}

/// Deletes a folder with everything below it, as one trash item (needs `write`; a top-level
/// folder `manage`). Held when a retention rule applies anywhere in it or above it.
pub async fn delete_folder(
    app: &AppState,
    caller: &Caller,
    id: &str,
    permanent: bool,
) -> Result<Deleted<TrashItem>> {
    let folder = access::folder(app, caller, id, Permission::Read).await?;
    let needed = if folder.parent_id.is_none() {
        Permission::Manage
    } else {
        Permission::Write
    };
    if !access::folder_permissions(caller, &folder).contains(&needed) {
        return Err(Error::PermissionDenied);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock_tree(&mut tx).await?;
    let folder = ferry_store::folders::get(&mut tx, &folder.id)
        .await?
        .filter(Folder::is_live)
        .ok_or(Error::NotFound)?;
    let chain = ancestry(&mut tx, &folder.id).await?;
    let subtree: Vec<String> = ferry_store::folders::live_subtree(&mut tx, &folder.id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut retention_days = inherited_retention_days(&chain);
    for id in &subtree {
        if let Some(f) = ferry_store::folders::get(&mut tx, id).await? {
            retention_days = retention_days.max(f.retention_days);
        }
    }
    // Files held inside (deleted under a rule that may since have been lowered) keep their
    // hold: the folder is held at least as long.
    let everything = ferry_store::folders::whole_subtree(&mut tx, &folder.id).await?;
    let inner_hold = ferry_store::files::latest_hold_in(&mut tx, &everything)
        .await?
        .filter(|until| *until > now);
    if permanent && (retention_days > 0 || inner_hold.is_some()) {
        return Err(Error::FileHeld);
    }
    let contents = ferry_store::folders::contents(&mut tx, &subtree).await?;
    let record = |action| {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            action,
            (TargetKind::Folder, &folder.id),
        )
        .at(now)
        .in_folder(&folder.id)
    };
    let path = path_of(&chain);
    record(Action::FolderDeleted)
        .details(
            json!({"name": folder.name, "path": path, "folders": subtree.len(),
            "files": contents.files, "bytes": contents.bytes, "retention_days": retention_days,
            "permanent": permanent}),
        )
        .append(&mut tx)
        .await?;
    if permanent {
        purge_folder_rows(&mut tx, &folder.id, now).await?;
        record(Action::FolderPurged)
            .details(json!({"name": folder.name, "reason": "permanent"}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        return Ok(Deleted::Gone);
    }
    let rule_hold = (retention_days > 0).then(|| now + retention_days * DAY_MS);
    let (state, held_until, purge_at) = match rule_hold.max(inner_hold) {
        Some(until) => (TrashState::Held, Some(until), until),
        None => (
            TrashState::Trashed,
            None,
            now + app.config.trash.keep_days * DAY_MS,
        ),
    };
    ferry_store::folders::put_in_trash(&mut tx, &subtree, &folder.id, now).await?;
    let (by_id, by_login) = deleted_by(caller);
    let item = TrashItem {
        id: folder.id.to_string(),
        kind: ItemKind::Folder,
        name: folder.name.clone(),
        original_parent_id: folder.parent_id.clone(),
        original_path: path,
        owner_id: folder.owner_id.clone(),
        size: contents.bytes,
        state,
        held_until,
        purge_at,
        deleted_at: now,
        deleted_by_id: by_id,
        deleted_by_login: by_login,
    };
    ferry_store::trash::insert(&mut tx, &item).await?;
    if let Some(until) = held_until {
        record(Action::FolderHeld)
            .details(json!({"held_until": rfc3339(until)}))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        return Ok(Deleted::Held(Box::new(item)));
    }
    tx.commit().await?;
    Ok(Deleted::Gone)
}

/// Removes a folder and everything ever below it (live, held or trashed) with their versions
/// and trash items, giving their bytes back.
pub(crate) async fn purge_folder_rows(tx: &mut ferry_store::Tx, id: &str, now: i64) -> Result<()> {
    let ids = ferry_store::folders::whole_subtree(tx, id).await?;
    for file in ferry_store::files::in_folders(tx, &ids).await? {
        ferry_store::files::remove(tx, &file, now).await?;
    }
    for folder_id in &ids {
        ferry_store::trash::remove(tx, folder_id).await?;
    }
    ferry_store::folders::delete_rows(tx, &ids).await?;
    Ok(())
}

/// The trash items the caller manages, newest first after the `(deleted_at, id)` cursor;
/// `limit + 1` rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<TrashItem>> {
    let scope = access::trash_scope(caller);
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::trash::list(
        &mut conn,
        scope.as_deref(),
        after.as_ref().map(|(t, i)| (*t, i.as_str())),
        limit + 1,
    )
    .await?)
}

async fn item(app: &AppState, caller: &Caller, id: &str) -> Result<TrashItem> {
    if !(IdKind::File.matches(id) || IdKind::Folder.matches(id)) {
        return Err(Error::NotFound);
    }
    let mut conn = app.store.conn().await?;
    match ferry_store::trash::get(&mut conn, id).await? {
        Some(item) if access::may_manage_trash_of(caller, &item.owner_id) => Ok(item),
        _ => Err(Error::NotFound),
    }
}

/// Where a restored item goes.
#[derive(Default)]
pub struct RestoreTo<'a> {
    /// Another parent than the original one.
    pub parent_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub on_conflict: OnConflict,
}

/// What a restore brought back.
pub enum Restored {
    File(crate::files::Entry),
    Folder(crate::folders::Entry),
}

/// Brings a trash item back to where it was deleted from (or to `parent_id`). A name taken
/// meanwhile is renamed `name (1)` unless `on_conflict` is `fail`.
pub async fn restore(
    app: &AppState,
    caller: &Caller,
    id: &str,
    to: RestoreTo<'_>,
) -> Result<Restored> {
    let item = item(app, caller, id).await?;
    let name = match to.name {
        Some(n) => validate::stored_name("name", n)?,
        None => item.name.clone(),
    };
    let target = match to.parent_id {
        Some(p) => Some(crate::folders::writable_target(app, caller, p).await?),
        None => None,
    };
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock_tree(&mut tx).await?;
    let item = ferry_store::trash::get(&mut tx, &item.id)
        .await?
        .ok_or(Error::NotFound)?;
    let parent = match (&target, &item.original_parent_id) {
        (Some(t), _) => {
            crate::namespace::live_chain(&mut tx, &t.id).await?;
            Some(t.clone())
        }
        (None, Some(original)) => {
            let chain = crate::namespace::live_chain(&mut tx, original)
                .await
                .map_err(|_| Error::OriginalParentMissing)?;
            let parent = chain.last().cloned().ok_or(Error::OriginalParentMissing)?;
            // Back where it was, but only where the caller may still write.
            if !access::folder_permissions(caller, &parent).contains(&Permission::Write) {
                return Err(Error::PermissionDenied);
            }
            Some(parent)
        }
        (None, None) => None,
    };
    let restored = match item.kind {
        ItemKind::File => {
            let parent = parent.ok_or(Error::OriginalParentMissing)?;
            let ns = Namespace::In {
                folder_id: &parent.id,
            };
            ferry_store::folders::lock(&mut tx, ns).await?;
            let name = free_name(&mut tx, ns, &name, to.on_conflict, Some(&item.id)).await?;
            let file = ferry_store::files::get(&mut tx, &item.id)
                .await?
                .ok_or(Error::NotFound)?;
            if parent.owner_id != file.owner_id {
                let bytes = crate::files::version_bytes(&mut tx, &file.id).await?;
                crate::folders::transfer_quota(&mut tx, &file.owner_id, &parent.owner_id, bytes)
                    .await?;
            }
            let place = (parent.id.as_str(), parent.owner_id.as_str());
            if !ferry_store::files::restore(&mut tx, &file.id, place, &name, now).await? {
                return Err(Error::NotFound);
            }
            ferry_store::trash::remove(&mut tx, &item.id).await?;
            audit::success(
                &caller.origin,
                caller.user_ref(),
                Action::FileRestored,
                (TargetKind::File, &file.id),
            )
            .at(now)
            .in_folder(&parent.id)
            .details(json!({"name": name, "folder_id": parent.id}))
            .append(&mut tx)
            .await?;
            let file = ferry_store::files::get(&mut tx, &item.id)
                .await?
                .ok_or(Error::NotFound)?;
            Restored::File(crate::files::Entry::of(&mut tx, caller, file).await?)
        }
        ItemKind::Folder => {
            let folder = ferry_store::folders::get(&mut tx, &item.id)
                .await?
                .ok_or(Error::NotFound)?;
            let chain = match &parent {
                Some(p) => ancestry(&mut tx, &p.id).await?,
                None => Vec::new(),
            };
            if chain.iter().any(|f| f.id == folder.id) {
                return Err(Error::InvalidMove);
            }
            let height = ferry_store::folders::height(&mut tx, &folder.id).await? as usize;
            if chain.len() + 1 + height > validate::MAX_DEPTH {
                return Err(Error::TooDeep {
                    max: validate::MAX_DEPTH,
                });
            }
            let owner_id = parent
                .as_ref()
                .map_or(folder.owner_id.clone(), |p| p.owner_id.clone());
            let ns = match &parent {
                Some(p) => Namespace::In { folder_id: &p.id },
                None => Namespace::Top {
                    owner_id: &owner_id,
                },
            };
            ferry_store::folders::lock(&mut tx, ns).await?;
            let name = free_name(&mut tx, ns, &name, to.on_conflict, Some(&folder.id)).await?;
            if owner_id != folder.owner_id {
                let ids = ferry_store::folders::whole_subtree(&mut tx, &folder.id).await?;
                ferry_store::folders::set_owner(&mut tx, &ids, &owner_id).await?;
                let bytes = ferry_store::folders::stored_bytes(&mut tx, &ids).await?;
                crate::folders::transfer_quota(&mut tx, &folder.owner_id, &owner_id, bytes).await?;
            }
            // Under a parent the folder takes that tree's expiry; back at the top level, an
            // expiry that has passed (it was removed for it) is dropped, or it would go again.
            let expiry = match &parent {
                Some(p) => p.expires_at,
                None => folder.expires_at.filter(|at| *at > now),
            };
            if expiry != folder.expires_at {
                let ids = ferry_store::folders::whole_subtree(&mut tx, &folder.id).await?;
                ferry_store::folders::set_expiry(&mut tx, &ids, expiry).await?;
            }
            let parent_id = parent.as_ref().map(|p| p.id.as_str());
            ferry_store::folders::relocate(&mut tx, &folder.id, parent_id, &name, None, now)
                .await?;
            ferry_store::folders::take_out_of_trash(&mut tx, &folder.id, now).await?;
            ferry_store::trash::remove(&mut tx, &item.id).await?;
            audit::success(
                &caller.origin,
                caller.user_ref(),
                Action::FolderRestored,
                (TargetKind::Folder, &folder.id),
            )
            .at(now)
            .in_folder(&folder.id)
            .details(json!({"name": name, "parent_id": parent_id}))
            .append(&mut tx)
            .await?;
            let folder = ferry_store::folders::get(&mut tx, &item.id)
                .await?
                .ok_or(Error::NotFound)?;
            let mut chain = chain;
            chain.push(folder.clone());
            Restored::Folder(crate::folders::Entry {
                path: crate::namespace::path_for(&mut tx, caller, &chain).await?,
                folder,
            })
        }
    };
    tx.commit().await?;
    Ok(restored)
}

/// Restores a held file in place (`POST /files/{id}/restore`; whoever manages its folder).
pub async fn restore_held_file(
    app: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<crate::files::Entry> {
    let (file, folder) = access::file(app, caller, id, Permission::Manage).await?;
    if !file.is_held() {
        return Err(Error::FileNotHeld);
    }
    let restored = restore(
        app,
        caller,
        &file.id,
        RestoreTo {
            parent_id: Some(&folder.id),
            ..Default::default()
        },
    )
    .await?;
    match restored {
        Restored::File(entry) => Ok(entry),
        Restored::Folder(_) => Err(Error::NotFound),
    }
}

/// Purges one trash item now. Held items only by admins (`410 file_held` for others).
pub async fn purge(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let item = item(app, caller, id).await?;
    if item.state == TrashState::Held && !access::may_purge_held(caller) {
        return Err(Error::FileHeld);
    }
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock_tree(&mut tx).await?;
    if !purge_item(app, &mut tx, &caller.origin, caller, &item.id, "purged").await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Purges one item inside `tx`; false if it was gone already.
async fn purge_item(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    origin: &Origin,
    caller: &Caller,
    id: &str,
    reason: &str,
) -> Result<bool> {
    let now = app.now_ms();
    let Some(item) = ferry_store::trash::get(tx, id).await? else {
        return Ok(false);
    };
    let (action, kind, folder_id) = match item.kind {
        ItemKind::File => {
            let Some(file) = ferry_store::files::get(tx, &item.id).await? else {
                ferry_store::trash::remove(tx, &item.id).await?;
                return Ok(false);
            };
            ferry_store::files::remove(tx, &file, now).await?;
            (Action::FilePurged, TargetKind::File, file.folder_id.into())
        }
        ItemKind::Folder => {
            purge_folder_rows(tx, &item.id, now).await?;
            (Action::FolderPurged, TargetKind::Folder, item.id.clone())
        }
    };
    ferry_store::trash::remove(tx, &item.id).await?;
    audit::success(origin, caller.user_ref(), action, (kind, &item.id))
        .at(now)
        .in_folder(&folder_id)
        .details(json!({"name": item.name, "size": item.size, "reason": reason}))
        .append(tx)
        .await?;
    Ok(true)
}

/// Items purged per transaction.
const PURGE_BATCH: i64 = 100;

/// What emptying the trash came to.
pub enum Emptied {
    /// Done inside the request: how many items went.
    Done(usize),
    /// Too many items for the request: a task does it.
    Queued(Box<Task>),
}

/// Empties the caller's trash of everything purgeable (held items stay); a trash of more
/// than `tasks.inline_max_items` items is emptied by a task.
pub async fn empty(app: &AppState, caller: &Caller) -> Result<Emptied> {
    let total = {
        let mut conn = app.store.conn().await?;
        ferry_store::trash::count_trashed(&mut conn, own_trash(caller).as_deref()).await?
    };
    if total > app.config.tasks.inline_max_items {
        let task = tasks::enqueue(app, caller, TaskKind::TrashEmpty, json!({}), total).await?;
        return Ok(Emptied::Queued(Box::new(task)));
    }
    match purge_all(app, caller, None, total).await {
        Ok(purged) => Ok(Emptied::Done(purged)),
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Lost) => Err(Error::Conflict(
            "The trash is being emptied already.".into(),
        )),
    }
}

/// Runs a queued emptying of the caller's trash.
pub(crate) async fn empty_task(
    app: &AppState,
    caller: &Caller,
    claim: &Claim,
) -> std::result::Result<serde_json::Value, Stop> {
    let total = {
        let mut conn = app.store.conn().await?;
        ferry_store::trash::count_trashed(&mut conn, own_trash(caller).as_deref()).await?
    };
    let purged = purge_all(app, caller, Some(claim), total).await?;
    Ok(json!({"items": purged}))
}

/// Whose trash "empty" empties: one's own, admins included (emptying is irreversible, and an
/// admin's "empty" must not purge every user's deleted files).
fn own_trash(caller: &Caller) -> Option<String> {
    caller.user_ref().map(|u| u.id.to_string())
}

/// Purges every purgeable item of the caller's own trash, a page per transaction (reporting
/// progress to `claim` when a task does it); returns how many items went.
async fn purge_all(
    app: &AppState,
    caller: &Caller,
    claim: Option<&Claim>,
    total: i64,
) -> std::result::Result<usize, Stop> {
    let scope = own_trash(caller);
    let mut purged = 0;
    let mut after: Option<(i64, String)> = None;
    loop {
        let page = {
            let mut conn = app.store.conn().await?;
            ferry_store::trash::list(
                &mut conn,
                scope.as_deref(),
                after.as_ref().map(|(t, i)| (*t, i.as_str())),
                PURGE_BATCH,
            )
            .await?
        };
        let mut tx = app.store.begin().await?;
        ferry_store::folders::lock_tree(&mut tx).await?;
        for item in page.iter().filter(|i| i.state == TrashState::Trashed) {
            if purge_item(app, &mut tx, &caller.origin, caller, &item.id, "emptied").await? {
                purged += 1;
            }
        }
        if let Some(claim) = claim {
            claim
                .progress(app, &mut tx, purged as i64, total, None)
                .await?;
        }
        if (page.len() as i64) < PURGE_BATCH {
            audit::success(
                &caller.origin,
                caller.user_ref(),
                Action::TrashEmptied,
                (
                    TargetKind::User,
                    caller.user_ref().map_or("system", |u| u.id.as_str()),
                ),
            )
            .at(app.now_ms())
            .details(json!({"items": purged}))
            .append(&mut tx)
            .await?;
            tx.commit().await?;
            return Ok(purged);
        }
        tx.commit().await?;
        after = page.last().map(|i| (i.deleted_at, i.id.clone()));
    }
}

/// The retention worker's part: purges trash items whose time is up (trash items after
/// `trash.keep_days`, held ones when their hold ends).
pub async fn purge_due(app: &AppState) -> anyhow::Result<usize> {
    let caller = Caller::system("retention");
    let origin = caller.origin.clone();
    let mut purged = 0;
    loop {
        let now = app.now_ms();
        let mut tx = app.store.begin().await?;
        ferry_store::folders::lock_tree(&mut tx).await?;
        let due = ferry_store::trash::due(&mut tx, now, PURGE_BATCH).await?;
        for item in &due {
            let reason = match item.state {
                TrashState::Held => "retention",
                TrashState::Trashed => "trash",
            };
            if purge_item(app, &mut tx, &origin, &caller, &item.id, reason).await? {
                purged += 1;
            }
        }
        tx.commit().await?;
        if (due.len() as i64) < PURGE_BATCH {
            return Ok(purged);
        }
    }
}
