//! Virus scanning with ClamAV's `clamd`: one answer per content (blob), found by a worker
//! ([`worker::Scanner`]) after publish, and the one rule every door that serves bytes asks
//! ([`require_servable`]): infected content is never served; with `block_until_clean`, content
//! not yet found clean is not served either.

pub mod clamd;
pub mod worker;

use std::time::Duration;

use ferry_core::ScanStatus;

use crate::config::{ScanConfig, ScanPolicy};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Whether scanning is on (`scan.clamd_address` set).
pub fn enabled(cfg: &ScanConfig) -> bool {
    cfg.clamd_address.is_some()
}

/// The status a new content starts with.
pub(crate) fn initial(cfg: &ScanConfig) -> ScanStatus {
    if enabled(cfg) {
        ScanStatus::Pending
    } else {
        ScanStatus::Skipped
    }
}

/// What the status of a content is as shown: a content the worker has not seen yet is
/// `pending` (or `skipped` with scanning off).
pub fn shown(cfg: &ScanConfig, status: Option<ScanStatus>) -> ScanStatus {
    match status {
        Some(ScanStatus::Skipped | ScanStatus::Pending | ScanStatus::Error) | None
            if !enabled(cfg) =>
        {
            ScanStatus::Skipped
        }
        Some(ScanStatus::Skipped) | None => ScanStatus::Pending,
        Some(s) => s,
    }
}

/// The rule for serving the content `sha256` (its bytes, a preview or thumbnail of it, or a
/// link to it): infected content is `FileInfected` whatever the setting; with
/// `block_until_clean`, content that is not clean yet is `ScanPending`.
pub async fn require_servable(app: &AppState, sha256: &str) -> Result<()> {
    let scan = {
        let mut conn = app.store.conn().await?;
        ferry_store::scans::get(&mut conn, sha256).await?
    };
    let status = shown(&app.config.scan, scan.as_ref().map(|s| s.status));
    match status {
        ScanStatus::Infected => Err(Error::FileInfected {
            signature: scan.and_then(|s| s.signature).unwrap_or_default(),
        }),
        ScanStatus::Clean | ScanStatus::Skipped => Ok(()),
        ScanStatus::Pending | ScanStatus::Error => match app.config.scan.policy {
            ScanPolicy::BlockUntilClean => Err(Error::ScanPending),
            ScanPolicy::AllowPending => Ok(()),
        },
    }
}

/// Whether listings of content to serve (folder archives) must hold only content found clean:
/// scanning on with `block_until_clean`.
pub fn only_clean(cfg: &ScanConfig) -> bool {
    enabled(cfg) && cfg.policy == ScanPolicy::BlockUntilClean
}

/// A file just published (or a new version of one) whose content is already known to be
/// infected is told of at once, in the publishing transaction: the scan will not run again
/// for that content, so nothing else would audit it or tell its owner. Content new to the
/// scanner (its scan row was just made) has no verdict yet, and costs no look.
pub(crate) async fn on_publish(
    tx: &mut ferry_store::Tx,
    holder: &ferry_store::scans::Holder,
    sha256: &str,
    new_to_scanner: bool,
    now: i64,
) -> Result<()> {
    if new_to_scanner {
        return Ok(());
    }
    let Some(scan) = ferry_store::scans::get(tx, sha256).await? else {
        return Ok(());
    };
    if scan.status == ScanStatus::Infected {
        let signature = scan.signature.unwrap_or_default();
        worker::tell(tx, holder, sha256, &signature, now).await?;
    }
    Ok(())
}

/// What `/readyz` says of clamd: `None` with scanning off, else `"up"` or why it is not.
pub async fn readiness(cfg: &ScanConfig) -> Option<String> {
    let address = cfg.clamd_address.as_deref()?;
    let limit = Duration::from_secs(cfg.timeout_secs.clamp(1, 5));
    Some(match clamd::Address::parse(address) {
        Err(e) => format!("misconfigured: {e}"),
        Ok(addr) => match clamd::ping(&addr, limit).await {
            Ok(()) => "up".into(),
            Err(e) => format!("down: {e}"),
        },
    })
}

/// Checks `scan.clamd_address` at start, so that a typo fails loudly instead of leaving every
/// file `error`.
pub fn check_config(cfg: &ScanConfig) -> std::result::Result<(), String> {
    match &cfg.clamd_address {
        Some(a) => clamd::Address::parse(a).map(|_| ()),
        None => Ok(()),
    }
}
