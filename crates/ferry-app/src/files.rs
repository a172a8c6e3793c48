//! Adding content to a folder as a file: the size budget of an upload, the free name, the
//! quota charge, publishing the blob and the `upload.completed` record, in one transaction.

use ferry_blob::{BlobError, ByteStream, Staged};
use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{IdKind, OnConflict, Permission, validate};
use ferry_store::files::{File, NewFile};
use ferry_store::folders::Folder;
use ferry_store::users::User;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// How many bytes an upload may bring: the smaller of the quota left and the size limit.
pub struct Budget {
    quota_left: Option<u64>,
    limit: Option<i64>,
    used: i64,
    max_file_size: u64,
}

impl Budget {
    pub fn for_user(user: &User, max_file_size: i64) -> Budget {
        Budget {
            quota_left: user
                .quota_bytes
                .map(|q| q.saturating_sub(user.used_bytes).max(0) as u64),
            limit: user.quota_bytes,
            used: user.used_bytes,
            max_file_size: max_file_size.max(0) as u64,
        }
    }

    fn max(&self) -> u64 {
        self.quota_left
            .map_or(self.max_file_size, |q| q.min(self.max_file_size))
    }

    fn error(&self, size: u64) -> Error {
        if size > self.max_file_size {
            Error::FileTooLarge {
                limit: self.max_file_size as i64,
            }
        } else {
            Error::QuotaExceeded {
                limit: self.limit,
                used: self.used,
            }
        }
    }

    /// Refuses a declared length up front, before reading the body.
    pub fn check(&self, len: u64) -> Result<()> {
        if len > self.max() {
            Err(self.error(len))
        } else {
            Ok(())
        }
    }

    pub async fn stage(&self, state: &AppState, body: ByteStream<'_>) -> Result<Staged> {
        match state.blobs.stage(body, self.max()).await {
            Err(BlobError::TooLarge { limit }) => Err(self.error(limit.saturating_add(1))),
            other => Ok(other?),
        }
    }
}

/// Turns staged bytes into a file in `folder`: charges the quota, then records the file.
#[allow(clippy::too_many_arguments)]
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    folder: &Folder,
    staged: Staged,
    name: &str,
    on_conflict: OnConflict,
    expires_at: Option<i64>,
) -> Result<ferry_store::files::File> {
    let mut tx = state.store.begin().await?;
    // The folder owner pays for the file (admins uploading elsewhere do not).
    if !ferry_store::users::reserve_quota(&mut tx, &folder.owner_id, staged.size as i64).await? {
        let owner = ferry_store::users::get(&mut tx, &folder.owner_id).await?;
        drop(tx);
        state.blobs.discard(staged).await;
        return Err(Error::QuotaExceeded {
            limit: owner.as_ref().and_then(|o| o.quota_bytes),
            used: owner.map_or(0, |o| o.used_bytes),
        });
    }
    let new = NewContent {
        name,
        on_conflict,
        sha256: staged.sha256.clone(),
        size: staged.size as i64,
        expires_at,
        method: "simple",
    };
    match add_file(state, &mut tx, caller, folder, new, Source::Staged(staged)).await {
        Ok(file) => {
            tx.commit().await?;
            Ok(file)
        }
        Err((e, source)) => {
            drop(tx);
            if let Some(Source::Staged(staged)) = source {
                state.blobs.discard(staged).await;
            }
            Err(e)
        }
    }
}

/// Where verified bytes come from.
pub enum Source {
    /// A simple upload's staging file.
    Staged(Staged),
    /// A resumable upload session's data.
    Session(String),
}

/// Verified content about to become a file.
pub struct NewContent<'a> {
    pub name: &'a str,
    pub on_conflict: OnConflict,
    pub sha256: String,
    pub size: i64,
    pub expires_at: Option<i64>,
    /// `simple`, `resumable` or `tus`, for the audit record.
    pub method: &'static str,
}

/// Records a file in `folder` inside `tx` (the quota is already charged to the folder owner):
/// picks the name, publishes the blob and appends `upload.completed`. On a name conflict with
/// `fail` the source is handed back untouched.
pub async fn add_file(
    state: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    folder: &Folder,
    new: NewContent<'_>,
    source: Source,
) -> Result<ferry_store::files::File, (Error, Option<Source>)> {
    let now = state.now_ms();
    let fail = |e: Error| (e, None);
    ferry_store::folders::lock(tx, &folder.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let name = match free_name(tx, &folder.id, new.name, new.on_conflict).await {
        Ok(n) => n,
        Err(e) => return Err((e, Some(source))),
    };
    // Reference first, then publish, inside the transaction: the blob row stays locked, so a
    // concurrent garbage collection of the same content cannot delete what we publish.
    ferry_store::files::reference_blob(tx, &new.sha256, new.size, now)
        .await
        .map_err(|e| fail(e.into()))?;
    let published = match source {
        Source::Staged(staged) => state.blobs.publish(staged).await,
        Source::Session(id) => state.blobs.session_publish(&id, &new.sha256).await,
    };
    published.map_err(|e| fail(e.into()))?;
    let id = IdKind::File.generate();
    let mime = mime_guess::from_path(&name)
        .first_or_octet_stream()
        .to_string();
    ferry_store::files::insert(
        tx,
        &NewFile {
            id: &id,
            folder_id: &folder.id,
            owner_id: &folder.owner_id,
            name: &name,
            size: new.size,
            sha256: &new.sha256,
            mime_type: &mime,
            expires_at: new.expires_at,
            now,
        },
    )
    .await
    .map_err(|e| fail(e.into()))?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UploadCompleted,
        (TargetKind::File, &id),
    )
        .at(state.now_ms())
        .in_folder(&folder.id)
        .details(json!({"name": name, "size": new.size, "checksum_sha256": new.sha256, "method": new.method}))
        .append(tx)
        .await
        .map_err(|e| fail(e.into()))?;
    ferry_store::files::get(tx, &id)
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| fail(Error::NotFound))
}

/// `name` if free, else `name (1).ext`, `name (2).ext`... (or `409` with `fail`).
pub async fn free_name(
    conn: &mut ferry_store::Conn,
    folder_id: &str,
    name: &str,
    on_conflict: OnConflict,
) -> Result<String> {
    if !ferry_store::files::name_taken(conn, folder_id, name).await? {
        return Ok(name.to_string());
    }
    if on_conflict == OnConflict::Fail {
        return Err(Error::NameConflict(format!(
            "A file named `{name}` already exists here."
        )));
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    for n in 1..1000 {
        let candidate = format!("{stem} ({n}){ext}");
        if candidate.len() > validate::MAX_NAME_BYTES {
            break;
        }
        if !ferry_store::files::name_taken(conn, folder_id, &candidate).await? {
            return Ok(candidate);
        }
    }
    Err(Error::NameConflict(format!(
        "No free name like `{name}` is left here."
    )))
}

/// A file's metadata (`FileExpired` once its `ttl` has passed).
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<File> {
    let (file, _) = access::file(app, caller, id, Permission::Read).await?;
    if file.is_expired(app.now_ms()) {
        return Err(Error::FileExpired);
    }
    Ok(file)
}

/// A file whose content the caller may read now, with its folder: held files are for admins
/// only, expired ones for nobody.
pub async fn readable(app: &AppState, caller: &Caller, id: &str) -> Result<(File, Folder)> {
    let (file, folder) = access::file(app, caller, id, Permission::Read).await?;
    if file.is_held() && !access::may_read_held(caller) {
        return Err(Error::FileHeld);
    }
    if file.is_expired(app.now_ms()) {
        return Err(Error::FileExpired);
    }
    Ok((file, folder))
}

/// Records that the caller downloaded `bytes` of a file (`ranges` as `"start-end"`, or none
/// for the whole file).
pub async fn record_download(
    app: &AppState,
    caller: &Caller,
    file: &File,
    bytes: u64,
    ranges: Option<Vec<String>>,
) -> Result<()> {
    let mut tx = app.store.begin().await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FileDownloaded,
        (TargetKind::File, &file.id),
    )
    .at(app.now_ms())
    .in_folder(&file.folder_id)
    .details(json!({"bytes": bytes, "ranges": ranges, "name": file.name}))
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a delete did.
pub enum Deleted {
    /// The folder keeps deleted files: the file is held, restorable until the hold ends.
    Held(Box<File>),
    /// Gone at once.
    Removed,
}

/// Deletes a file: held when its folder has a retention rule, removed otherwise.
pub async fn delete(app: &AppState, caller: &Caller, id: &str) -> Result<Deleted> {
    let (file, folder) = access::file(app, caller, id, Permission::Write).await?;
    if file.is_held() {
        return Err(Error::FileHeld);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    // Re-read inside the transaction: a concurrent delete may have won.
    let file = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .filter(|f| !f.is_held())
        .ok_or(Error::NotFound)?;
    let deleted = audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FileDeleted,
        (TargetKind::File, &file.id),
    )
    .at(app.now_ms())
    .in_folder(&folder.id)
    .details(
        json!({"name": file.name, "size": file.size, "retention_days": folder.retention_days}),
    );
    if folder.retention_days > 0 {
        let held_until = now + folder.retention_days * 86_400_000;
        ferry_store::files::hold(&mut tx, &file.id, held_until, now).await?;
        deleted.append(&mut tx).await?;
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::FileHeld,
            (TargetKind::File, &file.id),
        )
        .at(app.now_ms())
        .in_folder(&folder.id)
        .details(json!({"held_until": rfc3339(held_until)}))
        .append(&mut tx)
        .await?;
        let held = ferry_store::files::get(&mut tx, &file.id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(Deleted::Held(Box::new(held)))
    } else {
        if !ferry_store::files::remove(&mut tx, &file, now).await? {
            return Err(Error::NotFound);
        }
        deleted.append(&mut tx).await?;
        tx.commit().await?;
        Ok(Deleted::Removed)
    }
}

/// Restores a held file (whoever manages its folder). If a live file took its name meanwhile,
/// the restored one is renamed `name (1).ext`.
pub async fn restore(app: &AppState, caller: &Caller, id: &str) -> Result<File> {
    let (file, folder) = access::file(app, caller, id, Permission::Manage).await?;
    if !file.is_held() {
        return Err(Error::FileNotHeld);
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::folders::lock(&mut tx, &folder.id).await?;
    let name = free_name(&mut tx, &folder.id, &file.name, OnConflict::Rename).await?;
    if !ferry_store::files::restore(&mut tx, &file.id, &name, now).await? {
        return Err(Error::FileNotHeld);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FileRestored,
        (TargetKind::File, &file.id),
    )
    .at(app.now_ms())
    .in_folder(&folder.id)
    .details(json!({"name": name}))
    .append(&mut tx)
    .await?;
    let restored = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(restored)
}
