//! The scan worker. Every node runs one: each pass gives new content its scan row, then claims
//! due scans with a lease (each content goes to exactly one node; a dead node's lease lapses
//! and another takes over), streams each content from the blob store to clamd, and records the
//! answer under its claim. An infected content is audited (`file.infected`, which also goes out
//! as a webhook) for every file that holds it, and each owner gets a notice. A failed attempt
//! (clamd down, a refused stream) leaves the content `error`, retried with exponential backoff
//! and full jitter; it is never taken for clean.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ferry_core::audit::{Action, TargetKind};
use ferry_core::ids::random_bytes;
use ferry_store::scans::{Claimed, Holder, Outcome};
use futures::future::BoxFuture;
use serde_json::json;

use super::clamd::{self, Address, Verdict};
use crate::audit;
use crate::caller::Origin;
use crate::notices::{NoticeKind, notify};
use crate::state::AppState;
use crate::workers::{Pass, Worker, backoff_ms};

/// Contents claimed per pass.
const BATCH: usize = 4;
/// A claim outlives a pass by this much, so it only lapses if the node died.
const CLAIM_MARGIN_MS: i64 = 60_000;
/// Longest error text kept per content.
const MAX_ERROR: usize = 500;
/// How often content without a scan row is looked for. Publishing gives new content its row,
/// so this only finds content stored before scanning existed (or while it was off), and
/// reconciles waiting rows with `scan.clamd_address`: rarely, as it reads every blob row.
const DISCOVER_EVERY: Duration = Duration::from_secs(600);

/// The scan worker.
pub struct Scanner {
    interval: Duration,
    /// Claims this worker holds and has not recorded yet: sha256 → claim token.
    held: HashMap<String, String>,
    last_discovery: Option<Instant>,
}

impl Scanner {
    pub fn new(app: &AppState) -> Self {
        Scanner {
            interval: Duration::from_millis(app.config.scan.interval_ms.max(1)),
            held: HashMap::new(),
            last_discovery: None,
        }
    }

    async fn scan_due(&mut self, app: &AppState) -> anyhow::Result<Pass> {
        let cfg = &app.config.scan;
        if self
            .last_discovery
            .is_none_or(|t| t.elapsed() >= DISCOVER_EVERY)
        {
            self.last_discovery = Some(Instant::now());
            let mut conn = app.store.conn().await?;
            ferry_store::scans::discover(&mut conn, super::enabled(cfg), app.now_ms()).await?;
        }
        let Some(address) = cfg.clamd_address.as_deref() else {
            return Ok(Pass::Idle);
        };
        let address = Address::parse(address).map_err(anyhow::Error::msg)?;
        let token = hex::encode(random_bytes::<12>());
        let now = app.now_ms();
        // Each content may take its size at a slow 1 MiB/s plus a timeout per exchange.
        let per_content =
            (cfg.max_stream_bytes / (1024 * 1024)) as i64 * 1000 + cfg.timeout_secs as i64 * 3000;
        let lease = per_content * BATCH as i64 + CLAIM_MARGIN_MS;
        let batch = {
            let mut conn = app.store.conn().await?;
            ferry_store::scans::claim(&mut conn, now, now + lease, &token, BATCH as i64).await?
        };
        let full = batch.len() == BATCH;
        for c in &batch {
            self.held.insert(c.sha256.clone(), token.clone());
        }
        for c in batch {
            let sha256 = c.sha256.clone();
            attempt(app, &address, c, &token).await?;
            self.held.remove(&sha256);
        }
        Ok(if full { Pass::Busy } else { Pass::Idle })
    }

    /// Hands back the claims a cut-short pass left, so another node scans them at once.
    async fn hand_back(&mut self, app: &AppState) {
        let left: Vec<(String, String)> = self.held.drain().collect();
        if left.is_empty() {
            return;
        }
        let released = async {
            let mut conn = app.store.conn().await?;
            for (sha256, token) in &left {
                ferry_store::scans::release(&mut conn, sha256, token).await?;
            }
            anyhow::Ok(())
        };
        if let Err(e) = released.await {
            tracing::warn!(
                error = format!("{e:#}"),
                "releasing scans at shutdown failed; their claims will lapse"
            );
        }
    }
}

impl Worker for Scanner {
    fn name(&self) -> &'static str {
        "scan"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(self.scan_due(app))
    }

    fn stop<'a>(&'a mut self, app: &'a AppState, _deadline: Duration) -> BoxFuture<'a, ()> {
        Box::pin(self.hand_back(app))
    }
}

/// One scan of one content, recorded under the claim `token`.
async fn attempt(
    app: &AppState,
    address: &Address,
    claimed: Claimed,
    token: &str,
) -> anyhow::Result<()> {
    let cfg = &app.config.scan;
    let limit = Duration::from_secs(cfg.timeout_secs.max(1));
    let blob = {
        let mut conn = app.store.conn().await?;
        ferry_store::scans::blob(&mut conn, &claimed.sha256).await?
    };
    let Some((key, size)) = blob else {
        // Collected meanwhile: nothing left to scan.
        let mut conn = app.store.conn().await?;
        ferry_store::scans::release(&mut conn, &claimed.sha256, token).await?;
        return Ok(());
    };
    let verdict = if size as u64 > cfg.max_stream_bytes {
        // clamd would refuse it (StreamMaxLength); never call such content clean.
        Err(format!(
            "{size} bytes is more than scan.max_stream_bytes ({})",
            cfg.max_stream_bytes
        ))
    } else {
        match app.blobs.read(&key, 0, size as u64).await {
            Ok(content) => clamd::scan(address, content, limit)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("reading the content failed: {e}")),
        }
    };
    let now = app.now_ms();
    let outcome = match verdict {
        Ok(Verdict::Clean) => Outcome::Clean,
        Ok(Verdict::Infected(signature)) => Outcome::Infected { signature },
        Err(error) => {
            let random = u64::from_le_bytes(random_bytes::<8>());
            let wait = backoff_ms(
                cfg.retry_base_ms,
                cfg.retry_max_ms,
                claimed.attempts + 1,
                random,
            );
            tracing::warn!(sha256 = %claimed.sha256, error = %error, "virus scan failed; will retry");
            Outcome::Failed {
                error: clip(&error),
                retry_at: now + wait,
            }
        }
    };
    let mut tx = app.store.begin().await?;
    let recorded =
        ferry_store::scans::finish(&mut tx, &claimed.sha256, token, &outcome, now).await?;
    if recorded && let Outcome::Infected { signature } = &outcome {
        quarantine(&mut tx, &claimed.sha256, signature, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Tells of infected content: `file.infected` for every file that holds it (the webhook goes
/// out with the audit event) and a notice to each file's owner.
async fn quarantine(
    tx: &mut ferry_store::Tx,
    sha256: &str,
    signature: &str,
    now: i64,
) -> anyhow::Result<()> {
    let holders = ferry_store::scans::holders(tx, sha256).await?;
    tracing::warn!(
        sha256,
        signature,
        files = holders.len(),
        "infected content quarantined"
    );
    for h in &holders {
        tell(tx, h, sha256, signature, now).await?;
    }
    Ok(())
}

/// Audits `file.infected` for one file holding infected content (the webhook goes out with
/// it) and leaves its owner a notice.
pub(crate) async fn tell(
    tx: &mut ferry_store::Tx,
    h: &Holder,
    sha256: &str,
    signature: &str,
    now: i64,
) -> crate::Result<()> {
    let origin = Origin::system("scan");
    let details = json!({
        "name": h.name, "sha256": sha256, "signature": signature, "folder_id": h.folder_id,
    });
    audit::success(
        &origin,
        None,
        Action::FileInfected,
        (TargetKind::File, &h.file_id),
    )
    .at(now)
    .in_folder(&h.folder_id)
    .details(details)
    .append(tx)
    .await?;
    let notice = json!({
        "file_id": h.file_id, "name": h.name, "folder_id": h.folder_id, "signature": signature,
    });
    notify(tx, &h.owner_id, NoticeKind::FileInfected, notice, now).await
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_ERROR) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}
