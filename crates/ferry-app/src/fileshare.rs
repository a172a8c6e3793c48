//! Seed 004's fileshare service, in Ferry's terms: a simple upload without a session goes to
//! the caller's top-level folder `fileshare` with a time to live; a session is a top-level
//! folder that expires; a download token is a counted download link. The door
//! (`/fileshare/…`) speaks the seed's shapes; what happens is the use cases of
//! [`crate::folders`], [`crate::files`] and [`crate::links`].

use ferry_core::Permission;
use ferry_store::folders::{Folder, Namespace};

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::folders::NewFolderRequest;
use crate::state::AppState;

/// The top-level folder simple uploads go to.
pub const UPLOADS_FOLDER: &str = "fileshare";

/// The caller's `fileshare` folder, created on first use (a concurrent first use that wins
/// the name is fine: its folder is the one).
pub async fn uploads_folder(app: &AppState, caller: &Caller) -> Result<Folder> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let existing = {
        let mut conn = app.store.conn().await?;
        ferry_store::folders::by_name(
            &mut conn,
            Namespace::Top { owner_id: &user.id },
            UPLOADS_FOLDER,
        )
        .await?
    };
    let id = match existing {
        Some(folder) => folder.id,
        None => {
            let created = crate::folders::create(
                app,
                caller,
                NewFolderRequest {
                    name: UPLOADS_FOLDER,
                    parent_id: None,
                    retention_days: None,
                    visibility: None,
                    description: Some("Uploads through the fileshare paths (seed 004)"),
                    expires_at: None,
                },
            )
            .await;
            match created {
                Ok(entry) => entry.folder.id,
                Err(Error::NameConflict(_) | Error::Conflict(_)) => {
                    let mut conn = app.store.conn().await?;
                    ferry_store::folders::by_name(
                        &mut conn,
                        Namespace::Top { owner_id: &user.id },
                        UPLOADS_FOLDER,
                    )
                    .await?
                    .ok_or(Error::NotFound)?
                    .id
                }
                Err(e) => return Err(e),
            }
        }
    };
    crate::access::folder(app, caller, &id, Permission::Write).await
}

/// Whether the file `id`, now gone, was one of the caller's that ended by its time to live:
/// the audit log, as the caller may read it, says so (a purge for `ttl`).
pub async fn expired(app: &AppState, caller: &Caller, id: &str) -> Result<bool> {
    let request = crate::audit::SearchRequest {
        actions: Some("file.purged".into()),
        target: Some(id.to_string()),
        ..Default::default()
    };
    let filter = crate::audit::search_filter(app, caller, &request).await?;
    let events = crate::audit::search(app, &filter, 1).await?;
    Ok(events
        .iter()
        .any(|e| e.details.contains("\"reason\":\"ttl\"")))
}

/// A session's default time to live (the seed's `models.session.ttl`: a week).
pub const SESSION_TTL_SECS: i64 = 86_400 * 7;

/// Opens a session: a top-level folder of the caller's that expires after `ttl_secs` (with
/// everything in it; the collector removes it).
pub async fn create_session(app: &AppState, caller: &Caller, ttl_secs: i64) -> Result<Folder> {
    let ttl = ferry_core::validate::in_range("ttl", ttl_secs, 1..=10 * 365 * 86_400)?;
    let id = ferry_core::IdKind::Folder.generate();
    let name = format!("session {}", id.trim_start_matches("fld_"));
    let created = crate::folders::create(
        app,
        caller,
        NewFolderRequest {
            name: &name,
            parent_id: None,
            retention_days: None,
            visibility: None,
            description: Some("A fileshare session (seed 004)"),
            expires_at: Some(app.now_ms() + ttl * 1000),
        },
    )
    .await?;
    Ok(created.folder)
}

/// A session of the caller's: a live top-level folder with an expiry (any other folder is not
/// a session: `NotFound`); past its expiry `FolderExpired`.
pub async fn session(app: &AppState, caller: &Caller, id: &str) -> Result<Folder> {
    let folder = crate::access::folder(app, caller, id, Permission::Read).await?;
    if folder.parent_id.is_some() || folder.expires_at.is_none() {
        return Err(Error::NotFound);
    }
    Ok(folder)
}

/// The caller's live sessions (at most 1000).
pub async fn sessions(app: &AppState, caller: &Caller) -> Result<Vec<Folder>> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    let now = app.now_ms();
    Ok(crate::folders::list(app, caller, None, 1000)
        .await?
        .into_iter()
        .map(|e| e.folder)
        .filter(|f| f.owner_id == user.id && f.expires_at.is_some_and(|at| at > now))
        .collect())
}
