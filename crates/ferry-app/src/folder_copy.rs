//! Copies of folders: a folder with its live subfolders and the current version of every
//! live file, under another parent. No bytes are copied (the copies reference the same
//! blobs); the target owner's quota pays for the copies, batch by batch.
//!
//! A copy is built out of sight: the new folders and files carry the copy's root as their
//! `trash_id` (like a deleted tree, but without a trash item), so nothing lists, searches or
//! opens them, and the name they will take is not yet reserved. When every file is in, the
//! root takes its (then free) name and the tree comes into sight in one transaction. A small
//! copy does all of this in one transaction inside the request; a big one (more files than
//! `tasks.inline_max_items`) is a task, one transaction per batch, and a copy that fails or
//! whose worker dies is cleared away whole: never half a copy in sight.

use std::collections::HashMap;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, OnConflict, Permission, Sort, TaskKind, validate};
use ferry_store::folders::{After, Folder, FolderChanges, Namespace, NewFolder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::folders::{Destination, Entry, charge, writable_target};
use crate::namespace::{self, free_name, inherited_retention_days};
use crate::state::AppState;
use crate::tasks::{self, Claim, Stop, Task};

/// Files copied per page read (and, in a task, per transaction).
const BATCH: i64 = 500;

/// What a copy request came to.
pub enum Copied {
    /// Done inside the request.
    Done(Entry),
    /// A dry run that would succeed.
    WouldSucceed,
    /// Too big for the request: a task does it.
    Queued(Task),
}

/// A copy as a task keeps it (`params.args`).
#[derive(Serialize, Deserialize)]
struct Spec {
    source_id: String,
    parent_id: String,
    name: String,
    on_conflict: OnConflict,
}

/// Copies a folder the caller can read under `to.parent_id` (which needs `write`).
pub async fn copy_folder(
    app: &AppState,
    caller: &Caller,
    id: &str,
    to: Destination<'_>,
) -> Result<Copied> {
    let source = access::folder(app, caller, id, Permission::Read).await?;
    let parent_id = to
        .parent_id
        .ok_or_else(|| Error::invalid("parent_id", "missing_field", "A copy needs a parent_id."))?;
    let target = writable_target(app, caller, parent_id).await?;
    let name = match to.name {
        Some(n) => validate::stored_name("name", n)?,
        None => source.name.clone(),
    };
    let mut tx = app.store.begin().await?;
    let plan = check(&mut tx, &source, &target, &name, to.on_conflict).await?;
    if to.dry_run {
        return Ok(Copied::WouldSucceed);
    }
    if plan.files > app.config.tasks.inline_max_items {
        drop(tx);
        let spec = Spec {
            source_id: source.id.to_string(),
            parent_id: target.id.to_string(),
            name,
            on_conflict: to.on_conflict,
        };
        let args = serde_json::to_value(&spec).map_err(Error::internal)?;
        let task = tasks::enqueue(app, caller, TaskKind::FolderCopy, args, plan.files).await?;
        return Ok(Copied::Queued(task));
    }
    let staged = stage(app, &mut tx, plan).await?;
    let mut position = Position::default();
    fill(app, &mut tx, caller, &staged, &mut position, i64::MAX).await?;
    let entry = finish(app, &mut tx, caller, &staged, to.on_conflict).await?;
    tx.commit().await?;
    Ok(Copied::Done(entry))
}

/// Copies a folder whose reading the caller was already allowed (through a link) under
/// `parent_id` (which needs `write`), inside the request: more than `tasks.inline_max_items`
/// files is `TooManyItems`.
pub(crate) async fn copy_permitted_folder(
    app: &AppState,
    caller: &Caller,
    source: &Folder,
    parent_id: &str,
    name: Option<&str>,
    on_conflict: OnConflict,
) -> Result<Entry> {
    let target = writable_target(app, caller, parent_id).await?;
    let name = match name {
        Some(n) => validate::stored_name("name", n)?,
        None => source.name.clone(),
    };
    let mut tx = app.store.begin().await?;
    let plan = check(&mut tx, source, &target, &name, on_conflict).await?;
    let max = app.config.tasks.inline_max_items;
    if plan.files > max {
        return Err(Error::invalid(
            "path",
            "too_many_files",
            format!("More than {max} files: download the folder (or save a subfolder) instead."),
        ));
    }
    let staged = stage(app, &mut tx, plan).await?;
    let mut position = Position::default();
    fill(app, &mut tx, caller, &staged, &mut position, i64::MAX).await?;
    let entry = finish(app, &mut tx, caller, &staged, on_conflict).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Runs a queued copy: clears away what an earlier attempt left, checks again (the world may
/// have changed since the request), then stages, fills batch by batch and brings the copy
/// into sight. On failure the partial copy goes, with the quota it took.
pub(crate) async fn run_task(
    app: &AppState,
    caller: &Caller,
    claim: &Claim,
    args: &Value,
    checkpoint: Option<Value>,
) -> std::result::Result<Value, Stop> {
    if let Some(root) = checkpoint.as_ref().and_then(|c| c["copy_root"].as_str()) {
        abandon(app, root).await?;
    }
    let spec: Spec = serde_json::from_value(args.clone()).map_err(Error::internal)?;
    let on_conflict = spec.on_conflict;
    let mut root = None;
    let copied = copy_in_batches(app, caller, claim, &spec, on_conflict, &mut root).await;
    match (copied, root) {
        (Err(stop @ Stop::Failed(_)), Some(root)) => {
            abandon(app, &root).await?;
            Err(stop)
        }
        (result, _) => result,
    }
}

async fn copy_in_batches(
    app: &AppState,
    caller: &Caller,
    claim: &Claim,
    spec: &Spec,
    on_conflict: OnConflict,
    root: &mut Option<String>,
) -> std::result::Result<Value, Stop> {
    let source = access::folder(app, caller, &spec.source_id, Permission::Read).await?;
    let target = writable_target(app, caller, &spec.parent_id).await?;
    let mut tx = app.store.begin().await?;
    let plan = check(&mut tx, &source, &target, &spec.name, on_conflict).await?;
    let total = plan.files;
    let staged = stage(app, &mut tx, plan).await?;
    let checkpoint = json!({"copy_root": staged.root_id});
    claim
        .progress(app, &mut tx, 0, total, Some(&checkpoint))
        .await?;
    tx.commit().await?;
    *root = Some(staged.root_id.clone());
    let mut position = Position::default();
    let mut done = 0;
    while !position.finished(&staged) {
        let mut tx = app.store.begin().await?;
        done += fill(app, &mut tx, caller, &staged, &mut position, BATCH).await?;
        claim
            .progress(app, &mut tx, done, total, Some(&checkpoint))
            .await?;
        tx.commit().await?;
    }
    let mut tx = app.store.begin().await?;
    let entry = finish(app, &mut tx, caller, &staged, on_conflict).await?;
    claim.progress(app, &mut tx, done, done, None).await?;
    tx.commit().await?;
    Ok(json!({
        "folder_id": entry.folder.id,
        "path": entry.path,
        "folders": staged.folders.len(),
        "files": done,
    }))
}

/// What the checks found: everything a copy needs to know before it writes.
struct Plan {
    source: Folder,
    target: Folder,
    chain: Vec<Folder>,
    name: String,
    /// The source's live folders, breadth-first (parents before children).
    subtree: Vec<String>,
    files: i64,
}

/// Checks a copy inside `tx` (under the tree lock): the target is live, not inside the
/// source, deep enough, the name is free (or renamed), and the target owner's quota takes
/// the copy's bytes now.
async fn check(
    tx: &mut ferry_store::Tx,
    source: &Folder,
    target: &Folder,
    name: &str,
    on_conflict: OnConflict,
) -> Result<Plan> {
    ferry_store::folders::lock_tree(tx).await?;
    let chain = namespace::live_chain(tx, &target.id).await?;
    if chain.iter().any(|f| f.id == source.id) {
        return Err(Error::InvalidMove);
    }
    let subtree = ferry_store::folders::live_subtree(tx, &source.id).await?;
    if subtree.is_empty() {
        return Err(Error::NotFound);
    }
    let height = subtree.iter().map(|(_, d)| *d as usize).max().unwrap_or(0);
    if chain.len() + 1 + height > validate::MAX_DEPTH {
        return Err(Error::TooDeep {
            max: validate::MAX_DEPTH,
        });
    }
    let ns = Namespace::In {
        folder_id: &target.id,
    };
    ferry_store::folders::lock(tx, ns).await?;
    let name = free_name(tx, ns, name, on_conflict, None).await?;
    let subtree: Vec<String> = subtree.into_iter().map(|(id, _)| id).collect();
    let contents = ferry_store::folders::contents(tx, &subtree).await?;
    // Does it fit now? The copy charges batch by batch; this answers at once (and for dry
    // runs) instead of after half the work.
    charge(tx, &target.owner_id, contents.bytes).await?;
    ferry_store::users::release_quota(tx, &target.owner_id, contents.bytes).await?;
    crate::folders::check_size_limits(tx, &chain, contents.bytes).await?;
    Ok(Plan {
        source: source.clone(),
        target: target.clone(),
        chain,
        name,
        subtree,
        files: contents.files,
    })
}

/// A copy being built: its hidden root and where each source folder's copy is.
struct Staged {
    plan: Plan,
    root_id: String,
    /// (source folder, its copy), parents before children.
    folders: Vec<(String, String)>,
}

/// Creates the copy's folders, out of sight.
async fn stage(app: &AppState, tx: &mut ferry_store::Tx, plan: Plan) -> Result<Staged> {
    let now = app.now_ms();
    let inherited = inherited_retention_days(&plan.chain);
    let mut copies: HashMap<String, String> = HashMap::new();
    let mut folders = Vec::with_capacity(plan.subtree.len());
    let root_id = IdKind::Folder.generate();
    for old_id in &plan.subtree {
        let old = ferry_store::folders::get(tx, old_id)
            .await?
            .ok_or(Error::NotFound)?;
        let (new_id, parent, name) = if *old_id == plan.source.id {
            (
                root_id.clone(),
                plan.target.id.to_string(),
                plan.name.clone(),
            )
        } else {
            let parent = old.parent_id.as_ref().and_then(|p| copies.get(p)).cloned();
            (
                IdKind::Folder.generate(),
                parent.ok_or(Error::NotFound)?,
                old.name.clone(),
            )
        };
        ferry_store::folders::insert(
            tx,
            &NewFolder {
                id: &new_id,
                owner_id: &plan.target.owner_id,
                parent_id: Some(&parent),
                name: &name,
                description: &old.description,
                visibility: &old.visibility,
                retention_days: old.retention_days.max(inherited),
                expires_at: plan.target.expires_at,
                now,
            },
        )
        .await?;
        copies.insert(old_id.clone(), new_id.clone());
        folders.push((old_id.clone(), new_id));
    }
    let new_ids: Vec<String> = folders.iter().map(|(_, new)| new.clone()).collect();
    ferry_store::folders::put_in_trash(tx, &new_ids, &root_id, now).await?;
    Ok(Staged {
        plan,
        root_id,
        folders,
    })
}

/// How far the filling got: the folder being copied and the last file copied from it.
#[derive(Default)]
struct Position {
    folder: usize,
    after: Option<After>,
}

impl Position {
    fn finished(&self, staged: &Staged) -> bool {
        self.folder >= staged.folders.len()
    }
}

/// Copies up to `max` more files into the staged folders (charging their bytes), advancing
/// `position`; returns how many it copied.
async fn fill(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    staged: &Staged,
    position: &mut Position,
    max: i64,
) -> Result<i64> {
    let owner = &staged.plan.target.owner_id;
    let mut copied = 0;
    while copied < max && !position.finished(staged) {
        let (old_id, new_id) = &staged.folders[position.folder];
        let want = BATCH.min(max - copied);
        let page = ferry_store::files::list_live(
            tx,
            old_id,
            i64::MIN,
            Sort::default(),
            position.after.as_ref(),
            want,
        )
        .await?;
        charge(tx, owner, page.iter().map(|f| f.size).sum()).await?;
        for file in &page {
            crate::files::insert_copy(app, tx, caller, file, new_id, owner, &file.name).await?;
        }
        copied += page.len() as i64;
        ferry_store::folders::put_in_trash(
            tx,
            std::slice::from_ref(new_id),
            &staged.root_id,
            app.now_ms(),
        )
        .await?;
        match page.last() {
            // A full page: this folder may hold more.
            Some(last) if page.len() as i64 == want => {
                position.after = Some(ferry_store::files::sort_value(last, Sort::default()));
            }
            _ => {
                position.folder += 1;
                position.after = None;
            }
        }
    }
    Ok(copied)
}

/// Brings a filled copy into sight under its name (free now, or renamed; `on_conflict: fail`
/// refuses if someone took it meanwhile), audited.
async fn finish(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    staged: &Staged,
    on_conflict: OnConflict,
) -> Result<Entry> {
    let now = app.now_ms();
    let plan = &staged.plan;
    ferry_store::folders::lock_tree(tx).await?;
    let mut chain = namespace::live_chain(tx, &plan.target.id).await?;
    let ns = Namespace::In {
        folder_id: &plan.target.id,
    };
    ferry_store::folders::lock(tx, ns).await?;
    let name = free_name(tx, ns, &plan.name, on_conflict, None).await?;
    if name != plan.name {
        let rename = FolderChanges {
            name: Some(&name),
            ..FolderChanges::default()
        };
        ferry_store::folders::update(tx, &staged.root_id, &rename, None, now).await?;
    }
    ferry_store::folders::take_out_of_trash(tx, &staged.root_id, now).await?;
    let copy = ferry_store::folders::get(tx, &staged.root_id)
        .await?
        .ok_or(Error::NotFound)?;
    let contents = {
        let ids: Vec<String> = staged.folders.iter().map(|(_, n)| n.clone()).collect();
        ferry_store::folders::contents(tx, &ids).await?
    };
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FolderCopied,
        (TargetKind::Folder, &copy.id),
    )
    .at(now)
    .in_folder(&copy.id)
    .details(
        json!({"source_id": plan.source.id, "parent_id": plan.target.id, "name": name,
        "folders": staged.folders.len(), "files": contents.files, "bytes": contents.bytes}),
    )
    .append(tx)
    .await?;
    chain.push(copy.clone());
    Ok(Entry {
        path: namespace::path_for(tx, caller, &chain).await?,
        folder: copy,
    })
}

/// Clears away a partial copy (its rows, blob references and the quota they took).
async fn abandon(app: &AppState, root_id: &str) -> Result<()> {
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock_tree(&mut tx).await?;
    let still_hidden = ferry_store::folders::get(&mut tx, root_id)
        .await?
        .is_some_and(|f| f.trash_id.as_deref() == Some(root_id));
    if still_hidden {
        crate::trash::purge_folder_rows(&mut tx, root_id, app.now_ms()).await?;
    }
    tx.commit().await?;
    Ok(())
}
