//! Versions: a file keeps its id while its content changes. Every version is a row holding a
//! reference on its blob; the file row mirrors the current one. Old versions count towards the
//! owner's quota; `versions.max_per_file` keeps the newest N.

use ferry_blob::{ByteStream, Staged};
use ferry_core::audit::{Action, TargetKind};
use ferry_core::{Permission, validate};
use ferry_store::files::{File, Version};
use ferry_store::folders::{Folder, Namespace};
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::files::{Budget, Entry, NewContent, Source};
use crate::state::AppState;

/// What `If-Match` on a content change names: the metadata ETag (a revision) or the content
/// ETag (the SHA-256 of the current version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    Revision(i64),
    Content(String),
}

impl Precondition {
    fn holds(&self, file: &File) -> bool {
        match self {
            Precondition::Revision(r) => *r == file.revision,
            Precondition::Content(sha) => *sha == file.sha256,
        }
    }
}

fn by(caller: &Caller) -> Option<(&str, &str)> {
    caller.user_ref().map(|u| (u.id.as_str(), u.login.as_str()))
}

/// Deletes the versions beyond `versions.max_per_file` (never the current one).
async fn prune(app: &AppState, tx: &mut ferry_store::Tx, file: &File) -> Result<()> {
    let keep = app.config.versions.max_per_file.max(1);
    for old in ferry_store::files::versions_beyond(tx, &file.id, keep).await? {
        ferry_store::files::delete_version(tx, &old, &file.owner_id, app.now_ms()).await?;
    }
    Ok(())
}

/// Makes `sha256` the next version of `file` inside `tx` (its blob referenced, the quota
/// already charged), prunes, audits; returns the updated file.
async fn record_version(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    file: &File,
    (sha256, size): (&str, i64),
    client_modified_at: Option<i64>,
    action: Action,
) -> Result<File> {
    let now = app.now_ms();
    let version = ferry_store::files::add_version(
        tx,
        file,
        size,
        sha256,
        client_modified_at,
        by(caller),
        None,
        now,
    )
    .await?
    .ok_or(Error::NotFound)?;
    prune(app, tx, file).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        action,
        (TargetKind::File, &file.id),
    )
    .at(now)
    .in_folder(&file.folder_id)
    .details(json!({"name": file.name, "version": version, "size": size,
            "checksum_sha256": sha256, "previous_version": file.version}))
    .append(tx)
    .await?;
    ferry_store::files::get(tx, &file.id)
        .await?
        .ok_or(Error::NotFound)
}

/// An upload with `on_conflict: new_version` whose name is taken by `existing`: its content
/// becomes the file's next version (inside the upload's transaction, quota already charged).
pub(crate) async fn add_from_upload(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    folder: &Folder,
    existing: File,
    new: NewContent<'_>,
    source: Source,
) -> Result<File, (Error, Option<Source>)> {
    let fail = |e: Error| (e, None);
    let new_to_scanner = crate::files::publish_source(app, tx, &new.sha256, new.size, source)
        .await
        .map_err(fail)?;
    crate::thumbnails::queue(app, tx, &new.sha256, &existing.mime_type)
        .await
        .map_err(fail)?;
    let holder = ferry_store::scans::Holder {
        file_id: existing.id.clone(),
        folder_id: existing.folder_id.clone(),
        owner_id: existing.owner_id.clone(),
        name: existing.name.clone(),
    };
    crate::scan::on_publish(tx, &holder, &new.sha256, new_to_scanner, app.now_ms())
        .await
        .map_err(fail)?;
    let file = record_version(
        app,
        tx,
        caller,
        &existing,
        (&new.sha256, new.size),
        new.client_modified_at,
        Action::FileVersionCreated,
    )
    .await
    .map_err(fail)?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UploadCompleted,
        (TargetKind::File, &file.id),
    )
    .at(app.now_ms())
    .in_folder(&folder.id)
    .details(
        json!({"name": file.name, "size": new.size, "checksum_sha256": new.sha256,
            "method": new.method, "version": file.version}),
    )
    .append(tx)
    .await
    .map_err(|e| fail(e.into()))?;
    Ok(file)
}

/// A file the caller may change the content of: readable, live, `write` on its folder.
async fn writable(app: &AppState, caller: &Caller, id: &str) -> Result<(File, Folder)> {
    let (file, folder) = access::file(app, caller, id, Permission::Read).await?;
    if !access::folder_permissions(caller, &folder).contains(&Permission::Write) {
        return Err(Error::PermissionDenied);
    }
    if file.trash_id.is_some() {
        return Err(Error::FileHeld);
    }
    if file.is_expired(app.now_ms()) {
        return Err(Error::FileExpired);
    }
    Ok((file, folder))
}

/// `PUT /files/{id}/content`: streams `body` into the file's next version. The bytes are
/// staged first (quota and size limits enforced while they arrive), then `If-Match` is
/// checked under the folder's lock, so of two editors the second is refused, not lost.
pub async fn put_content(
    app: &AppState,
    caller: &Caller,
    id: &str,
    declared_len: Option<u64>,
    precondition: Option<Precondition>,
    body: ByteStream<'_>,
) -> Result<Entry> {
    let (file, folder) = writable(app, caller, id).await?;
    access::require_caller_policy(app, caller, access::Guarded::Upload).await?;
    if let Some(p) = &precondition
        && !p.holds(&file)
    {
        return Err(Error::PreconditionFailed);
    }
    let owner = {
        let mut conn = app.store.conn().await?;
        ferry_store::users::get(&mut conn, &folder.owner_id)
            .await?
            .ok_or(Error::NotFound)?
    };
    let budget = Budget::for_user(&owner, app.config.limits.max_file_size);
    if let Some(len) = declared_len {
        budget.check(len)?;
    }
    let staged = budget.stage(app, body).await?;
    match commit_content(app, caller, &folder, &file, precondition, staged).await {
        Ok(entry) => Ok(entry),
        Err((e, staged)) => {
            if let Some(staged) = staged {
                app.blobs.discard(staged).await;
            }
            Err(e)
        }
    }
}

/// The transaction of [`put_content`]: on a refusal before the bytes are published they are
/// handed back to be discarded.
async fn commit_content(
    app: &AppState,
    caller: &Caller,
    folder: &Folder,
    file: &File,
    precondition: Option<Precondition>,
    staged: Staged,
) -> Result<Entry, (Error, Option<Staged>)> {
    let size = staged.size as i64;
    let sha256 = staged.sha256.clone();
    let checks = async {
        let mut tx = app.store.begin().await?;
        ferry_store::folders::lock(
            &mut tx,
            Namespace::In {
                folder_id: &folder.id,
            },
        )
        .await?;
        let current = ferry_store::files::get(&mut tx, &file.id)
            .await?
            .filter(|f| f.trash_id.is_none())
            .ok_or(Error::NotFound)?;
        if let Some(p) = &precondition
            && !p.holds(&current)
        {
            return Err(Error::PreconditionFailed);
        }
        crate::folders::charge(&mut tx, &current.owner_id, size).await?;
        Ok((tx, current))
    };
    let (mut tx, current) = match checks.await {
        Ok(ok) => ok,
        Err(e) => return Err((e, Some(staged))),
    };
    let fail = |e: Error| (e, None);
    // As an upload's new version does (`add_from_upload`): the blob referenced under the
    // staged key (small content kept in the database), then queued for thumbnails and the
    // scanner.
    let source = crate::files::Source::Staged(staged);
    let new_to_scanner = crate::files::publish_source(app, &mut tx, &sha256, size, source)
        .await
        .map_err(fail)?;
    crate::thumbnails::queue(app, &mut tx, &sha256, &current.mime_type)
        .await
        .map_err(fail)?;
    let holder = ferry_store::scans::Holder {
        file_id: current.id.clone(),
        folder_id: current.folder_id.clone(),
        owner_id: current.owner_id.clone(),
        name: current.name.clone(),
    };
    crate::scan::on_publish(&mut tx, &holder, &sha256, new_to_scanner, app.now_ms())
        .await
        .map_err(fail)?;
    let updated = record_version(
        app,
        &mut tx,
        caller,
        &current,
        (&sha256, size),
        None,
        Action::FileVersionCreated,
    )
    .await
    .map_err(fail)?;
    let entry = Entry::of(&mut tx, caller, updated).await.map_err(fail)?;
    tx.commit().await.map_err(|e| fail(e.into()))?;
    Ok(entry)
}

/// The file's versions, newest first, below version `before`; `limit + 1` rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Version>> {
    let (file, _) = access::file(app, caller, id, Permission::Read).await?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::files::versions(&mut conn, &file.id, before, limit + 1).await?)
}

/// One version of a file the caller may read now, with the file.
pub async fn readable(
    app: &AppState,
    caller: &Caller,
    id: &str,
    version: i64,
) -> Result<(File, Version)> {
    let (file, _) = crate::files::downloadable(app, caller, id).await?;
    let mut conn = app.store.conn().await?;
    let found = ferry_store::files::version(&mut conn, &file.id, version)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((file, found))
}

/// Makes an old version's content the file's next version.
pub async fn restore(app: &AppState, caller: &Caller, id: &str, version: i64) -> Result<Entry> {
    let (file, folder) = writable(app, caller, id).await?;
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock(
        &mut tx,
        Namespace::In {
            folder_id: &folder.id,
        },
    )
    .await?;
    let old = ferry_store::files::version(&mut tx, &file.id, version)
        .await?
        .ok_or(Error::NotFound)?;
    let current = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .ok_or(Error::NotFound)?;
    crate::folders::charge(&mut tx, &current.owner_id, old.size).await?;
    ferry_store::files::reference_blob(&mut tx, &old.sha256, old.size, app.now_ms()).await?;
    let updated = record_version(
        app,
        &mut tx,
        caller,
        &current,
        (&old.sha256, old.size),
        None,
        Action::FileVersionRestored,
    )
    .await?;
    let entry = Entry::of(&mut tx, caller, updated).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Deletes one old version (not the current one: `409 current_version`).
pub async fn delete(app: &AppState, caller: &Caller, id: &str, version: i64) -> Result<()> {
    let (file, folder) = writable(app, caller, id).await?;
    validate::in_range("version", version, 1..=i64::MAX)?;
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock(
        &mut tx,
        Namespace::In {
            folder_id: &folder.id,
        },
    )
    .await?;
    let current = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .ok_or(Error::NotFound)?;
    if current.version == version {
        return Err(Error::CurrentVersion);
    }
    let old = ferry_store::files::version(&mut tx, &file.id, version)
        .await?
        .ok_or(Error::NotFound)?;
    ferry_store::files::delete_version(&mut tx, &old, &current.owner_id, app.now_ms()).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FileVersionDeleted,
        (TargetKind::File, &file.id),
    )
    .at(app.now_ms())
    .in_folder(&folder.id)
    .details(json!({"name": current.name, "version": version, "size": old.size}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
