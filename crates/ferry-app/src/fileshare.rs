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
