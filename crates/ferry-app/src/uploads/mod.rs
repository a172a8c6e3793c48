//! Resumable uploads (the native protocol here, tus in [`tus`]): planning parts, durable part
//! writes, the whole-file SHA-256 advanced as contiguous parts arrive, and completion that
//! never waits on a whole-file pass. Expiry and crash recovery are in `expiry`, the caller's
//! listing and abort in `listing`.
//!
//! Ordering: a part writer holds the session lock shared and its part's lock; the hasher holds
//! the upload's hasher lock and, per part, that part's lock; completion holds the session lock
//! exclusively. So no byte changes while it is hashed, and nothing changes after verification.

mod expiry;
mod listing;
pub mod multipart;
pub mod tus;

pub use expiry::{resume_completing, sweep};
pub use listing::{
    LISTED_BY_DEFAULT, abort, list, parse_statuses, received_parts, received_parts_of,
};

use std::time::Duration;

use ferry_blob::{BlobError, ByteStream, Session, Sha256, WholeHash};
use ferry_core::audit::{Action, TargetKind};
use ferry_core::{IdKind, Permission, UploadStatus, validate};
use ferry_store::uploads::{self as store, Upload};
use ferry_store::users::User;
use serde_json::json;
use sha2::Digest;

use crate::access;
use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::{Error, Result};
use crate::files::{NewContent, Source, add_file};
use crate::state::AppState;
use ferry_core::OnConflict;

pub const MIB: i64 = 1 << 20;
/// Part size when the client has no wish.
pub const DEFAULT_PART_SIZE: i64 = 64 * MIB;
/// Bounds on a client's wished part size.
pub const MIN_PART_SIZE: i64 = 5 * MIB;
pub const MAX_PART_SIZE: i64 = 5 << 30;
/// At most this many parts per upload.
pub const MAX_PARTS: i64 = 10_000;
/// `complete` answers within this long; verification continues in the background after.
const COMPLETE_WAIT: Duration = Duration::from_secs(3);

/// Picks `(part_size, part_count)` for `size` bytes: the client's wish if within bounds, else
/// 64 MiB, grown in whole MiB when that would need more than 10,000 parts.
pub fn plan_parts(size: i64, wished: Option<i64>) -> Result<(i64, i64)> {
    let part_size = match wished {
        Some(p) => {
            validate::in_range("part_size", p, MIN_PART_SIZE..=MAX_PART_SIZE)?;
            if div_ceil(size, p) > MAX_PARTS {
                return Err(Error::invalid(
                    "part_size",
                    "invalid_value",
                    format!("part_size is too small for {size} bytes: at most {MAX_PARTS} parts."),
                ));
            }
            p
        }
        None => {
            let needed = div_ceil(size, MAX_PARTS);
            DEFAULT_PART_SIZE.max(div_ceil(needed, MIB) * MIB)
        }
    };
    Ok((part_size, div_ceil(size, part_size).max(1)))
}

fn div_ceil(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// Accepts a SHA-256 as 64 hex characters (any case), returned in lowercase.
pub fn parse_checksum(field: &'static str, value: &str) -> Result<String> {
    if ferry_blob::is_sha256_hex(&value.to_ascii_lowercase()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Error::invalid(
            field,
            "invalid_checksum",
            "A SHA-256 checksum is 64 hexadecimal characters.",
        ))
    }
}

/// The upload as its blob store session.
pub fn session(upload: &Upload) -> Session<'_> {
    Session {
        id: &upload.id,
        size: upload.size.max(0) as u64,
        part_size: upload.part_size.max(1) as u64,
        sequential: upload.protocol == "tus",
        handle: upload.blob_session.as_deref(),
    }
}

/// Loads an upload the caller may see (see [`access::upload`]).
pub async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<Upload> {
    access::upload(state, caller, id).await
}

/// The error for a session that no longer takes parts.
pub(super) fn not_open(upload: &Upload, now: i64) -> Error {
    match upload.status {
        UploadStatus::Completing | UploadStatus::Completed => Error::UploadAlreadyCompleted,
        UploadStatus::Aborted => Error::UploadAborted,
        UploadStatus::Failed => Error::UploadFailed,
        UploadStatus::Open if upload.expires_at > now => {
            Error::internal(anyhow::anyhow!("upload is open"))
        }
        _ => Error::UploadExpired,
    }
}

/// Parameters of a new upload, validated by the caller's protocol layer.
pub struct NewUpload {
    /// None only for tus partial uploads, which are never published on their own.
    pub folder_id: Option<String>,
    pub filename: String,
    pub size: i64,
    pub checksum_sha256: Option<String>,
    pub part_size: Option<i64>,
    pub on_conflict: OnConflict,
    /// `resumable` or `tus`, for the audit record.
    pub method: &'static str,
    /// tus specifics; None for the native protocol.
    pub tus: Option<TusInfo>,
    /// Quota the payer already holds for this content (a tus final upload takes over its
    /// partial uploads' reservations), so only the rest is reserved.
    pub already_reserved: i64,
    /// Subfolders of `folder_id` to put the file in (`2026/reports`), created when missing.
    pub relative_path: Option<String>,
    /// When the client says the file was last modified (kept as `client_modified_at`).
    pub client_modified_at: Option<i64>,
}

/// An upload through an upload link: the link's folder (already decided by
/// [`access::upload_link_target`]) and who says they are sending it.
pub struct ViaLink {
    pub link_id: String,
    pub folder: ferry_store::folders::Folder,
    /// The link's creator: the upload's creator of record.
    pub creator_id: String,
    pub uploader_name: Option<String>,
    pub uploader_email: Option<String>,
}

/// What a tus upload records beyond the native fields.
pub struct TusInfo {
    /// `partial`, `final` or None (concatenation extension).
    pub concat: Option<&'static str>,
    /// For `final`: the partial upload ids in order, space separated.
    pub partials: Option<String>,
    /// The raw `Upload-Metadata` header.
    pub metadata: Option<String>,
}

/// Opens a session: checks the folder, size limits and quota (reserving the space).
pub async fn create(state: &AppState, caller: &Caller, new: NewUpload) -> Result<Upload> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    access::require_policy(state, user, access::Guarded::Upload).await?;
    let mut new = new;
    let folder = match &new.folder_id {
        Some(id) => {
            let folder = access::folder(state, caller, id, Permission::Write).await?;
            new.filename = validate::stored_name("filename", &new.filename)?;
            match new.relative_path.as_deref() {
                Some(path) => {
                    Some(crate::folders::ensure_subfolders(state, caller, &folder, path).await?)
                }
                None => Some(folder),
            }
        }
        None => None,
    };
    open_session(state, caller, Some(user), &user.id, folder, new, None).await
}

/// Opens a session through an upload link into `via.folder` (a subfolder when the link makes
/// one per upload): takes one file of `size` bytes from the link's limits in the same
/// transaction as the quota (`LinkExhausted` when it cannot), never overwrites.
pub async fn create_via_link(
    state: &AppState,
    caller: &Caller,
    mut new: NewUpload,
    via: ViaLink,
) -> Result<Upload> {
    new.filename = validate::stored_name("filename", &new.filename)?;
    new.on_conflict = OnConflict::Rename;
    let folder = via.folder.clone();
    open_session(
        state,
        caller,
        None,
        &via.creator_id.clone(),
        Some(folder),
        new,
        Some(via),
    )
    .await
}

async fn open_session(
    state: &AppState,
    caller: &Caller,
    user: Option<&User>,
    creator_id: &str,
    folder: Option<ferry_store::folders::Folder>,
    new: NewUpload,
    via: Option<ViaLink>,
) -> Result<Upload> {
    if new.size < 0 {
        return Err(Error::invalid(
            "size",
            "invalid_value",
            "size must be 0 or more bytes.",
        ));
    }
    let max = state.config.limits.max_file_size;
    if new.size > max {
        return Err(Error::FileTooLarge { limit: max });
    }
    // tus writes sequentially: one part spanning the file.
    let tus_like = new.tus.is_some();
    let (part_size, part_count) = match new.tus {
        Some(_) => (new.size.max(1), 1),
        None => plan_parts(new.size, new.part_size)?,
    };
    let tus = new.tus.unwrap_or(TusInfo {
        concat: None,
        partials: None,
        metadata: None,
    });
    let now = state.now_ms();
    let mut upload = Upload {
        id: IdKind::Upload.generate().into(),
        creator_id: creator_id.to_string().into(),
        // The folder owner pays; a tus partial upload is charged to its creator.
        payer_id: folder
            .as_ref()
            .map_or(creator_id.into(), |f| f.owner_id.clone()),
        folder_id: folder.as_ref().map(|f| f.id.to_string()),
        filename: new.filename,
        size: new.size,
        part_size,
        part_count,
        checksum_sha256: new.checksum_sha256,
        on_conflict: new.on_conflict,
        status: UploadStatus::Open,
        hashed_parts: 0,
        hash_state: None,
        file_id: None,
        expires_at: now + state.config.uploads.session_ttl_secs * 1000,
        created_at: now,
        updated_at: now,
        // Sequential (tus, seed 003's chunks) or in parts (the native protocol).
        protocol: if tus_like { "tus" } else { "native" }.into(),
        tus_offset: 0,
        tus_concat: tus.concat.map(str::to_string),
        tus_partials: tus.partials,
        tus_metadata: tus.metadata,
        client_modified_at: new.client_modified_at,
        link_id: via.as_ref().map(|v| v.link_id.clone()),
        uploader_name: via.as_ref().and_then(|v| v.uploader_name.clone()),
        uploader_email: via.as_ref().and_then(|v| v.uploader_email.clone()),
        blob_session: None,
    };
    // The data's storage exists before the row commits; a crash in between leaves an orphan
    // that the sweeps remove (on S3 a multipart upload, recorded before any part is sent and
    // aborted by the collector), never a row without its storage. Created before the
    // transaction: recording the multipart upload is a write of its own, which on SQLite
    // would wait for this transaction's lock.
    upload.blob_session = state.blobs.session_create(&session(&upload)).await?;
    let created: Result<()> = async {
        let mut tx = state.store.begin().await?;
        // `fail` refuses a taken name before a byte is sent, and so does `new_version` when
        // the name is a folder's (only a file can take a version); completion checks again,
        // since the name may be taken while the parts arrive.
        if new.on_conflict != OnConflict::Rename
            && let Some(folder) = &folder
        {
            let ns = ferry_store::folders::Namespace::In {
                folder_id: &folder.id,
            };
            let taken =
                ferry_store::folders::name_in_use(&mut tx, ns, &upload.filename, None).await?;
            let versionable = new.on_conflict == OnConflict::NewVersion
                && ferry_store::files::by_name(&mut tx, &folder.id, &upload.filename)
                    .await?
                    .is_some();
            if taken && !versionable {
                return Err(Error::NameConflict(format!(
                    "Something named `{}` already exists here (names are compared without case).",
                    upload.filename
                )));
            }
        }
        if let Some(via) = &via {
            crate::upload_links::take(&mut tx, state, &via.link_id, upload.size).await?;
        }
        // A size limit above the folder refuses a file that cannot fit before a byte is sent
        // (completion checks again: uploads in flight are not counted until then).
        if let Some(folder) = &folder {
            let chain = crate::namespace::live_chain(&mut tx, &folder.id).await?;
            crate::folders::check_size_limits(&mut tx, &chain, upload.size).await?;
        }
        let to_reserve = (upload.size - new.already_reserved).max(0);
        crate::folders::charge(&mut tx, &upload.payer_id, to_reserve).await?;
        store::insert(&mut tx, &upload).await?;
        let target = (TargetKind::Upload, upload.id.as_str());
        audit::success(&caller.origin, user, Action::UploadCreated, target)
            .at(state.now_ms())
            .in_folder_opt(upload.folder_id.as_deref())
            .details(json!({
                "filename": upload.filename,
                "size": upload.size,
                "part_count": part_count,
                "method": new.method,
            }))
            .append(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(e) = created {
        // Refused (or failed): the storage made for it goes again.
        if let Err(cleanup) = state.blobs.session_delete(&session(&upload)).await {
            tracing::warn!(
                error = %cleanup,
                upload = %upload.id,
                "cannot remove a refused upload's storage"
            );
        }
        return Err(e);
    }
    Ok(upload)
}

/// Receives part `part_no`: streams it to its offset, fsyncs, records its SHA-256. A
/// `Content-Digest` (`expected_sha256`) that does not match drops the part.
pub async fn put_part(
    state: &AppState,
    upload: &Upload,
    part_no: i64,
    declared_len: Option<u64>,
    expected_sha256: Option<String>,
    body: ByteStream<'_>,
) -> Result<(i64, String)> {
    let (offset, len) = check_part(upload, part_no, declared_len, state.now_ms())?;
    let locks = &state.upload_locks;
    let session = locks.sessions.get(&upload.id);
    let _shared = session.read().await;
    let part_lock = locks.parts.get(&format!("{}#{part_no}", upload.id));
    let part_guard = part_lock.lock().await;

    // Forget the old copy first: if this write fails half way, the part is simply missing.
    let now = state.now_ms();
    let mut tx = state.store.begin().await?;
    if !store::touch_open(&mut tx, &upload.id, now).await? {
        let current = store::get(&mut tx, &upload.id)
            .await?
            .ok_or(Error::NotFound)?;
        return Err(not_open(&current, now));
    }
    store::forget_part(&mut tx, &upload.id, part_no).await?;
    tx.commit().await?;

    // When this is the part the whole-file hash needs next, hash it on the way in as well:
    // no second read, and nothing left for `complete` when parts arrive in order.
    let mut inline = None;
    if current_upload(state, &upload.id).await?.hashed_parts == part_no - 1 {
        // Our turn: a hasher holding the lock now cannot be hashing this part (it is not
        // recorded yet), so it finishes quickly; wait for it rather than fall back.
        let guard = locks.hashers.get(&upload.id).lock_owned().await;
        let current = current_upload(state, &upload.id).await?;
        if current.hashed_parts == part_no - 1 {
            inline = Some((guard, restore_hash(current.hash_state.as_deref())?));
        }
    }
    let mut part_hasher = Sha256::new();
    let mut whole = inline.as_ref().map(|(_, h)| h.clone());
    // A store that cannot read a part back before the upload is composed (S3): a part that is
    // not next in line keeps its bytes in memory, within a budget, for a background task that
    // hashes them as soon as the parts before it are hashed. So parts sent in order but in
    // parallel leave nothing to read back at completion either.
    let mut held = match (&inline, state.blobs.reads_unsealed()) {
        (None, false) => HOLD_BUDGET
            .try_acquire_many(held_permits(len))
            .ok()
            .map(|permit| (permit, Vec::with_capacity(len as usize))),
        _ => None,
    };
    let appended = state
        .blobs
        .session_append(
            &self::session(upload),
            offset as u64,
            len as u64,
            body,
            &mut |chunk| {
                part_hasher.update(chunk);
                if let Some(w) = whole.as_mut() {
                    w.update(chunk);
                }
                if let Some((_, bytes)) = held.as_mut() {
                    bytes.extend_from_slice(chunk);
                }
            },
        )
        .await;
    let receipt = match appended {
        Ok(a) if a.interrupted => return Err(Error::BodyRead),
        Ok(a) if a.written != len as u64 => {
            return Err(Error::PartSizeMismatch {
                part_no,
                expected: len as u64,
                received: a.written,
            });
        }
        Ok(a) => a.receipt,
        Err(ferry_blob::BlobError::LengthMismatch { expected, received }) => {
            return Err(Error::PartSizeMismatch {
                part_no,
                expected,
                received,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let sha256 = hex::encode(part_hasher.finalize());
    if let Some(expected) = expected_sha256
        && expected != sha256
    {
        return Err(Error::PartChecksumMismatch);
    }
    let now = state.now_ms();
    let mut tx = state.store.begin().await?;
    if !store::touch_open(&mut tx, &upload.id, now).await? {
        let current = store::get(&mut tx, &upload.id)
            .await?
            .ok_or(Error::NotFound)?;
        return Err(not_open(&current, now));
    }
    store::record_part(&mut tx, &upload.id, part_no, len, &sha256, now).await?;
    if let Some(receipt) = &receipt {
        store::set_part_receipt(&mut tx, &upload.id, part_no, receipt).await?;
    }
    if let Some(whole) = &whole {
        // Fails harmlessly if a re-sent earlier part rewound the frontier meanwhile.
        store::advance_hash(
            &mut tx,
            &upload.id,
            part_no - 1,
            part_no,
            whole.serialize().as_slice(),
        )
        .await?;
    }
    tx.commit().await?;
    drop(inline);
    drop(part_guard);
    if let Some((permit, bytes)) = held {
        let bg = state.clone();
        let (id, sha) = (upload.id.clone(), sha256.clone());
        tokio::spawn(async move {
            if let Err(e) = hash_held(&bg, &id, part_no, &sha, &bytes).await {
                tracing::warn!(upload_id = %id, error = %e, "hashing a held part failed");
            }
            drop(permit);
        });
    }

    // Advance the whole-file hash in the background: the client has its answer already.
    let bg = state.clone();
    let id = upload.id.clone();
    tokio::spawn(async move {
        if let Err(e) = advance_hash(&bg, &id, false).await {
            tracing::warn!(upload_id = %id, error = %e, "advancing the upload hash failed");
        }
    });
    Ok((len, sha256))
}

/// Memory for parts held for hashing (see `put_part`), in MiB.
static HOLD_BUDGET: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HOLD_BUDGET_MIB);
const HOLD_BUDGET_MIB: usize = 512;
/// How long a held part waits for the parts before it to be hashed.
const HOLD_WAIT: Duration = Duration::from_secs(120);

fn held_permits(len: i64) -> u32 {
    (len.max(1) as u64)
        .div_ceil(MIB as u64)
        .min(u32::MAX as u64) as u32
}

/// Hashes the held bytes of part `part_no` once the whole-file hash has reached the part
/// before it (on any node), unless the part was replaced, the upload ended or `HOLD_WAIT`
/// passed (then completion reads the part back).
async fn hash_held(
    state: &AppState,
    id: &str,
    part_no: i64,
    sha256: &str,
    bytes: &[u8],
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + HOLD_WAIT;
    loop {
        let current = current_upload(state, id).await?;
        if current.status != UploadStatus::Open || current.hashed_parts >= part_no {
            return Ok(());
        }
        if current.hashed_parts == part_no - 1 {
            let _hashing = state.upload_locks.hashers.get(id).lock_owned().await;
            let (current, part) = {
                let mut conn = state.store.conn().await?;
                let current = store::get(&mut conn, id).await?.ok_or(Error::NotFound)?;
                (current, store::part(&mut conn, id, part_no).await?)
            };
            if current.hashed_parts != part_no - 1 {
                continue;
            }
            if part.is_none_or(|p| p.sha256 != sha256) {
                return Ok(());
            }
            let mut whole = restore_hash(current.hash_state.as_deref())?;
            whole.update(bytes);
            let mut tx = state.store.begin().await?;
            store::advance_hash(
                &mut tx,
                id,
                part_no - 1,
                part_no,
                whole.serialize().as_slice(),
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits while the whole-file hash still advances (held parts being hashed, on this node or
/// another), up to a second without progress: what is left is read back after sealing.
async fn wait_for_held(state: &AppState, id: &str) -> Result<()> {
    let mut last = -1;
    let mut since = tokio::time::Instant::now();
    loop {
        let current = current_upload(state, id).await?;
        if current.hashed_parts >= current.part_count {
            return Ok(());
        }
        if current.hashed_parts != last {
            last = current.hashed_parts;
            since = tokio::time::Instant::now();
        } else if since.elapsed() >= Duration::from_secs(1) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The upload as stored now.
async fn current_upload(state: &AppState, id: &str) -> Result<Upload> {
    let mut conn = state.store.conn().await?;
    store::get(&mut conn, id).await?.ok_or(Error::NotFound)
}

/// The checks a part passes before its body is read: the session takes parts, the number
/// exists, the declared length is the part's. Returns the part's offset and length.
pub fn check_part(
    upload: &Upload,
    part_no: i64,
    declared_len: Option<u64>,
    now: i64,
) -> Result<(i64, i64)> {
    // A session that takes no parts says so before anything else (the authoritative check is
    // the conditional UPDATE below).
    if upload.status != UploadStatus::Open || upload.expires_at <= now {
        return Err(not_open(upload, now));
    }
    if part_no < 1 || part_no > upload.part_count {
        return Err(Error::InvalidPartNumber {
            part_count: upload.part_count,
        });
    }
    let (offset, len) = upload.part_span(part_no);
    if let Some(declared) = declared_len
        && declared != len as u64
    {
        return Err(Error::PartSizeMismatch {
            part_no,
            expected: len as u64,
            received: declared,
        });
    }
    Ok((offset, len))
}

/// The whole-file hasher (SHA-256 and CRC-32) stored as `state` (a fresh one for `None`).
pub fn restore_hash(state: Option<&[u8]>) -> Result<WholeHash> {
    match state {
        None => Ok(WholeHash::new()),
        Some(bytes) => WholeHash::restore(bytes)
            .ok_or_else(|| Error::internal(anyhow::anyhow!("bad stored hash state"))),
    }
}

/// Hashes contiguous received parts past the frontier and persists the midstate after each,
/// so completion only hashes what is left. With `wait`, waits for a running hasher; otherwise
/// leaves the work to it.
pub async fn advance_hash(state: &AppState, id: &str, wait: bool) -> Result<()> {
    let hasher_lock = state.upload_locks.hashers.get(id);
    let _hashing = if wait {
        hasher_lock.lock().await
    } else {
        match hasher_lock.try_lock() {
            Ok(g) => g,
            Err(_) => return Ok(()),
        }
    };
    loop {
        let upload = {
            let mut conn = state.store.conn().await?;
            store::get(&mut conn, id).await?.ok_or(Error::NotFound)?
        };
        let next = upload.hashed_parts + 1;
        if next > upload.part_count {
            return Ok(());
        }
        let part_lock = state.upload_locks.parts.get(&format!("{id}#{next}"));
        // Never wait for a part's writer: it may be waiting for this hasher (to hash its part
        // inline). It advances the hash itself when it is done.
        let Ok(_part) = part_lock.try_lock() else {
            return Ok(());
        };
        let received = {
            let mut conn = state.store.conn().await?;
            store::part(&mut conn, id, next).await?
        };
        let Some(part) = received else { return Ok(()) };
        let (offset, len) = upload.part_span(next);
        debug_assert_eq!(part.size, len);
        let hasher = restore_hash(upload.hash_state.as_deref())?;
        let hashed = state
            .blobs
            .session_hash(&session(&upload), offset as u64, len as u64, hasher)
            .await;
        let hasher = match hashed {
            Ok(h) => h,
            // On S3 a part that came out of order is hashed once the parts are composed.
            Err(BlobError::Unsealed) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let serialized = hasher.serialize();
        let mut tx = state.store.begin().await?;
        let advanced = store::advance_hash(
            &mut tx,
            id,
            upload.hashed_parts,
            next,
            serialized.as_slice(),
        )
        .await?;
        tx.commit().await?;
        if !advanced {
            return Ok(());
        }
    }
}

/// What `complete` produced.
pub enum Completion {
    /// Verified and published.
    Done(ferry_store::files::File),
    /// Still verifying; poll the upload.
    Pending(Upload),
}

/// A `parts` list names every part exactly once: 1..=part_count, in any order.
fn check_parts_list(parts: &[i64], part_count: i64) -> Result<()> {
    if parts.iter().any(|p| *p < 1 || *p > part_count) {
        return Err(Error::InvalidPartNumber { part_count });
    }
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let duplicates: Vec<i64> = sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    sorted.dedup();
    let missing: Vec<i64> = (1..=part_count)
        .filter(|n| sorted.binary_search(n).is_err())
        .collect();
    if duplicates.is_empty() && missing.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidParts {
        part_count,
        duplicates,
        missing,
    })
}

/// Records the checksum to verify against and moves an open upload to `completing`, in the
/// caller's transaction; false if it was not open (another request or the sweep won).
async fn begin_completing(
    tx: &mut ferry_store::Tx,
    id: &str,
    checksum: &str,
    now: i64,
) -> Result<bool> {
    store::set_checksum(tx, id, checksum).await?;
    Ok(store::transition(tx, id, UploadStatus::Open, UploadStatus::Completing, now).await?)
}

/// Starts completion (idempotent) and waits a little for it.
pub async fn complete(
    state: &AppState,
    caller: &Caller,
    upload: Upload,
    parts: Option<Vec<i64>>,
    checksum: Option<String>,
) -> Result<Completion> {
    let now = state.now_ms();
    match upload.status {
        UploadStatus::Completed => {
            return finished_file(state, &upload).await.map(Completion::Done);
        }
        UploadStatus::Completing => return Ok(Completion::Pending(upload)),
        UploadStatus::Open if upload.expires_at > now => {}
        _ => return Err(not_open(&upload, now)),
    }
    let checksum = match (checksum, &upload.checksum_sha256) {
        (Some(given), Some(declared)) if &given != declared => {
            return Err(Error::invalid(
                "checksum_sha256",
                "invalid_checksum",
                "checksum_sha256 differs from the one declared when the upload was created.",
            ));
        }
        (Some(given), _) => given,
        (None, Some(declared)) => declared.clone(),
        (None, None) => {
            return Err(Error::invalid(
                "checksum_sha256",
                "missing_field",
                "checksum_sha256 is required (here or when creating the upload).",
            ));
        }
    };
    if let Some(parts) = &parts {
        check_parts_list(parts, upload.part_count)?;
    }
    let received: Vec<i64> = {
        let mut conn = state.store.conn().await?;
        store::parts(&mut conn, &upload.id)
            .await?
            .iter()
            .map(|p| p.part_no)
            .collect()
    };
    let missing: Vec<i64> = (1..=upload.part_count)
        .filter(|n| received.binary_search(n).is_err())
        .collect();
    if !missing.is_empty() {
        return Err(Error::UploadIncomplete {
            missing_parts: missing,
        });
    }
    let now = state.now_ms();
    let mut tx = state.store.begin().await?;
    let started = begin_completing(&mut tx, &upload.id, &checksum, now).await?;
    tx.commit().await?;
    if !started {
        // Someone else moved it (a second complete, an abort, expiry): answer from its state.
        let current = load(state, caller, &upload.id).await?;
        return match current.status {
            UploadStatus::Completed => finished_file(state, &current).await.map(Completion::Done),
            UploadStatus::Completing => Ok(Completion::Pending(current)),
            _ => Err(not_open(&current, now)),
        };
    }
    let task = tokio::spawn(finish(state.clone(), caller.clone(), upload.id.to_string()));
    match tokio::time::timeout(COMPLETE_WAIT, task).await {
        Ok(joined) => joined.map_err(Error::internal)?.map(Completion::Done),
        Err(_) => Ok(Completion::Pending(load(state, caller, &upload.id).await?)),
    }
}

async fn finished_file(state: &AppState, upload: &Upload) -> Result<ferry_store::files::File> {
    let file_id = upload.file_id.as_deref().ok_or(Error::NotFound)?;
    let mut conn = state.store.conn().await?;
    ferry_store::files::get(&mut conn, file_id)
        .await?
        .ok_or(Error::NotFound)
}

/// Verifies and publishes a `completing` upload. Runs detached from the request, and again
/// after a restart for sessions a crash left `completing`.
pub async fn finish(
    state: AppState,
    caller: Caller,
    id: String,
) -> Result<ferry_store::files::File> {
    let session = state.upload_locks.sessions.get(&id);
    let _exclusive = session.write().await;
    advance_hash(&state, &id, true).await?;
    if !state.blobs.reads_unsealed() {
        wait_for_held(&state, &id).await?;
    }
    let (upload, parts) = {
        let mut conn = state.store.conn().await?;
        let upload = store::get(&mut conn, &id).await?.ok_or(Error::NotFound)?;
        (upload, store::parts(&mut conn, &id).await?)
    };
    if upload.status == UploadStatus::Completed {
        return finished_file(&state, &upload).await;
    }
    // Compose the parts (S3: complete the multipart upload); then parts that came out of
    // order, which S3 cannot read back before, are hashed from the composed object.
    let receipts: Vec<Option<String>> = parts.into_iter().map(|p| p.blob_receipt).collect();
    state
        .blobs
        .session_seal(&self::session(&upload), &receipts)
        .await?;
    let upload = if upload.hashed_parts < upload.part_count {
        advance_hash(&state, &id, true).await?;
        let mut conn = state.store.conn().await?;
        store::get(&mut conn, &id).await?.ok_or(Error::NotFound)?
    } else {
        upload
    };
    if upload.hashed_parts != upload.part_count {
        return Err(Error::internal(anyhow::anyhow!(
            "upload {id} is not fully hashed"
        )));
    }
    let whole = restore_hash(upload.hash_state.as_deref())?;
    let crc32 = whole.crc32();
    let actual = hex::encode(whole.finalize());
    let expected = upload.checksum_sha256.clone().unwrap_or_default();
    if actual != expected {
        fail(
            &state,
            &caller,
            &upload,
            json!({"reason": "checksum_mismatch", "expected": expected, "actual": actual}),
        )
        .await?;
        return Err(Error::ChecksumMismatch { expected, actual });
    }
    let folder = {
        let mut conn = state.store.conn().await?;
        match upload.folder_id.as_deref() {
            Some(folder_id) => ferry_store::folders::get(&mut conn, folder_id).await?,
            None => None,
        }
    };
    let Some(folder) = folder else {
        // Purged while the upload was open: nowhere to put the file.
        fail(&state, &caller, &upload, json!({"reason": "folder_gone"})).await?;
        return Err(Error::NotFound);
    };
    let new = NewContent {
        name: &upload.filename,
        on_conflict: upload.on_conflict,
        sha256: actual,
        size: upload.size,
        expires_at: None,
        client_modified_at: upload.client_modified_at,
        // The protocol the bytes came by (tus uploads finish here too).
        method: if upload.protocol == "tus" {
            "tus"
        } else {
            "resumable"
        },
        paid_by: &upload.payer_id,
    };
    let mut tx = state.store.begin().await?;
    match add_file(
        &state,
        &mut tx,
        &caller,
        &folder,
        new,
        Source::Session(Box::new(upload.clone())),
    )
    .await
    {
        Ok(file) => {
            store::set_file(&mut tx, &id, &file.id, state.now_ms()).await?;
            // The CRC-32 advanced with the SHA-256, for archives (none for a hash state saved
            // before CRCs were kept: the first archive computes it).
            if let Some(crc32) = crc32 {
                ferry_store::archives::set_blob_crc(&mut tx, &file.sha256, crc32).await?;
            }
            let mut file = file;
            if let Some(link_id) = &upload.link_id {
                let uploader = crate::upload_links::Uploader {
                    name: upload.uploader_name.clone(),
                    email: upload.uploader_email.clone(),
                };
                file = crate::upload_links::record_arrival(
                    &mut tx,
                    &state,
                    &caller.origin,
                    link_id,
                    &file,
                    &uploader,
                    if upload.protocol == "tus" {
                        "tus"
                    } else {
                        "resumable"
                    },
                )
                .await?;
            }
            tx.commit().await?;
            // The same content was stored before under another key (S3): this copy is not
            // needed (on local disk the key is the hash, and publishing dropped it).
            let own = state.blobs.session_key(&id, &file.sha256);
            let stored = {
                let mut conn = state.store.conn().await?;
                ferry_store::files::blob_key(&mut conn, &file.sha256).await?
            };
            if stored.is_some_and(|k| k != own) {
                state.blobs.remove(&own).await?;
            }
            Ok(file)
        }
        Err((e, _)) => {
            drop(tx);
            // Failures that trying again cannot mend end the upload, so that its reserved
            // space is given back instead of staying `completing` for good.
            let reason = match &e {
                Error::NameConflict(_) => Some("name_conflict"),
                Error::NotFound | Error::FolderExpired => Some("folder_gone"),
                _ => None,
            };
            if let Some(reason) = reason {
                fail(&state, &caller, &upload, json!({"reason": reason})).await?;
            }
            Err(e)
        }
    }
}

/// Marks a `completing` upload failed: releases its space and data, audits `upload.failed`.
async fn fail(
    state: &AppState,
    caller: &Caller,
    upload: &Upload,
    details: serde_json::Value,
) -> Result<()> {
    end(
        state,
        &caller.origin,
        caller.user_ref(),
        upload,
        UploadStatus::Completing,
        UploadStatus::Failed,
        Action::UploadFailed,
        details,
    )
    .await?;
    Ok(())
}

/// Moves an upload to a final state without a file: releases the reserved space, deletes
/// its data, audits. Returns false if another actor moved it first.
#[allow(clippy::too_many_arguments)]
pub async fn end(
    state: &AppState,
    ctx: &Origin,
    actor: Option<&User>,
    upload: &Upload,
    from: UploadStatus,
    to: UploadStatus,
    action: Action,
    details: serde_json::Value,
) -> Result<bool> {
    let released = upload.size;
    end_releasing(
        state,
        ctx,
        actor,
        upload,
        (from, to),
        released,
        action,
        details,
    )
    .await
}

/// [`end`], giving back `released` bytes of the payer's quota instead of the upload's size (a
/// tus final upload that never claimed its partials holds only the rest).
#[allow(clippy::too_many_arguments)]
pub(super) async fn end_releasing(
    state: &AppState,
    ctx: &Origin,
    actor: Option<&User>,
    upload: &Upload,
    (from, to): (UploadStatus, UploadStatus),
    released: i64,
    action: Action,
    details: serde_json::Value,
) -> Result<bool> {
    let mut tx = state.store.begin().await?;
    if !store::transition(&mut tx, &upload.id, from, to, state.now_ms()).await? {
        return Ok(false);
    }
    ferry_store::users::release_quota(&mut tx, &upload.payer_id, released).await?;
    if let Some(link_id) = &upload.link_id {
        ferry_store::upload_links::release(&mut tx, link_id, upload.size).await?;
    }
    audit::success(ctx, actor, action, (TargetKind::Upload, &upload.id))
        .at(state.now_ms())
        .in_folder_opt(upload.folder_id.as_deref())
        .details(details)
        .append(&mut tx)
        .await?;
    tx.commit().await?;
    // The stored handle: a tus append may have changed it since `upload` was read.
    let current = {
        let mut conn = state.store.conn().await?;
        store::get(&mut conn, &upload.id).await?
    };
    let current = current.as_ref().unwrap_or(upload);
    state.blobs.session_delete(&session(current)).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parts_list_names_every_part_once() {
        assert!(check_parts_list(&[1, 2, 3], 3).is_ok());
        assert!(check_parts_list(&[3, 1, 2], 3).is_ok());
        let code = |parts: &[i64]| check_parts_list(parts, 3).unwrap_err().code();
        assert_eq!(code(&[1, 2, 2, 3]), "invalid_parts");
        assert_eq!(code(&[1, 3]), "invalid_parts");
        assert_eq!(code(&[]), "invalid_parts");
        assert_eq!(code(&[1, 2, 3, 4]), "invalid_part_number");
        assert_eq!(code(&[0, 1, 2, 3]), "invalid_part_number");
    }

    #[test]
    fn status_filters() {
        assert_eq!(parse_statuses(None).unwrap(), LISTED_BY_DEFAULT.to_vec());
        assert_eq!(
            parse_statuses(Some("expired")).unwrap(),
            vec![UploadStatus::Expired]
        );
        assert_eq!(
            parse_statuses(Some("failed, aborted,failed")).unwrap(),
            vec![UploadStatus::Failed, UploadStatus::Aborted]
        );
        for bad in ["", "OPEN", "open,", "done"] {
            let e = parse_statuses(Some(bad)).unwrap_err();
            assert_eq!(
                (e.code(), e.field().as_deref()),
                ("invalid_query", Some("status"))
            );
        }
    }

    #[test]
    fn plans_parts() {
        assert_eq!(plan_parts(0, None).unwrap(), (DEFAULT_PART_SIZE, 1));
        assert_eq!(
            plan_parts(18_446_744_073, None).unwrap(),
            (DEFAULT_PART_SIZE, 275)
        );
        assert_eq!(plan_parts(10 * MIB, Some(5 * MIB)).unwrap(), (5 * MIB, 2));
        // 5 TiB with the default would need 81,920 parts: the part size grows instead.
        let (size, count) = plan_parts(5 << 40, None).unwrap();
        assert!(count <= MAX_PARTS && size % MIB == 0);
        assert!(plan_parts(100 * MIB, Some(MIB)).is_err());
        assert!(plan_parts(1 << 40, Some(5 * MIB)).is_err());
    }
}
