//! The caller's uploads: listing them (with their received parts) and aborting one.

use std::collections::HashMap;

use ferry_core::UploadStatus;
use ferry_core::audit::Action;
use ferry_store::uploads::{self as store, Upload};
use serde_json::json;

use super::{end, load};
use crate::access;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Ends an open upload as aborted: its space and data are released, `upload.aborted` is
/// audited. False if it was no longer open.
pub(super) async fn abort_open(
    app: &AppState,
    caller: &Caller,
    upload: &Upload,
    details: serde_json::Value,
) -> Result<bool> {
    end(
        app,
        &caller.origin,
        caller.user_ref(),
        upload,
        UploadStatus::Open,
        UploadStatus::Aborted,
        Action::UploadAborted,
        details,
    )
    .await
}

/// Aborts an upload (its creator or an admin): the session ends, its data is deleted and the
/// reserved space released. Aborting an aborted upload is a no-op.
pub async fn abort(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let upload = load(app, caller, id).await?;
    if upload.status == UploadStatus::Aborted {
        return Ok(());
    }
    let details = json!({"filename": upload.filename});
    let ended = abort_open(app, caller, &upload, details).await?;
    if ended {
        return Ok(());
    }
    let current = load(app, caller, id).await?;
    match current.status {
        UploadStatus::Aborted => Ok(()),
        _ => Err(super::not_open(&current, app.now_ms())),
    }
}

/// The statuses [`list`] shows when none are asked for: the unfinished uploads, which hold
/// reserved space and can still be resumed or aborted.
pub const LISTED_BY_DEFAULT: [UploadStatus; 2] = UploadStatus::UNFINISHED;

/// Parses a listing's `status` filter: one status or a comma-separated list of them; `None`
/// is [`LISTED_BY_DEFAULT`].
pub fn parse_statuses(raw: Option<&str>) -> Result<Vec<UploadStatus>> {
    let Some(raw) = raw else {
        return Ok(LISTED_BY_DEFAULT.to_vec());
    };
    let mut statuses = Vec::new();
    for item in raw.split(',').map(str::trim) {
        let status = UploadStatus::parse(item).ok_or_else(|| {
            Error::invalid(
                "status",
                "invalid_query",
                format!(
                    "status must be open, completing, completed, failed, aborted or expired, \
                     or a comma-separated list of them (not `{item}`)."
                ),
            )
        })?;
        if !statuses.contains(&status) {
            statuses.push(status);
        }
    }
    Ok(statuses)
}

/// The caller's uploads ([`access::upload_scope`]) whose status is in `status` (see
/// [`parse_statuses`]), newest first, after the `(created_at, id)` position `after`:
/// `limit + 1` rows, so that the door can tell whether another page follows.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    status: Option<&str>,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Upload>> {
    let statuses = parse_statuses(status)?;
    let creator = access::upload_scope(caller);
    let mut conn = state.store.conn().await?;
    Ok(store::list(
        &mut conn,
        creator.as_deref(),
        &statuses,
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

/// The received parts (`part_no`, `size`) of each of these uploads, in one query.
pub async fn received_parts_of(
    state: &AppState,
    uploads: &[Upload],
) -> Result<HashMap<String, Vec<(i64, i64)>>> {
    let ids: Vec<&str> = uploads.iter().map(|u| u.id.as_str()).collect();
    let mut conn = state.store.conn().await?;
    Ok(store::parts_of(&mut conn, &ids).await?)
}

/// The parts an upload has received, by number.
pub async fn received_parts(app: &AppState, upload: &Upload) -> Result<Vec<store::Part>> {
    let mut conn = app.store.conn().await?;
    Ok(store::parts(&mut conn, &upload.id).await?)
}
