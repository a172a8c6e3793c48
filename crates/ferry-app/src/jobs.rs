//! The collector: garbage collection of unreferenced blobs, abandoned staging files and
//! expired tokens. Each pass claims its rows in the database, so several nodes may run it.

use std::time::Duration;

use futures::future::BoxFuture;

use crate::audit;
use crate::caller::{Caller, Origin};
use crate::error::Error;
use crate::state::AppState;
use crate::workers::{Pass, Worker};
use ferry_core::audit::{Action, TargetKind};
use serde_json::json;

/// Staging files untouched this long belong to a crashed or abandoned upload.
const STAGING_MAX_AGE: Duration = Duration::from_secs(3600);
/// Blobs removed per transaction.
const GC_BATCH: i64 = 100;

/// The collector as a worker: purges, garbage and upload expiry every `gc_interval_secs`.
pub struct Collector {
    interval: Duration,
}

impl Collector {
    pub fn new(app: &AppState) -> Self {
        Collector {
            interval: Duration::from_secs(app.config.storage.gc_interval_secs.max(1)),
        }
    }
}

impl Worker for Collector {
    fn name(&self) -> &'static str {
        "collector"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(async move {
            collect_garbage(app).await?;
            Ok(Pass::Idle)
        })
    }
}

/// Files purged per transaction.
const PURGE_BATCH: i64 = 100;

/// Purges trash items whose time is up and files whose time to live has ended: the row goes,
/// the blobs lose a reference (and are collected when none is left), the quota is given back.
pub async fn purge_files(state: &AppState) -> anyhow::Result<usize> {
    let expired = expire_folders(state).await?;
    if expired > 0 {
        tracing::info!(folders = expired, "removed expired folders");
    }
    let accounts = crate::accounts::purge_due(state).await?;
    if accounts > 0 {
        tracing::info!(accounts, "purged deleted accounts");
    }
    let mut purged = crate::trash::purge_due(state).await?;
    let ctx = Origin::system("retention");
    loop {
        let now = state.now_ms();
        let mut tx = state.store.begin().await?;
        let due = ferry_store::files::due_for_purge(&mut tx, now, PURGE_BATCH).await?;
        for file in &due {
            if ferry_store::files::remove(&mut tx, file, now).await? {
                let reason = "ttl";
                audit::success(&ctx, None, Action::FilePurged, (TargetKind::File, &file.id))
                    .at(state.now_ms())
                    .in_folder(&file.folder_id)
                    .details(json!({"name": file.name, "size": file.size, "reason": reason}))
                    .append(&mut tx)
                    .await?;
                purged += 1;
            }
        }
        tx.commit().await?;
        if (due.len() as i64) < PURGE_BATCH {
            return Ok(purged);
        }
    }
}

/// Removes the top-level folders whose tree has expired (seed 004's sessions), with everything
/// in them: purged at once, or held in the trash when a retention rule keeps what they hold.
async fn expire_folders(state: &AppState) -> anyhow::Result<usize> {
    let caller = Caller::system("expiry");
    let mut removed = 0;
    loop {
        let due = {
            let mut conn = state.store.conn().await?;
            ferry_store::folders::expired(&mut conn, state.now_ms(), PURGE_BATCH).await?
        };
        for id in &due {
            remove_tree(state, &caller, id).await?;
            removed += 1;
        }
        if (due.len() as i64) < PURGE_BATCH {
            return Ok(removed);
        }
    }
}

/// Removes a top-level folder with everything in it for the system: purged at once, or held
/// in the trash when a retention rule keeps what it holds. One deleted meanwhile is fine.
pub(crate) async fn remove_tree(state: &AppState, caller: &Caller, id: &str) -> Result<(), Error> {
    let deleted = match crate::trash::delete_folder(state, caller, id, true).await {
        Err(Error::FileHeld) => crate::trash::delete_folder(state, caller, id, false)
            .await
            .map(|_| ()),
        other => other.map(|_| ()),
    };
    match deleted {
        Err(Error::NotFound) => Ok(()),
        other => other,
    }
}

/// One pass: purges, unreferenced blobs, stale staging files, expired tokens, full rate
/// buckets.
pub async fn collect_garbage(state: &AppState) -> anyhow::Result<()> {
    let purged = purge_files(state).await?;
    if purged > 0 {
        tracing::info!(files = purged, "purged files past retention or ttl");
    }
    loop {
        let mut tx = state.store.begin().await?;
        let claimed =
            ferry_store::files::claim_unreferenced_blobs(&mut tx, state.now_ms() + 1, GC_BATCH)
                .await?;
        // Bytes go before the rows commit: a crash in between leaves a row for a missing blob,
        // which the next pass deletes; never a referenced row without bytes.
        for key in &claimed {
            state.blobs.remove(key).await?;
        }
        tx.commit().await?;
        if !claimed.is_empty() {
            tracing::info!(blobs = claimed.len(), "removed unreferenced blobs");
        }
        if (claimed.len() as i64) < GC_BATCH {
            break;
        }
    }
    // Thumbnails of content that is gone.
    loop {
        let mut tx = state.store.begin().await?;
        let keys = ferry_store::renditions::remove_orphans(&mut tx, GC_BATCH).await?;
        for key in &keys {
            if !ferry_store::renditions::key_in_use(&mut tx, key).await? {
                state.blobs.remove(key).await?;
            }
        }
        tx.commit().await?;
        if (keys.len() as i64) < GC_BATCH {
            break;
        }
    }
    crate::uploads::sweep(state).await?;
    crate::uploads::multipart::sweep(state).await?;
    let stale = state.blobs.sweep_staging(STAGING_MAX_AGE).await?;
    if stale > 0 {
        tracing::info!(files = stale, "removed abandoned staging files");
    }
    let now = state.now_ms();
    let mut tx = state.store.begin().await?;
    ferry_store::tokens::delete_expired(&mut tx, now - 86_400_000).await?;
    ferry_store::login_failures::forget_stale(&mut tx, now - 86_400_000, now).await?;
    ferry_store::login_keys::remove_ended(&mut tx, now - 86_400_000).await?;
    ferry_store::rate_buckets::forget_full(&mut tx, now).await?;
    tx.commit().await?;
    let pruned = crate::changes::prune(state).await?;
    if pruned > 0 {
        tracing::info!(changes = pruned, "pruned changes past changes.keep_days");
    }
    Ok(())
}
