//! Multipart uploads left on S3 (issue #15): the blob store records each one it starts in the
//! database before its first part is sent ([`Ledger`]) and forgets it once completed or
//! aborted; [`sweep`] (run by the collector) aborts recorded uploads older than
//! `storage.s3.abort_incomplete_uploads_secs` that no unfinished upload session refers to:
//! what a crash, a request that went away or a session ended without its handle left behind.
//! Uploads started but never recorded (a crash between the two requests, before any part was
//! sent) hold no parts; the bucket's lifecycle rule removes them (docs/scale-out.md).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ferry_blob::{BoxError, MultipartUpload, UploadLedger};
use ferry_store::Store;
use ferry_store::multipart_uploads as store;

use crate::clock::Clock;
use crate::state::AppState;

/// Uploads claimed per transaction.
const BATCH: i64 = 100;
/// The least age honoured, whatever is configured: a simple upload still being sent has no
/// session row to protect its multipart upload, only its age (as staging files on disk).
const MIN_AGE: Duration = Duration::from_secs(3600);

/// The [`UploadLedger`] in the metadata store, stamped by the application's clock. Each call
/// is a transaction of its own: callers never hold one while the blob store works (on SQLite
/// that would wait on itself).
pub struct Ledger {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Ledger {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Ledger {
        Ledger { store, clock }
    }
}

#[async_trait]
impl UploadLedger for Ledger {
    async fn started(&self, upload: &MultipartUpload<'_>) -> Result<(), BoxError> {
        let mut conn = self.store.conn().await?;
        store::record(
            &mut conn,
            upload.upload_id,
            upload.key,
            upload.session,
            self.clock.now_ms(),
        )
        .await?;
        Ok(())
    }

    async fn ended(&self, key: &str, upload_id: &str) -> Result<(), BoxError> {
        let mut conn = self.store.conn().await?;
        store::forget(&mut conn, key, upload_id).await?;
        Ok(())
    }
}

/// Aborts the recorded uploads nobody finished (see the module documentation). Returns how
/// many. Each batch is claimed by deleting its records in a transaction that commits only
/// after the aborts, so nodes share the work; an upload whose abort fails is recorded again
/// as it was, for the next pass.
pub async fn sweep(state: &AppState) -> anyhow::Result<usize> {
    let max_age =
        Duration::from_secs(state.config.storage.s3.abort_incomplete_uploads_secs).max(MIN_AGE);
    let cutoff = state
        .now_ms()
        .saturating_sub(i64::try_from(max_age.as_millis()).unwrap_or(i64::MAX));
    let mut aborted = 0;
    loop {
        let mut tx = state.store.begin().await?;
        let claimed = store::claim_abandoned(&mut tx, cutoff, BATCH).await?;
        let mut failed = 0;
        for upload in &claimed {
            match state
                .blobs
                .abort_upload(&upload.storage_key, &upload.upload_id)
                .await
            {
                Ok(()) => aborted += 1,
                Err(e) => {
                    tracing::warn!(
                        key = %upload.storage_key,
                        error = %e,
                        "cannot abort an abandoned multipart upload; will retry"
                    );
                    failed += 1;
                    store::record(
                        &mut tx,
                        &upload.upload_id,
                        &upload.storage_key,
                        upload.session_id.as_deref(),
                        upload.created_at,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await?;
        if (claimed.len() as i64) < BATCH || failed == claimed.len() {
            break;
        }
    }
    if aborted > 0 {
        tracing::info!(uploads = aborted, "aborted abandoned multipart uploads");
    }
    Ok(aborted)
}
