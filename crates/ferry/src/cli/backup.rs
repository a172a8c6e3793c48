//! `ferry admin backup DIR` and `ferry admin restore DIR`: an online backup of a SQLite +
//! local-disk server, and its restore into a new data dir.
//!
//! A backup is a directory: `ferry.db` (a consistent copy taken with `VACUUM INTO` while the
//! server runs), `blobs/ab/cd/<sha256>` (every blob that copy refers to, each checked against
//! its SHA-256 while it is copied) and `manifest.json`. Blobs never change once written, so
//! copying them after the snapshot is consistent; a blob removed in between (its file purged
//! just after the snapshot) makes the backup fail, to be run again. PostgreSQL and S3 are
//! backed up with their own tools (`pg_dump`, bucket versioning or replication); these
//! commands say so instead of copying half of a server.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::CliError;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the backup: a new or empty directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The server's TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The server's data directory (storage.data_dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup to restore (a directory written by `ferry admin backup`).
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,
    /// The server's TOML configuration file (its storage.data_dir is the target).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data directory to restore into: new or empty (storage.data_dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `manifest.json`: what a backup holds.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    ferry_version: String,
    created_at_unix: u64,
    schema_version: i64,
    blobs: usize,
    blob_bytes: u64,
}

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "ferry.db";

fn load_config(config: Option<&Path>, data_dir: Option<PathBuf>) -> Result<ferry_server::Config> {
    let overrides = ferry_server::config::Overrides {
        listen: None,
        data_dir,
    };
    let config = ferry_server::Config::load(config, &overrides)
        .map_err(|e| CliError::new("invalid_config", format!("invalid configuration: {e}")))?;
    if config
        .database
        .url
        .as_deref()
        .is_some_and(|u| !u.starts_with("sqlite:"))
    {
        return Err(CliError::new(
            "unsupported_backend",
            "database.url is PostgreSQL: back the database up with pg_dump and restore it with \
             pg_restore (docs/deployment.md, Backups); this command copies SQLite and local blobs",
        )
        .into());
    }
    if config.storage.backend != ferry_app::config::StorageBackend::Local {
        return Err(CliError::new(
            "unsupported_backend",
            "storage.backend is s3: protect the bucket with versioning or replication \
             (docs/deployment.md, Backups); this command copies local blobs only",
        )
        .into());
    }
    Ok(config)
}

/// A directory that does not exist yet or is empty, created.
fn fresh_dir(dir: &Path, what: &str) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(CliError::new(
            "not_empty",
            format!("{what} {} is not empty", dir.display()),
        )
        .into());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

/// The path of a blob key under a data or backup dir; keys are SHA-256 hex on local disk.
fn blob_path(root: &Path, key: &str) -> Option<PathBuf> {
    let hex = key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| {
        root.join("blobs")
            .join(&key[..2])
            .join(&key[2..4])
            .join(key)
    })
}

/// Copies `from` to `to` (durably), checking on the way that the content's SHA-256 is `key`.
/// Returns the bytes copied.
fn copy_checked(from: &Path, to: &Path, key: &str) -> Result<u64> {
    let mut input = File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
    std::fs::create_dir_all(to.parent().expect("blob paths have a parent"))?;
    let partial = to.with_extension("partial");
    let mut output = File::create(&partial)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        total += n as u64;
    }
    let actual = hex::encode(hasher.finalize());
    if actual != key {
        drop(output);
        let _ = std::fs::remove_file(&partial);
        return Err(CliError::new(
            "blob_corrupt",
            format!(
                "{} does not hold what it should: its SHA-256 is {actual}",
                from.display()
            ),
        )
        .into());
    }
    output.sync_all()?;
    std::fs::rename(&partial, to)?;
    Ok(total)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// `ferry admin backup DIR`.
pub async fn backup(args: BackupArgs) -> Result<()> {
    let config = load_config(args.config.as_deref(), args.data_dir)?;
    let data_dir = &config.storage.data_dir;
    let db = ferry_store::Store::sqlite_path_in(data_dir);
    if !db.exists() {
        return Err(CliError::new(
            "no_database",
            format!("no database at {} (is --data-dir right?)", db.display()),
        )
        .into());
    }
    fresh_dir(&args.dir, "the backup directory")?;
    let url = config.database_url();
    // As it is: a backup taken by a newer binary than the server's must not migrate the
    // database under that server.
    let live = ferry_store::Store::connect_as_is(&url)
        .await
        .with_context(|| format!("cannot open database {}", db.display()))?;
    let snapshot_path = args.dir.join(DATABASE);
    live.snapshot_into(&snapshot_path)
        .await
        .context("cannot take the database snapshot")?;
    live.close().await;

    // The blobs the snapshot refers to: what a restore of it needs.
    let snapshot = ferry_store::Store::connect_as_is(&ferry_store::Store::sqlite_url_in(&args.dir))
        .await
        .context("cannot open the snapshot")?;
    let blobs = snapshot.referenced_blobs().await?;
    let schema_version = snapshot.schema_version().await?;
    snapshot.close().await;

    let mut bytes = 0u64;
    let mut missing = Vec::new();
    for blob in &blobs {
        let (Some(from), Some(to)) = (
            blob_path(data_dir, &blob.key),
            blob_path(&args.dir, &blob.key),
        ) else {
            return Err(CliError::new(
                "unsupported_backend",
                format!("blob key `{}` is not a local-disk key", blob.key),
            )
            .into());
        };
        if !from.exists() {
            missing.push(blob.key.clone());
            continue;
        }
        bytes += copy_checked(&from, &to, &blob.key)?;
    }
    if !missing.is_empty() {
        return Err(CliError::new(
            "blobs_missing",
            format!(
                "{} blob(s) the database refers to are not on disk (first: {}); if files were \
                 being purged during the backup, run it again, else run `ferry admin fsck`",
                missing.len(),
                missing[0]
            ),
        )
        .into());
    }
    let manifest = Manifest {
        format: 1,
        ferry_version: env!("CARGO_PKG_VERSION").into(),
        created_at_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        schema_version,
        blobs: blobs.len(),
        blob_bytes: bytes,
    };
    std::fs::write(
        args.dir.join(MANIFEST),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    File::open(&snapshot_path)?.sync_all()?;
    sync_dir(&args.dir)?;
    println!(
        "Backed up the database (schema version {schema_version}) and {} blob(s), {bytes} bytes, to {}.",
        blobs.len(),
        args.dir.display()
    );
    Ok(())
}

/// `ferry admin restore BACKUP --data-dir NEW`.
pub async fn restore(args: RestoreArgs) -> Result<()> {
    let manifest: Manifest = std::fs::read(args.backup.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            CliError::new(
                "invalid_backup",
                format!(
                    "{} is not a backup written by `ferry admin backup` (no readable {MANIFEST})",
                    args.backup.display()
                ),
            )
        })?;
    let config = load_config(args.config.as_deref(), args.data_dir)?;
    if config.database.url.is_some() {
        return Err(CliError::new(
            "unsupported_backend",
            "restore into a data dir's own SQLite database: unset database.url",
        )
        .into());
    }
    let data_dir = &config.storage.data_dir;
    fresh_dir(data_dir, "the data directory to restore into")?;
    // The backup's database is copied before it is opened: opening applies this Ferry's
    // migrations, should the backup be older, and the backup itself stays as it was. It
    // becomes the data dir's database only once every blob is in place.
    let db = ferry_store::Store::sqlite_path_in(data_dir);
    let partial = db.with_extension("db.partial");
    std::fs::copy(args.backup.join(DATABASE), &partial)?;
    let restored = ferry_store::Store::connect(&format!("sqlite://{}?mode=rw", partial.display()))
        .await
        .context("cannot open the backup's database")?;
    let blobs = restored.referenced_blobs().await?;
    let version = restored.schema_version().await?;
    restored.close().await;
    let mut bytes = 0u64;
    for blob in &blobs {
        let (Some(from), Some(to)) = (
            blob_path(&args.backup, &blob.key),
            blob_path(data_dir, &blob.key),
        ) else {
            return Err(CliError::new("invalid_backup", format!("blob key `{}`", blob.key)).into());
        };
        bytes += copy_checked(&from, &to, &blob.key)?;
    }
    File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, &db)?;
    sync_dir(data_dir)?;
    println!(
        "Restored {} blob(s), {bytes} bytes, and the database (schema version {} in the backup, \
         {version} now) into {}.",
        blobs.len(),
        manifest.schema_version,
        data_dir.display()
    );
    Ok(())
}
