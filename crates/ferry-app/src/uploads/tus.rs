//! tus uploads as use cases: appending a chunk at the current offset (with an optional chunk
//! digest), termination, and concatenation of finished partial uploads into a final one. The
//! tus door only parses headers and renders; the bytes, the offsets and the hash state are
//! handled here like the native protocol's parts.

use ferry_blob::{ByteStream, Sha256, WholeHash};
use ferry_core::UploadStatus;
use ferry_core::audit::{Action, TargetKind};
use ferry_store::uploads::{self as store, Upload};
use serde_json::json;
use sha2::Digest;

use super::{NewUpload, TusInfo, restore_hash, session};
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// A chunk's expected digest (tus `Upload-Checksum`): a chunk that does not match is
/// discarded and the offset stays where it was.
pub enum ChunkDigest {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

enum ChunkHasher {
    Sha1(sha1::Sha1),
    Sha256(Sha256),
}

impl ChunkHasher {
    fn update(&mut self, data: &[u8]) {
        match self {
            ChunkHasher::Sha1(h) => h.update(data),
            ChunkHasher::Sha256(h) => h.update(data),
        }
    }

    fn matches(self, digest: &ChunkDigest) -> bool {
        match (self, digest) {
            (ChunkHasher::Sha1(h), ChunkDigest::Sha1(e)) => h.finalize().as_slice() == e.as_slice(),
            (ChunkHasher::Sha256(h), ChunkDigest::Sha256(e)) => {
                h.finalize().as_slice() == e.as_slice()
            }
            _ => false,
        }
    }
}

/// Writes a chunk at `offset` (which must be the upload's current offset), advancing the
/// durable offset and the whole-file hash; completes the upload when the last byte arrives.
/// A chunk cut short keeps what arrived, unless it carried a digest.
pub async fn append(
    app: &AppState,
    caller: &Caller,
    id: &str,
    offset: i64,
    body: ByteStream<'_>,
    digest: Option<ChunkDigest>,
) -> Result<Upload> {
    let mut check = digest.as_ref().map(|d| match d {
        ChunkDigest::Sha1(_) => ChunkHasher::Sha1(sha1::Sha1::new()),
        ChunkDigest::Sha256(_) => ChunkHasher::Sha256(Sha256::new()),
    });
    let session = app.upload_locks.sessions.get(id);
    let exclusive = session.write().await;
    let upload = super::load(app, caller, id).await?;
    if upload.tus_concat.as_deref() == Some("final") {
        return Err(Error::Forbidden);
    }
    let now = app.now_ms();
    if upload.status != UploadStatus::Open || upload.expires_at <= now {
        if upload.status == UploadStatus::Completed && offset == upload.size {
            return Ok(upload);
        }
        return Err(match upload.status {
            UploadStatus::Completed | UploadStatus::Completing => Error::UploadAlreadyCompleted,
            UploadStatus::Aborted => Error::NotFound,
            _ => Error::UploadExpired,
        });
    }
    if offset != upload.tus_offset {
        return Err(Error::OffsetMismatch {
            given: offset,
            current: upload.tus_offset,
        });
    }
    let mut whole = restore_hash(upload.hash_state.as_deref())?;
    let remaining = (upload.size - offset) as u64;
    let appended = app
        .blobs
        .session_append(
            &super::session(&upload),
            offset as u64,
            remaining,
            body,
            &mut |chunk| {
                whole.update(chunk);
                if let Some(c) = check.as_mut() {
                    c.update(chunk);
                }
            },
        )
        .await;
    let appended = match appended {
        Ok(a) => a,
        Err(ferry_blob::BlobError::LengthMismatch { .. }) => {
            return Err(Error::bad_request(
                "upload_length_exceeded",
                "The chunk goes past Upload-Length; it was discarded.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(c), Some(expected)) = (check, &digest) {
        if appended.interrupted {
            return Err(Error::BodyRead);
        }
        if !c.matches(expected) {
            return Err(Error::ChunkChecksumMismatch);
        }
    }
    let new_offset = offset + appended.written as i64;
    let mut tx = app.store.begin().await?;
    let advanced = store::tus_advance(
        &mut tx,
        id,
        offset,
        new_offset,
        whole.serialize().as_slice(),
        app.now_ms(),
    )
    .await?;
    if advanced && let Some(handle) = &appended.receipt {
        store::set_blob_session(&mut tx, id, handle).await?;
    }
    tx.commit().await?;
    if !advanced {
        return Err(Error::UploadExpired);
    }
    let upload = super::load(app, caller, id).await?;
    drop(exclusive);
    if appended.interrupted {
        return Err(Error::BodyRead);
    }
    if upload.tus_offset == upload.size && upload.tus_concat.is_none() {
        finish_if_complete(app, caller, &upload).await?;
        return super::load(app, caller, id).await;
    }
    Ok(upload)
}

/// All bytes are in: verify against the declared checksum (if any) and publish.
pub async fn finish_if_complete(app: &AppState, caller: &Caller, upload: &Upload) -> Result<()> {
    let digest = hex::encode(restore_hash(upload.hash_state.as_deref())?.finalize());
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    store::tus_received_all(&mut tx, upload, now).await?;
    let started = super::begin_completing(&mut tx, &upload.id, &digest, now).await?;
    tx.commit().await?;
    if started {
        super::finish(app.clone(), caller.clone(), upload.id.to_string()).await?;
    }
    Ok(())
}

/// Terminates an upload (tus DELETE): an open one is aborted and its space released.
pub async fn terminate(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let upload = super::load(app, caller, id).await?;
    if upload.status == UploadStatus::Open {
        let details = json!({"filename": upload.filename, "method": "tus"});
        super::listing::abort_open(app, caller, &upload, details).await?;
    }
    Ok(())
}

fn partial_unfinished(message: String) -> Error {
    Error::invalid("Upload-Concat", "partial_upload_unfinished", message)
}

/// Joins finished partial uploads (in order) into a new final upload in `new.folder_id`, then
/// verifies and publishes it. The partials are copied while their session locks are held and
/// they are still open, and only then claimed, together with the final upload's offset, in
/// one transaction: a partial is joined into one final upload at most, and nothing (the
/// sweep, an abort, a second concatenation) can remove its data while it is read.
pub async fn concatenate(
    app: &AppState,
    caller: &Caller,
    partial_ids: &[String],
    mut new: NewUpload,
) -> Result<Upload> {
    if partial_ids.is_empty() {
        return Err(Error::invalid(
            "Upload-Concat",
            "invalid_value",
            "Upload-Concat: final needs at least one partial upload.",
        ));
    }
    let folder_id = new.folder_id.clone().ok_or_else(|| {
        Error::invalid(
            "folder_id",
            "missing_field",
            "Upload-Metadata needs `folder_id` (and `filename`).",
        )
    })?;
    let folder =
        crate::access::folder(app, caller, &folder_id, ferry_core::Permission::Write).await?;
    let mut partials = Vec::new();
    for id in partial_ids {
        let p = super::load(app, caller, id).await?;
        if !is_finished_partial(&p) {
            return Err(partial_unfinished(format!(
                "Partial upload {id} is not a finished partial upload."
            )));
        }
        partials.push(p);
    }
    let size: i64 = partials.iter().map(|p| p.size).sum();
    // The partials' reservations pass to the final upload (when the same user pays), so a
    // file that fits the quota can be joined without needing its space twice.
    let already_reserved: i64 = partials
        .iter()
        .filter(|p| p.payer_id == folder.owner_id)
        .map(|p| p.size)
        .sum();
    new.size = size;
    new.already_reserved = already_reserved;
    new.tus = Some(TusInfo {
        concat: Some("final"),
        partials: Some(partial_ids.join(" ")),
        metadata: new.tus.and_then(|t| t.metadata),
    });
    let upload = super::create(app, caller, new).await?;

    let joined = join(app, caller, &upload, &partials, folder.owner_id.as_str()).await;
    if let Err(e) = joined {
        // Nothing was claimed: the partials keep their reservations and stay open, and the
        // final upload gives back only what it reserved itself.
        super::end_releasing(
            app,
            &caller.origin,
            caller.user_ref(),
            &upload,
            (UploadStatus::Open, UploadStatus::Failed),
            size - already_reserved,
            Action::UploadFailed,
            json!({"reason": "concatenation failed", "error": e.code()}),
        )
        .await?;
        return Err(e);
    }
    for p in &partials {
        app.blobs.session_delete(&session(p)).await?;
    }
    let upload = super::load(app, caller, &upload.id).await?;
    finish_if_complete(app, caller, &upload).await?;
    super::load(app, caller, &upload.id).await
}

fn is_finished_partial(p: &Upload) -> bool {
    p.tus_concat.as_deref() == Some("partial")
        && p.status == UploadStatus::Open
        && p.tus_offset == p.size
}

/// Copies the partials into `upload` while holding their locks, then claims them and advances
/// the final upload in one transaction.
async fn join(
    app: &AppState,
    caller: &Caller,
    upload: &Upload,
    partials: &[Upload],
    payer_id: &str,
) -> Result<()> {
    // Locks in id order, so two concatenations of overlapping partials cannot deadlock.
    let mut ids: Vec<&str> = partials.iter().map(|p| p.id.as_str()).collect();
    ids.push(&upload.id);
    ids.sort_unstable();
    ids.dedup();
    let sessions: Vec<_> = ids
        .iter()
        .map(|id| app.upload_locks.sessions.get(id))
        .collect();
    let mut _held = Vec::with_capacity(sessions.len());
    for s in &sessions {
        _held.push(s.write().await);
    }
    let mut whole = WholeHash::new();
    let mut offset = 0u64;
    // A sequential session's handle changes with every append (S3).
    let mut handle = upload.blob_session.clone();
    for p in partials {
        // Compose the partial's data first: S3 cannot read it before.
        app.blobs.session_seal(&session(p), &[]).await?;
        let data = app
            .blobs
            .session_read(&session(p), 0, p.size as u64)
            .await?;
        let target = ferry_blob::Session {
            handle: handle.as_deref(),
            ..session(upload)
        };
        let appended = app
            .blobs
            .session_append(&target, offset, p.size as u64, data, &mut |c| {
                whole.update(c)
            })
            .await?;
        if appended.interrupted || appended.written != p.size as u64 {
            return Err(Error::internal(anyhow::anyhow!(
                "partial upload {} could not be read",
                p.id
            )));
        }
        if appended.receipt.is_some() {
            handle = appended.receipt;
        }
        offset += p.size as u64;
    }
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    for p in partials {
        if !store::transition(
            &mut tx,
            &p.id,
            UploadStatus::Open,
            UploadStatus::Completed,
            now,
        )
        .await?
        {
            return Err(partial_unfinished(
                "A partial upload was already joined into another upload, or ended.".into(),
            ));
        }
        if p.payer_id != payer_id {
            ferry_store::users::release_quota(&mut tx, &p.payer_id, p.size).await?;
        }
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::UploadCompleted,
            (TargetKind::Upload, &p.id),
        )
        .at(app.now_ms())
        .details(json!({"concatenated_into": upload.id}))
        .append(&mut tx)
        .await?;
    }
    let size = offset as i64;
    if !store::tus_advance(
        &mut tx,
        &upload.id,
        0,
        size,
        whole.serialize().as_slice(),
        now,
    )
    .await?
    {
        return Err(Error::UploadExpired);
    }
    if let Some(handle) = &handle {
        store::set_blob_session(&mut tx, &upload.id, handle).await?;
    }
    tx.commit().await?;
    Ok(())
}
