//! `ferry admin fsck`: checks every blob the database refers to against its SHA-256 now (the
//! scrubber's check, all at once; each problem is audited as `blob.corrupt`: rows without
//! blobs are `missing`), and lists orphans, on local disk and S3 alike: blobs no row refers
//! to, and upload data no unfinished upload owns. Reports only; exits 1 when it found
//! anything.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::CliError;

#[derive(Debug, Args)]
pub struct FsckArgs {
    /// The server's TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The server's data directory (storage.data_dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

pub async fn fsck(args: FsckArgs) -> Result<()> {
    let overrides = ferry_server::config::Overrides {
        listen: None,
        data_dir: args.data_dir,
    };
    let config = ferry_server::Config::load(args.config.as_deref(), &overrides)
        .map_err(|e| CliError::new("invalid_config", format!("invalid configuration: {e}")))?;
    let sqlite = ferry_store::Store::sqlite_path_in(&config.storage.data_dir);
    if config.database.url.is_none() && !sqlite.exists() {
        return Err(CliError::new(
            "no_database",
            format!("no database at {} (is --data-dir right?)", sqlite.display()),
        )
        .into());
    }
    let url = config.database_url();
    let store = ferry_store::Store::connect(&url)
        .await
        .with_context(|| format!("cannot open database {}", ferry_store::redact_url(&url)))?;
    let blobs = ferry_server::open_blobs(
        &config,
        &store,
        std::sync::Arc::new(ferry_app::clock::SystemClock),
    )
    .await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let report = ferry_app::scrub::check_all(&store, blobs.as_ref(), now).await?;
    for (blob, problem) in &report.problems {
        match problem {
            ferry_app::scrub::Problem::Mismatch { actual_sha256, .. } => {
                println!(
                    "damaged {}: its content hashes to {actual_sha256}",
                    blob.sha256
                )
            }
            ferry_app::scrub::Problem::Missing => {
                println!(
                    "missing {}: the database refers to it, the store has none",
                    blob.sha256
                )
            }
            ferry_app::scrub::Problem::Unreadable(e) => {
                println!("unreadable {}: {e}", blob.sha256)
            }
        }
    }
    let orphans = ferry_app::scrub::orphans(&store, blobs.as_ref()).await?;
    for orphan in &orphans {
        match orphan {
            ferry_app::scrub::Orphan::Blob(key) => {
                println!("orphan {key}: no row refers to it")
            }
            ferry_app::scrub::Orphan::UploadData(id) => {
                println!("orphan upload data {id}: no unfinished upload owns it")
            }
        }
    }
    store.close().await;
    println!(
        "Checked {} blob(s), {} bytes: {} damaged or missing; {} orphan(s).",
        report.checked,
        report.bytes,
        report.problems.len(),
        orphans.len()
    );
    if !report.problems.is_empty() || !orphans.is_empty() {
        return Err(CliError::new(
            "fsck_problems",
            "fsck found problems (listed above): restore damaged or missing blobs from a \
             backup; orphans of a finished upload can be deleted",
        )
        .into());
    }
    Ok(())
}
