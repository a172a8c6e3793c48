//! Upload expiry and crash recovery: the sweep that expires sessions past `expires_at` and
//! removes data nothing needs, and the restart of verifications a crash interrupted.

use std::time::Duration;

use ferry_core::UploadStatus;
use ferry_core::audit::Action;
use ferry_core::timefmt::rfc3339;
use ferry_store::uploads as store;
use serde_json::json;

use super::{end, finish};
use crate::caller::{Caller, Origin};
use crate::state::AppState;

/// Expires open sessions past `expires_at` and finishes sessions a crash left `completing`.
pub async fn sweep(state: &AppState) -> anyhow::Result<()> {
    let ctx = Origin::system("sweeper");
    let due = {
        let mut conn = state.store.conn().await?;
        store::expired_open(&mut conn, state.now_ms(), 100).await?
    };
    for id in due {
        let upload = {
            let mut conn = state.store.conn().await?;
            store::get(&mut conn, &id).await?
        };
        if let Some(upload) = upload {
            let details = json!({"expired_at": rfc3339(upload.expires_at)});
            end(
                state,
                &ctx,
                None,
                &upload,
                UploadStatus::Open,
                UploadStatus::Expired,
                Action::UploadExpired,
                details,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    // Data files of uploads that no longer need them (or whose row never committed). Whatever
    // ends an upload removes its data itself; this only mops up after crashes. (A tus
    // concatenation copies its partial uploads while they are still open, and claims them
    // only afterwards, so no ended upload's data is still being read.)
    for (id, age) in state.blobs.session_ids().await? {
        let upload = {
            let mut conn = state.store.conn().await?;
            store::get(&mut conn, &id).await?
        };
        let keep = match &upload {
            Some(u) => u.status.is_unfinished(),
            None => age < Duration::from_secs(3600),
        };
        if !keep {
            // By id alone: what the store knows to be the session's own, never a blob.
            state
                .blobs
                .session_delete(&ferry_blob::Session::by_id(&id))
                .await?;
        }
    }
    Ok(())
}

/// Restarts verification of uploads a crash interrupted in `completing`.
pub async fn resume_completing(state: &AppState) -> anyhow::Result<()> {
    let ids = {
        let mut conn = state.store.conn().await?;
        store::completing(&mut conn).await?
    };
    for id in ids {
        let upload = {
            let mut conn = state.store.conn().await?;
            store::get(&mut conn, &id).await?
        };
        let Some(upload) = upload else { continue };
        let user = {
            let mut conn = state.store.conn().await?;
            ferry_store::users::get(&mut conn, &upload.creator_id).await?
        };
        let Some(user) = user else { continue };
        let caller = Caller::user(user, Origin::system("resume"));
        tokio::spawn(finish(state.clone(), caller, id));
    }
    Ok(())
}
