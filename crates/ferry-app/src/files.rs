//! Adding content to a folder as a file: the size budget of an upload, the free name, the
//! quota charge, publishing the blob and the `upload.completed` record, in one transaction.

use ferry_blob::{BlobError, ByteStream, Staged};
use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, OnConflict, Permission, validate};
use ferry_store::files::{File, NewFile};
use ferry_store::folders::{Folder, Namespace};
use ferry_store::users::User;
use serde_json::json;

use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::namespace::free_name;
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

    /// Stages a simple upload's body: in memory when it is small enough for the database
    /// (`storage.inline_max_bytes`), else in the blob store.
    pub async fn stage(&self, state: &AppState, body: ByteStream<'_>) -> Result<Staged> {
        let inline_max = state.config.storage.inline_max_bytes;
        match crate::inline_blobs::stage(state.blobs.as_ref(), body, self.max(), inline_max).await {
            Err(BlobError::TooLarge { limit }) => Err(self.error(limit.saturating_add(1))),
            other => Ok(other?),
        }
    }
}

/// Where a simple upload goes and what it says about the file.
pub struct Target<'a> {
    pub folder: &'a Folder,
    pub name: &'a str,
    pub on_conflict: OnConflict,
    pub expires_at: Option<i64>,
    pub client_modified_at: Option<i64>,
}

/// Turns staged bytes into a file (or a new version, with `new_version`): charges the quota,
/// then records the file.
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    target: Target<'_>,
    staged: Staged,
) -> Result<ferry_store::files::File> {
    let Target {
        folder,
        name,
        on_conflict,
        expires_at,
        client_modified_at,
    } = target;
    if let Err(e) = access::require_caller_policy(state, caller, access::Guarded::Upload).await {
        state.blobs.discard(staged).await;
        return Err(e);
    }
    let mut tx = state.store.begin().await?;
    // The folder owner pays for the file (admins uploading elsewhere do not).
    if let Err(e) = crate::folders::charge(&mut tx, &folder.owner_id, staged.size as i64).await {
        drop(tx);
        state.blobs.discard(staged).await;
        return Err(e);
    }
    let new = NewContent {
        name,
        on_conflict,
        sha256: staged.sha256.clone(),
        size: staged.size as i64,
        expires_at,
        client_modified_at,
        method: "simple",
        paid_by: &folder.owner_id,
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
    /// A resumable upload session's data (sealed).
    Session(Box<ferry_store::uploads::Upload>),
}

/// Where the blob store keeps the content `sha256` (its hash on local disk), for serving it:
/// content the scan rule refuses (infected, or not clean yet under `block_until_clean`) is
/// refused here too, whichever door asks.
pub async fn blob_key(state: &AppState, sha256: &str) -> Result<String> {
    crate::scan::require_servable(state, sha256).await?;
    let mut conn = state.store.conn().await?;
    ferry_store::files::blob_key(&mut conn, sha256)
        .await?
        .ok_or(Error::NotFound)
}

/// Takes a reference on the content `sha256` in `tx` and publishes the source's bytes under
/// their key, or drops staged bytes when the same content is stored already under another
/// key (S3; on local disk the key is the hash, and publishing deduplicates). A session's
/// data that turns out to be a duplicate is removed by its upload once committed (see
/// `uploads::finish`). Says whether the content is new to the scanner (see
/// [`crate::scan::on_publish`]).
pub(crate) async fn publish_source(
    state: &AppState,
    tx: &mut ferry_store::Tx,
    sha256: &str,
    size: i64,
    source: Source,
) -> Result<bool> {
    let key = match &source {
        Source::Staged(staged) => staged.key.clone(),
        Source::Session(upload) => state.blobs.session_key(&upload.id, sha256),
    };
    // Reference first, then publish, inside the transaction: the blob row stays locked, so a
    // concurrent garbage collection of the same content cannot delete what we publish.
    // Staged bytes bring the CRC-32 archives need (a session's is set by its upload).
    let crc32 = match &source {
        Source::Staged(staged) => Some(staged.crc32),
        Source::Session(_) => None,
    };
    let stored =
        ferry_store::files::reference_new_blob(tx, sha256, size, &key, crc32, state.now_ms())
            .await?;
    let scan = crate::scan::initial(&state.config.scan);
    let new_to_scanner = ferry_store::scans::ensure(tx, sha256, scan, state.now_ms()).await?;
    match source {
        Source::Staged(staged) if stored == key => match staged.content() {
            // Small content is kept by the database, in this transaction.
            Some(content) => ferry_store::blob_contents::insert(tx, sha256, content).await?,
            None => state.blobs.publish(staged).await?,
        },
        Source::Staged(staged) => state.blobs.discard(staged).await,
        Source::Session(upload) if stored == key => {
            let session = crate::uploads::session(&upload);
            state.blobs.session_publish(&session, sha256).await?
        }
        Source::Session(_) => {}
    }
    Ok(new_to_scanner)
}

/// Verified content about to become a file.
pub struct NewContent<'a> {
    pub name: &'a str,
    pub on_conflict: OnConflict,
    pub sha256: String,
    pub size: i64,
    pub expires_at: Option<i64>,
    /// When the client says the file was last modified (kept as `client_modified_at`).
    pub client_modified_at: Option<i64>,
    /// `simple`, `resumable` or `tus`, for the audit record.
    pub method: &'static str,
    /// Whose quota was charged for the bytes (the folder's owner when the upload began).
    pub paid_by: &'a str,
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
    let ns = Namespace::In {
        folder_id: &folder.id,
    };
    ferry_store::folders::lock(tx, ns)
        .await
        .map_err(|e| fail(e.into()))?;
    // The folder (or one above it) may have been deleted while the bytes arrived.
    let chain = match crate::namespace::live_chain(tx, &folder.id).await {
        Ok(chain) => chain,
        Err(e) => return Err((e, Some(source))),
    };
    // Or moved into another owner's tree: the row lock orders this against such a move (which
    // locks the rows it hands over), and the bytes follow the folder to its owner now.
    let read_owner = chain.last().map_or(&folder.owner_id, |f| &f.owner_id);
    let owner = match ferry_store::folders::lock_row(tx, &folder.id, read_owner).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return Err((Error::NotFound, Some(source))),
        Err(e) => return Err((e.into(), Some(source))),
    };
    if owner != new.paid_by
        && let Err(e) = crate::folders::transfer_quota(tx, new.paid_by, &owner, new.size).await
    {
        return Err((e, Some(source)));
    }
    if let Err(e) = crate::folders::check_size_limits(tx, &chain, new.size).await {
        return Err((e, Some(source)));
    }
    // A file past its time to live still holds its name until the collector purges it; purge
    // it now, as the collector would, so that the new content neither lands as a version of a
    // file nobody can see nor is renamed around it.
    let stale = ferry_store::files::by_name(tx, &folder.id, new.name)
        .await
        .map_err(|e| fail(e.into()))?
        .filter(|f| f.is_expired(now));
    if let Some(stale) = stale
        && let Err(e) = purge_expired(state, tx, &stale).await
    {
        return Err((e, Some(source)));
    }
    if new.on_conflict == OnConflict::NewVersion {
        let existing = ferry_store::files::by_name(tx, &folder.id, new.name)
            .await
            .map_err(|e| fail(e.into()))?;
        if let Some(existing) = existing {
            return crate::versions::add_from_upload(
                state, tx, caller, folder, existing, new, source,
            )
            .await;
        }
    }
    let name = match free_name(tx, ns, new.name, new.on_conflict, None).await {
        Ok(n) => n,
        Err(e) => return Err((e, Some(source))),
    };
    let new_to_scanner = publish_source(state, tx, &new.sha256, new.size, source)
        .await
        .map_err(fail)?;
    let id = IdKind::File.generate();
    let mime = mime_guess::from_path(&name)
        .first_or_octet_stream()
        .to_string();
    ferry_store::files::insert(
        tx,
        &NewFile {
            id: &id,
            folder_id: &folder.id,
            owner_id: &owner,
            name: &name,
            size: new.size,
            sha256: &new.sha256,
            mime_type: &mime,
            expires_at: new.expires_at,
            client_modified_at: new.client_modified_at,
            created_by: caller.user_ref().map(|u| (u.id.as_str(), u.login.as_str())),
            now,
        },
    )
    .await
    .map_err(|e| fail(e.into()))?;
    crate::thumbnails::queue(state, tx, &new.sha256, &mime)
        .await
        .map_err(fail)?;
    let holder = ferry_store::scans::Holder {
        file_id: id.clone().into(),
        folder_id: folder.id.clone(),
        owner_id: owner.clone().into(),
        name: name.clone(),
    };
    crate::scan::on_publish(tx, &holder, &new.sha256, new_to_scanner, now)
        .await
        .map_err(fail)?;
    let file = ferry_store::files::get(tx, &id)
        .await
        .map_err(|e| fail(e.into()))?
        .ok_or_else(|| fail(Error::NotFound))?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::UploadCompleted,
        (TargetKind::File, &id),
    )
        .at(state.now_ms())
        .in_folder(&folder.id)
        .details(json!({"name": name, "size": new.size, "checksum_sha256": new.sha256, "method": new.method}))
        .located(&file, &chain)
        .append(tx)
        .await
        .map_err(|e| fail(e.into()))?;
    // The response shows the file's path: the chain read under the folder lock is current.
    caller.remember_chain(&folder.id, chain);
    Ok(file)
}

/// A file with the path of its folder.
pub struct Entry {
    pub file: File,
    pub folder_path: String,
}

impl Entry {
    pub async fn of(conn: &mut ferry_store::Conn, caller: &Caller, file: File) -> Result<Entry> {
        let folder_path = crate::namespace::folder_path(conn, caller, &file.folder_id).await?;
        Ok(Entry { file, folder_path })
    }
}

/// A file's metadata (`FileExpired` once its `ttl` has passed).
pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<Entry> {
    let (file, _) = access::file_to_show(app, caller, id).await?;
    if file.is_expired(app.now_ms()) {
        return Err(Error::FileExpired);
    }
    let mut conn = app.store.conn().await?;
    Entry::of(&mut conn, caller, file).await
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

/// A file whose content the caller may download now: [`readable`], the caller's policies
/// allow downloads (`PolicyDenied`), and the scan rule allows serving its content
/// (`FileInfected`, `ScanPending`).
pub async fn downloadable(app: &AppState, caller: &Caller, id: &str) -> Result<(File, Folder)> {
    let found = readable(app, caller, id).await?;
    access::require_caller_policy(app, caller, access::Guarded::Download).await?;
    crate::scan::require_servable(app, &found.0.sha256).await?;
    Ok(found)
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

/// Longest tag, in characters, and most tags on one file.
const MAX_TAG_CHARS: usize = 64;
const MAX_TAGS: usize = 32;

fn checked_tags(tags: &[String]) -> Result<String> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid("tags", "invalid_value", "At most 32 tags."));
    }
    let mut clean: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let n = tag.chars().count();
        if n == 0 || n > MAX_TAG_CHARS || tag.chars().any(char::is_control) || tag.trim() != tag {
            return Err(Error::invalid(
                "tags",
                "invalid_value",
                "Each tag is 1 to 64 characters, without control characters or surrounding \
                 spaces.",
            ));
        }
        if !clean.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            clean.push(tag.clone());
        }
    }
    serde_json::to_string(&clean).map_err(Error::internal)
}

/// What a PATCH of a file asks for.
#[derive(Default)]
pub struct FilePatch<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub tags: Option<&'a [String]>,
}

/// Renames, describes or tags a file (needs `write`); `revision` (from `If-Match`) refuses a
/// lost update.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    patch: FilePatch<'_>,
    revision: Option<i64>,
) -> Result<Entry> {
    let (file, folder) = access::file(app, caller, id, Permission::Read).await?;
    if !access::folder_permissions(caller, &folder).contains(&Permission::Write) {
        return Err(Error::PermissionDenied);
    }
    if file.trash_id.is_some() {
        return Err(Error::FileHeld);
    }
    let name = patch
        .name
        .map(|n| validate::stored_name("name", n))
        .transpose()?;
    let description = crate::folders::checked_description(patch.description)?;
    let tags = patch.tags.map(checked_tags).transpose()?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let ns = Namespace::In {
        folder_id: &folder.id,
    };
    ferry_store::folders::lock(&mut tx, ns).await?;
    if let Some(name) = &name {
        free_name(&mut tx, ns, name, OnConflict::Fail, Some(&file.id)).await?;
    }
    let mime = name
        .as_ref()
        .map(|n| mime_guess::from_path(n).first_or_octet_stream().to_string());
    let changes = ferry_store::files::FileChanges {
        name: name.as_deref(),
        description,
        tags: tags.as_deref(),
        mime_type: mime.as_deref(),
    };
    if !ferry_store::files::update(&mut tx, &file.id, &changes, revision, now).await? {
        return Err(Error::PreconditionFailed);
    }
    let (action, details) = match &name {
        Some(n) if *n != file.name => (Action::FileRenamed, json!({"from": file.name, "to": n})),
        _ => (
            Action::FileUpdated,
            json!({"description": description.is_some(), "tags": patch.tags}),
        ),
    };
    audit::success(
        &caller.origin,
        caller.user_ref(),
        action,
        (TargetKind::File, &file.id),
    )
    .at(now)
    .in_folder(&folder.id)
    .details(details)
    .append(&mut tx)
    .await?;
    let updated = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .ok_or(Error::NotFound)?;
    let entry = Entry::of(&mut tx, caller, updated).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Moves a file into another folder (or renames it in place), atomically: the name is taken
/// under the target folder's lock. Into another owner's tree the file's bytes (all versions)
/// move to that owner's quota.
pub async fn move_file(
    app: &AppState,
    caller: &Caller,
    id: &str,
    to: crate::folders::Destination<'_>,
) -> Result<crate::folders::Outcome<Entry>> {
    use crate::folders::Outcome;
    let (file, folder) = access::file(app, caller, id, Permission::Read).await?;
    if !access::folder_permissions(caller, &folder).contains(&Permission::Write) {
        return Err(Error::PermissionDenied);
    }
    if file.trash_id.is_some() {
        return Err(Error::FileHeld);
    }
    let (target, name) = destination_of(app, caller, &file, &to).await?;
    access::may_move_between(caller, &folder, &target)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let ns = Namespace::In {
        folder_id: &target.id,
    };
    ferry_store::folders::lock(&mut tx, ns).await?;
    crate::namespace::live_chain(&mut tx, &target.id).await?;
    let file = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .filter(|f| f.trash_id.is_none())
        .ok_or(Error::NotFound)?;
    if to.revision.is_some_and(|r| r != file.revision) {
        return Err(Error::PreconditionFailed);
    }
    let name = free_name(&mut tx, ns, &name, to.on_conflict, Some(&file.id)).await?;
    if target.owner_id != file.owner_id {
        let bytes = version_bytes(&mut tx, &file.id).await?;
        crate::folders::transfer_quota(&mut tx, &file.owner_id, &target.owner_id, bytes).await?;
    }
    if !ferry_store::files::relocate(
        &mut tx,
        &file.id,
        &target.id,
        &target.owner_id,
        &name,
        None,
        now,
    )
    .await?
    {
        return Err(Error::NotFound);
    }
    if to.dry_run {
        return Ok(Outcome::WouldSucceed);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FileMoved,
        (TargetKind::File, &file.id),
    )
    .at(now)
    .in_folder(&target.id)
    .details(
        json!({"from_folder_id": file.folder_id, "to_folder_id": target.id,
        "from_name": file.name, "name": name}),
    )
    .append(&mut tx)
    .await?;
    let moved = ferry_store::files::get(&mut tx, &file.id)
        .await?
        .ok_or(Error::NotFound)?;
    let entry = Entry::of(&mut tx, caller, moved).await?;
    tx.commit().await?;
    Ok(Outcome::Done(entry))
}

/// The folder a move or copy of `file` goes into (writable by the caller) and the name it
/// takes there.
async fn destination_of(
    app: &AppState,
    caller: &Caller,
    file: &File,
    to: &crate::folders::Destination<'_>,
) -> Result<(Folder, String)> {
    let target_id = to
        .parent_id
        .ok_or_else(|| Error::invalid("folder_id", "missing_field", "Give a folder_id."))?;
    let target = crate::folders::writable_target(app, caller, target_id).await?;
    let name = match to.name {
        Some(n) => validate::stored_name("name", n)?,
        None => file.name.clone(),
    };
    Ok((target, name))
}

/// Bytes all versions of a file hold (what its owner's quota pays for it).
pub(crate) async fn version_bytes(conn: &mut ferry_store::Conn, file_id: &str) -> Result<i64> {
    let versions = ferry_store::files::versions(conn, file_id, None, i64::MAX).await?;
    Ok(versions.iter().map(|v| v.size).sum())
}

/// Copies a file's current version into a folder as a new file (a new id, the same blob: no
/// bytes are copied); the target folder's owner pays for it.
pub async fn copy_file(
    app: &AppState,
    caller: &Caller,
    id: &str,
    to: crate::folders::Destination<'_>,
) -> Result<crate::folders::Outcome<Entry>> {
    let (file, _) = readable(app, caller, id).await?;
    copy_permitted_file(app, caller, &file, to).await
}

/// [`copy_file`] of a file whose reading the caller was already allowed (through a link).
pub(crate) async fn copy_permitted_file(
    app: &AppState,
    caller: &Caller,
    file: &File,
    to: crate::folders::Destination<'_>,
) -> Result<crate::folders::Outcome<Entry>> {
    use crate::folders::Outcome;
    let (target, name) = destination_of(app, caller, file, &to).await?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    let ns = Namespace::In {
        folder_id: &target.id,
    };
    ferry_store::folders::lock(&mut tx, ns).await?;
    let chain = crate::namespace::live_chain(&mut tx, &target.id).await?;
    let name = free_name(&mut tx, ns, &name, to.on_conflict, None).await?;
    crate::folders::charge(&mut tx, &target.owner_id, file.size).await?;
    crate::folders::check_size_limits(&mut tx, &chain, file.size).await?;
    if to.dry_run {
        return Ok(Outcome::WouldSucceed);
    }
    let copy_id = insert_copy(
        app,
        &mut tx,
        caller,
        file,
        &target.id,
        &target.owner_id,
        &name,
    )
    .await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::FileCopied,
        (TargetKind::File, &copy_id),
    )
    .at(now)
    .in_folder(&target.id)
    .details(
        json!({"source_id": file.id, "folder_id": target.id, "name": name,
        "size": file.size}),
    )
    .append(&mut tx)
    .await?;
    let copy = ferry_store::files::get(&mut tx, &copy_id)
        .await?
        .ok_or(Error::NotFound)?;
    let entry = Entry::of(&mut tx, caller, copy).await?;
    tx.commit().await?;
    Ok(Outcome::Done(entry))
}

/// Inserts a copy of `file`'s current version into `folder_id` as `name` (quota already
/// charged); returns the copy's id.
pub(crate) async fn insert_copy(
    app: &AppState,
    tx: &mut ferry_store::Tx,
    caller: &Caller,
    file: &File,
    folder_id: &str,
    owner_id: &str,
    name: &str,
) -> Result<String> {
    let now = app.now_ms();
    let id = IdKind::File.generate();
    ferry_store::files::reference_blob(tx, &file.sha256, file.size, now).await?;
    ferry_store::files::insert(
        tx,
        &NewFile {
            id: &id,
            folder_id,
            owner_id,
            name,
            size: file.size,
            sha256: &file.sha256,
            mime_type: &file.mime_type,
            expires_at: file.expires_at,
            client_modified_at: file.client_modified_at,
            created_by: caller.user_ref().map(|u| (u.id.as_str(), u.login.as_str())),
            now,
        },
    )
    .await?;
    Ok(id)
}

/// Purges a file past its time to live inside `tx`, audited as the collector audits it.
async fn purge_expired(
    state: &AppState,
    tx: &mut ferry_store::Tx,
    file: &ferry_store::files::File,
) -> Result<()> {
    if ferry_store::files::remove(tx, file, state.now_ms()).await? {
        audit::success(
            &crate::caller::Origin::system("retention"),
            None,
            Action::FilePurged,
            (TargetKind::File, &file.id),
        )
        .at(state.now_ms())
        .in_folder(&file.folder_id)
        .details(json!({"name": file.name, "size": file.size, "reason": "ttl"}))
        .append(tx)
        .await?;
    }
    Ok(())
}

/// `file` with its folder's path, for the doors to show it.
pub async fn locate(app: &AppState, caller: &Caller, file: File) -> Result<Entry> {
    let mut conn = app.store.conn().await?;
    Entry::of(&mut conn, caller, file).await
}
