//! Scrubbing: every stored blob is re-read now and then and checked against its SHA-256, so
//! that silent corruption (bit rot, a bad disk, a damaged object) is found while backups still
//! hold a good copy. The [`Scrubber`] worker claims blobs whose last check is older than
//! `scrub.interval_secs` (oldest first; several nodes share the work) and reads them at no
//! more than `scrub.bytes_per_sec`. A blob that does not match, or is gone, is logged, audited
//! as `blob.corrupt` (target `blob:<sha256>`, visible to admins) and counted in the metric
//! `ferry_scrub_problems_total`. `ferry admin fsck` runs [`check_all`] at once.

use std::time::{Duration, Instant};

use ferry_blob::{BlobError, BlobStore};
use ferry_core::audit::{Action, TargetKind};
use ferry_store::Store;
use ferry_store::scrub::BlobCheck;
use futures::future::BoxFuture;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::caller::Origin;
use crate::state::AppState;
use crate::workers::{Pass, Worker};

/// Blobs claimed per pass.
const BATCH: i64 = 32;
/// How long an idle scrubber waits before looking for due blobs again.
const IDLE: Duration = Duration::from_secs(300);

/// What is wrong with a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its content hashes to something else (or is shorter than its size).
    Mismatch { actual_sha256: String, bytes: u64 },
    /// The blob store does not have it.
    Missing,
    /// It could not be read to its end.
    Unreadable(String),
}

impl Problem {
    pub fn as_str(&self) -> &'static str {
        match self {
            Problem::Mismatch { .. } => "mismatch",
            Problem::Missing => "missing",
            Problem::Unreadable(_) => "unreadable",
        }
    }
}

/// Reads `blob` whole and checks its SHA-256 and size. `Ok(None)`: it is sound.
pub async fn check(blobs: &dyn BlobStore, blob: &BlobCheck) -> anyhow::Result<Option<Problem>> {
    let size = blob.size.max(0) as u64;
    let mut stream = match blobs.read(&blob.key, 0, size).await {
        Ok(s) => s,
        Err(BlobError::NotFound) => return Ok(Some(Problem::Missing)),
        Err(e) => return Ok(Some(Problem::Unreadable(e.to_string()))),
    };
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        match chunk {
            Ok(chunk) => {
                hasher.update(&chunk);
                bytes += chunk.len() as u64;
            }
            Err(e) => return Ok(Some(Problem::Unreadable(e.to_string()))),
        }
    }
    metrics::counter!("ferry_scrub_bytes_total").increment(bytes);
    metrics::counter!("ferry_scrub_blobs_total").increment(1);
    let actual = hex::encode(hasher.finalize());
    if actual != blob.sha256 || bytes != size {
        return Ok(Some(Problem::Mismatch {
            actual_sha256: actual,
            bytes,
        }));
    }
    Ok(None)
}

/// Logs, audits (at `now`) and counts a problem found in `blob`.
pub async fn report(
    store: &Store,
    now: i64,
    blob: &BlobCheck,
    problem: &Problem,
) -> anyhow::Result<()> {
    tracing::error!(
        sha256 = %blob.sha256,
        key = %blob.key,
        problem = problem.as_str(),
        "a stored blob is damaged: restore it from a backup"
    );
    metrics::counter!("ferry_scrub_problems_total", "problem" => problem.as_str()).increment(1);
    let mut details = json!({
        "sha256": blob.sha256,
        "key": blob.key,
        "size": blob.size,
        "problem": problem.as_str(),
    });
    match problem {
        Problem::Mismatch {
            actual_sha256,
            bytes,
        } => {
            details["actual_sha256"] = json!(actual_sha256);
            details["bytes_read"] = json!(bytes);
        }
        Problem::Unreadable(error) => details["error"] = json!(error),
        Problem::Missing => {}
    }
    let ctx = Origin::system("scrub");
    let mut tx = store.begin().await?;
    audit::success(
        &ctx,
        None,
        Action::BlobCorrupt,
        (TargetKind::Blob, &blob.sha256),
    )
    .at(now)
    .failed()
    .details(details)
    .append(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a check of many blobs found.
#[derive(Debug, Default)]
pub struct Report {
    pub checked: usize,
    pub bytes: u64,
    pub problems: Vec<(BlobCheck, Problem)>,
}

/// Checks every referenced blob now (what `ferry admin fsck` runs), reporting each problem
/// (audited at `now`). A row whose blob is gone is a [`Problem::Missing`].
pub async fn check_all(store: &Store, blobs: &dyn BlobStore, now: i64) -> anyhow::Result<Report> {
    let referenced = {
        let mut conn = store.conn().await?;
        ferry_store::scrub::referenced(&mut conn).await?
    };
    let mut found = Report::default();
    for blob in referenced {
        found.checked += 1;
        found.bytes += blob.size.max(0) as u64;
        if let Some(problem) = check(blobs, &blob).await? {
            report_problem(store, now, &blob, &problem).await;
            found.problems.push((blob, problem));
        }
    }
    Ok(found)
}

/// Something the blob store holds that no row refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Orphan {
    /// A blob no blob row or thumbnail names (its key, as the blob store lists it).
    Blob(String),
    /// The data of an upload session (its id) with no unfinished upload.
    UploadData(String),
}

/// Keys looked up in the database at a time.
const ORPHAN_PAGE: usize = 500;
/// Session data this young with no row may belong to an upload being created (its storage
/// exists before its row commits): the expiry sweep waits as long.
const YOUNG_SESSION: Duration = Duration::from_secs(3600);

/// Lists what the blob store holds that no row refers to (what `ferry admin fsck` reports),
/// on every backend: blobs no blob row or thumbnail names, and upload session data no
/// unfinished upload owns. The store's listing is read a page at a time and each page looked
/// up in the database, so neither side is ever held whole. Data of unfinished uploads is not
/// an orphan, including a sealed S3 session's object waiting for its blob row. An upload that
/// finishes while this runs may be listed: its object is written just before its row.
pub async fn orphans(store: &Store, blobs: &dyn BlobStore) -> anyhow::Result<Vec<Orphan>> {
    use futures::StreamExt;
    let unfinished = {
        let mut conn = store.conn().await?;
        ferry_store::uploads::unfinished_ids(&mut conn).await?
    };
    // Where unfinished sessions' data may be listed as a blob: only S3 keeps it under a key
    // (fixed by the session's id, whatever its content), so the SHA-256 is not needed here.
    let session_keys: std::collections::HashSet<String> = unfinished
        .iter()
        .map(|id| blobs.session_key(id, ""))
        .collect();
    let mut found = Vec::new();
    let mut keys = blobs.list_keys().chunks(ORPHAN_PAGE);
    while let Some(page) = keys.next().await {
        let page = page.into_iter().collect::<Result<Vec<String>, _>>()?;
        let known: std::collections::HashSet<String> = {
            let mut conn = store.conn().await?;
            ferry_store::scrub::known_among(&mut conn, &page)
                .await?
                .into_iter()
                .collect()
        };
        found.extend(
            page.into_iter()
                .filter(|key| !known.contains(key) && !session_keys.contains(key))
                .map(Orphan::Blob),
        );
    }
    let unfinished: std::collections::HashSet<String> = unfinished.into_iter().collect();
    for (id, age) in blobs.session_ids().await? {
        if unfinished.contains(&id) {
            continue;
        }
        let has_row = {
            let mut conn = store.conn().await?;
            ferry_store::uploads::get(&mut conn, &id).await?.is_some()
        };
        if has_row || age >= YOUNG_SESSION {
            found.push(Orphan::UploadData(id));
        }
    }
    Ok(found)
}

async fn report_problem(store: &Store, now: i64, blob: &BlobCheck, problem: &Problem) {
    if let Err(e) = report(store, now, blob, problem).await {
        tracing::error!(error = format!("{e:#}"), sha256 = %blob.sha256, "cannot audit a damaged blob");
    }
}

/// The background scrubber.
pub struct Scrubber {
    wait: Duration,
}

impl Scrubber {
    pub fn new(_app: &AppState) -> Self {
        Scrubber { wait: IDLE }
    }
}

impl Worker for Scrubber {
    fn name(&self) -> &'static str {
        "scrub"
    }

    fn interval(&self) -> Duration {
        self.wait
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(async move {
            let config = &app.config.scrub;
            if !config.enabled {
                self.wait = IDLE;
                return Ok(Pass::Idle);
            }
            let started = Instant::now();
            let now = app.now_ms();
            let due_before = now.saturating_sub((config.interval_secs as i64).saturating_mul(1000));
            let blobs = {
                let mut tx = app.store.begin().await?;
                let blobs = ferry_store::scrub::claim_due(&mut tx, due_before, now, BATCH).await?;
                tx.commit().await?;
                blobs
            };
            if blobs.is_empty() {
                self.wait = IDLE;
                return Ok(Pass::Idle);
            }
            let mut bytes = 0u64;
            for blob in &blobs {
                bytes += blob.size.max(0) as u64;
                if let Some(problem) = check(app.blobs.as_ref(), blob).await? {
                    report_problem(&app.store, app.now_ms(), blob, &problem).await;
                }
            }
            // At most bytes_per_sec on average: rest for what reading faster saved.
            let rate = config.bytes_per_sec.max(1);
            let budget = Duration::from_secs_f64(bytes as f64 / rate as f64);
            self.wait = budget.saturating_sub(started.elapsed());
            Ok(if self.wait.is_zero() {
                Pass::Busy
            } else {
                Pass::Idle
            })
        })
    }
}
