//! `ferry admin fsck`: checks every blob the database refers to against its SHA-256 now (the
//! scrubber's check, all at once; each problem is audited as `blob.corrupt`), and on local disk
//! lists orphans: files in the blob store no row refers to. Reports only; exits 1 when it
//! found anything.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
    let blobs = ferry_server::open_blobs(&config).await?;
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
    let orphans = if config.storage.backend == ferry_app::config::StorageBackend::Local {
        let mut conn = store.conn().await?;
        let known: HashSet<String> = ferry_store::scrub::known_keys(&mut conn)
            .await?
            .into_iter()
            .collect();
        drop(conn);
        let mut files = Vec::new();
        walk(&config.storage.data_dir.join("blobs"), &mut files)?;
        files.sort();
        let orphans: Vec<PathBuf> = files
            .into_iter()
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_none_or(|name| !known.contains(name))
            })
            .collect();
        for path in &orphans {
            println!("orphan {}: no row refers to it", path.display());
        }
        Some(orphans.len())
    } else {
        None
    };
    store.close().await;
    println!(
        "Checked {} blob(s), {} bytes: {} damaged or missing; {}.",
        report.checked,
        report.bytes,
        report.problems.len(),
        match orphans {
            Some(n) => format!("{n} orphan(s)"),
            None => "orphans are not listed on S3".into(),
        }
    );
    if !report.problems.is_empty() || orphans.unwrap_or(0) > 0 {
        return Err(CliError::new(
            "fsck_problems",
            "fsck found problems (listed above): restore damaged or missing blobs from a \
             backup; orphans of a finished upload can be deleted",
        )
        .into());
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}
