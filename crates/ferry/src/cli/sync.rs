//! `ferry sync`: a one-way mirror between a local directory and a folder, up (the default) or
//! down. Both trees are listed, compared file by file, and only what differs goes through the
//! transfer engine (`transfer::upload`, `transfer::download`), several files at once.
//!
//! A file is the same on both sides when the sizes match and either the modification times
//! match to the second (the server keeps the client's as `client_modified_at`, and a download
//! sets it on the local file) or, failing that (or with `--checksum`), the local SHA-256 is the
//! server's. That is rclone's rule: a no-op run reads no file, yet a file touched without a
//! change is not sent again.
//!
//! A killed run resumes when run again: finished files compare equal and are skipped, and the
//! file that was cut off continues from its resume file (upload) or `.part` file (download).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Args;
use ferry_api as api;
use ferry_client::Client;
use ferry_core::timefmt::parse_rfc3339;
use ferry_core::validate::name_key;
use futures::StreamExt;
use serde::Serialize;

use super::files::{make_parents, walk};
use super::output::Progress;
use super::paths::{self, Item};
use super::units::{format_duration, format_size, parse_size};
use super::upload::{Source, collect, sha256_of};
use super::{CliError, Common, Output, error_line, session};
use crate::transfer::download::{self, Downloader, Remote};
use crate::transfer::rate::RateLimit;
use crate::transfer::upload::{LocalFile, Options, Uploader};

#[derive(Debug, Args)]
#[command(
    after_help = "Up (the default): `ferry sync LOCAL_DIR FOLDER` makes FOLDER hold what \
LOCAL_DIR holds: new and changed files are uploaded (a changed file becomes the next version of \
the one on the server), missing folders are created (FOLDER too, with its parents), and with \
--delete what FOLDER holds beyond that goes to the trash.

Down: `ferry sync --down FOLDER LOCAL_DIR` makes LOCAL_DIR hold what FOLDER holds, and sets each \
downloaded file's modification time to the server's; with --delete local files and directories \
that FOLDER lacks are removed.

FOLDER is a folder id (fld_…), a path with a slash (/Top/sub or Top/sub, from your root, \
case-insensitive) or the exact name of a top-level folder. Names are compared as the server \
compares them: without regard to case or Unicode normalization.

Files are the same when their sizes match and their modification times match to the second; \
otherwise (or with --checksum) the SHA-256 decides, so a file touched without a change is not \
sent again. A run that is killed or fails resumes when run again: what is there is skipped, and \
a file cut off mid-way continues where it stopped."
)]
pub struct SyncArgs {
    /// The source: a local directory (up), or with --down a folder.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// The destination: a folder (up), or with --down a local directory (created if missing).
    #[arg(value_name = "DEST")]
    pub dest: String,
    /// Mirror a folder into a local directory instead (SOURCE is the folder).
    #[arg(long)]
    pub down: bool,
    /// Also delete what the destination holds that the source does not (on the server: into
    /// the trash).
    #[arg(long)]
    pub delete: bool,
    /// Only say what would be done; change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Compare every file of equal size by SHA-256, even when the modification times match.
    #[arg(long, short = 'c')]
    pub checksum: bool,
    /// Files transferred at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub transfers: u16,
    /// Parts (up) or ranges (down) of one file sent at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Transfer at most this many bytes per second in all (e.g. 10MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub limit_rate: Option<u64>,
    #[command(flatten)]
    pub common: Common,
}

/// A tree's paths below its root, by key: each name through [`name_key`], joined by `/`.
type Key = String;

fn key_of(parts: &[String]) -> Key {
    parts
        .iter()
        .map(|p| name_key(p))
        .collect::<Vec<_>>()
        .join("/")
}

/// The key of the directory holding `key` (`""`: the root).
fn parent_key(key: &str) -> &str {
    key.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// The local side: every file and every directory below the root.
struct LocalTree {
    files: BTreeMap<Key, Source>,
    /// With their names as they are on disk.
    dirs: BTreeMap<Key, Vec<String>>,
}

impl LocalTree {
    fn read(root: &Path) -> Result<LocalTree> {
        let mut sources = Vec::new();
        let mut dirs = BTreeSet::new();
        collect(root, true, true, Vec::new(), &mut sources, &mut dirs)?;
        let files = sources.into_iter().map(|s| (key_of(&rel(&s)), s)).collect();
        // The root too, as the remote tree has it: every item's parent is then a key.
        let mut dirs: BTreeMap<Key, Vec<String>> =
            dirs.into_iter().map(|d| (key_of(&d), d)).collect();
        dirs.insert(String::new(), Vec::new());
        Ok(LocalTree { files, dirs })
    }
}

/// A local file's path of names below the root.
fn rel(source: &Source) -> Vec<String> {
    let mut parts = source.dir.clone();
    parts.push(source.file.name.clone());
    parts
}

/// The server's side: the folder and everything below it.
struct RemoteTree {
    /// The folder's path from the caller's root.
    root_path: String,
    files: BTreeMap<Key, api::File>,
    /// The root is `""`.
    folders: BTreeMap<Key, api::Folder>,
}

impl RemoteTree {
    async fn read(client: &Client, root: api::Folder) -> Result<RemoteTree> {
        let mut items = Vec::new();
        walk(client, &root.id, 1000, true, &mut items).await?;
        let mut files = BTreeMap::new();
        let mut folders = BTreeMap::from([(String::new(), root.clone())]);
        for item in items {
            let below = remote_rel(&root.path, item.path());
            let key = key_of(&below);
            match item {
                Item::File(f) => files.insert(key, *f).map(drop),
                Item::Folder(f) => folders.insert(key, *f).map(drop),
            };
        }
        Ok(RemoteTree {
            root_path: root.path,
            files,
            folders,
        })
    }
}

/// The names below `root` of the item at `path` (both from the caller's root).
fn remote_rel(root_path: &str, path: &str) -> Vec<String> {
    let below = path
        .get(root_path.trim_end_matches('/').len()..)
        .unwrap_or(path);
    paths::segments(below)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The remote file's modification time in whole seconds: the client's, else the server's.
fn remote_mtime(f: &api::File) -> Option<i64> {
    f.client_modified_at
        .as_deref()
        .or(Some(&f.updated_at))
        .and_then(parse_rfc3339)
        .map(|ms| ms.div_euclid(1000))
}

/// Whether `local` already holds `remote`'s content (see the module's doc).
async fn same(local: &LocalFile, remote: &api::File, checksum: bool) -> Result<bool> {
    if local.size != remote.size.max(0) as u64 {
        return Ok(false);
    }
    let local_secs = (local.mtime_ns / 1_000_000_000) as i64;
    if !checksum && remote_mtime(remote) == Some(local_secs) {
        return Ok(true);
    }
    Ok(sha256_of(&local.path, local.size).await? == remote.checksum_sha256)
}

/// What a run did (or, with --dry-run, would do), for `--json` and the summary line.
#[derive(Debug, Default, Serialize)]
struct Report {
    direction: &'static str,
    dry_run: bool,
    /// Paths below the roots, `/`-separated.
    transferred: Vec<String>,
    bytes: u64,
    unchanged: usize,
    folders_created: Vec<String>,
    deleted: Vec<String>,
    failed: Vec<String>,
}

/// One file to send or fetch.
struct Job {
    /// For messages: the path below the roots.
    shown: String,
    size: u64,
    why: &'static str,
    what: JobKind,
}

enum JobKind {
    Up { source: LocalFile, folder_key: Key },
    Down { file: Box<api::File>, dest: PathBuf },
}

pub async fn run(args: SyncArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let (local_dir, folder_arg) = if args.down {
        (PathBuf::from(&args.dest), args.source.as_str())
    } else {
        (PathBuf::from(&args.source), args.dest.as_str())
    };
    let started = Instant::now();
    let mut report = Report {
        direction: if args.down { "down" } else { "up" },
        dry_run: args.dry_run,
        ..Report::default()
    };
    let mut remote = if args.down {
        let folder = paths::folder(&s.client, folder_arg).await?;
        RemoteTree::read(&s.client, folder).await?
    } else {
        if !local_dir.is_dir() {
            return Err(not_a_dir(&local_dir));
        }
        match remote_root(&s.client, folder_arg, args.dry_run).await? {
            Some(folder) => RemoteTree::read(&s.client, folder).await?,
            None => {
                report.folders_created.push(folder_arg.to_string());
                RemoteTree {
                    root_path: String::new(),
                    files: BTreeMap::new(),
                    folders: BTreeMap::new(),
                }
            }
        }
    };
    if args.down && !args.dry_run {
        std::fs::create_dir_all(&local_dir)
            .with_context(|| format!("cannot create {}", local_dir.display()))?;
    } else if args.down && local_dir.exists() && !local_dir.is_dir() {
        return Err(not_a_dir(&local_dir));
    }
    let local = if local_dir.is_dir() {
        LocalTree::read(&local_dir)?
    } else {
        LocalTree {
            files: BTreeMap::new(),
            dirs: BTreeMap::new(),
        }
    };
    let say_line = |line: String| {
        if !out.json && !out.quiet {
            say!("{line}");
        }
    };

    // Directories first, parents before children (keys sort that way).
    let mut jobs = Vec::new();
    if args.down {
        for (key, folder) in &remote.folders {
            if key.is_empty() || local.dirs.contains_key(key) {
                continue;
            }
            let rel = remote_rel(&remote.root_path, &folder.path);
            report.folders_created.push(rel.join("/"));
            if !args.dry_run {
                let dir = local_path(&local_dir, &local, &rel);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        for (key, file) in &remote.files {
            let rel = remote_rel(&remote.root_path, &file.path);
            let why = match local.files.get(key) {
                Some(l) if same(&l.file, file, args.checksum).await? => {
                    report.unchanged += 1;
                    continue;
                }
                Some(_) => "changed",
                None => "new",
            };
            jobs.push(Job {
                shown: rel.join("/"),
                size: file.size.max(0) as u64,
                why,
                what: JobKind::Down {
                    dest: match local.files.get(key) {
                        Some(l) => l.file.path.clone(),
                        None => local_path(&local_dir, &local, &rel),
                    },
                    file: Box::new(file.clone()),
                },
            });
        }
    } else {
        for (key, dir) in &local.dirs {
            if key.is_empty() || remote.folders.contains_key(key) {
                continue;
            }
            report.folders_created.push(dir.join("/"));
            if !args.dry_run {
                let parent = &remote.folders[parent_key(key)];
                let name = dir.last().expect("not the root");
                let made = s
                    .client
                    .create_folder_in(Some(&parent.id), name)
                    .await
                    .with_context(|| format!("creating the folder {}/{name}", parent.path))?;
                remote.folders.insert(key.clone(), made);
            }
        }
        for (key, source) in &local.files {
            let why = match remote.files.get(key) {
                Some(r) if same(&source.file, r, args.checksum).await? => {
                    report.unchanged += 1;
                    continue;
                }
                Some(_) => "changed",
                None => "new",
            };
            jobs.push(Job {
                shown: rel(source).join("/"),
                size: source.file.size,
                why,
                what: JobKind::Up {
                    source: LocalFile {
                        path: source.file.path.clone(),
                        name: source.file.name.clone(),
                        size: source.file.size,
                        mtime_ns: source.file.mtime_ns,
                    },
                    folder_key: key_of(&source.dir),
                },
            });
        }
    }

    // What the destination holds beyond the source: only the topmost of a missing tree.
    let mut extras: Vec<(String, Extra)> = Vec::new();
    if args.delete {
        if args.down {
            for (key, dir) in &local.dirs {
                if !remote.folders.contains_key(key) && remote.folders.contains_key(parent_key(key))
                {
                    extras.push((
                        dir.join("/"),
                        Extra::LocalDir(local_dir.join(dir.join("/"))),
                    ));
                }
            }
            for (key, source) in &local.files {
                let in_dir = remote.folders.contains_key(parent_key(key));
                if !remote.files.contains_key(key) && in_dir && !own_part_file(key, &remote) {
                    extras.push((
                        rel(source).join("/"),
                        Extra::LocalFile(source.file.path.clone()),
                    ));
                }
            }
        } else {
            for (key, folder) in &remote.folders {
                if !local.dirs.contains_key(key) && local.dirs.contains_key(parent_key(key)) {
                    let rel = remote_rel(&remote.root_path, &folder.path).join("/");
                    extras.push((rel, Extra::Folder(folder.id.clone())));
                }
            }
            for (key, file) in &remote.files {
                let in_dir = local.dirs.contains_key(parent_key(key));
                if !local.files.contains_key(key) && in_dir {
                    let rel = remote_rel(&remote.root_path, &file.path).join("/");
                    extras.push((rel, Extra::File(file.id.clone())));
                }
            }
        }
    }

    if args.dry_run {
        for dir in &report.folders_created {
            say_line(format!("Would create folder {dir}"));
        }
        for job in &jobs {
            let verb = if args.down { "download" } else { "upload" };
            say_line(format!(
                "Would {verb} {} ({}, {})",
                job.shown,
                format_size(job.size),
                job.why
            ));
            report.transferred.push(job.shown.clone());
            report.bytes += job.size;
        }
        for (shown, _) in &extras {
            say_line(format!("Would delete {shown}"));
            report.deleted.push(shown.clone());
        }
        out.result(&report, || summary(&report, started.elapsed()));
        return Ok(());
    }
    for dir in &report.folders_created {
        say_line(format!("Created folder {dir}"));
    }

    transfer(&s, &args, &remote, jobs, &mut report).await?;

    // Deleting comes last: a run that fails half-way has removed nothing yet.
    if report.failed.is_empty() {
        for (shown, extra) in extras {
            match extra {
                Extra::File(id) => drop(s.client.delete_file(&id).await?),
                Extra::Folder(id) => s.client.delete_folder(&id, false).await?,
                Extra::LocalFile(path) => std::fs::remove_file(&path)
                    .with_context(|| format!("cannot delete {}", path.display()))?,
                Extra::LocalDir(path) => std::fs::remove_dir_all(&path)
                    .with_context(|| format!("cannot delete {}", path.display()))?,
            }
            say_line(format!("Deleted {shown}"));
            report.deleted.push(shown);
        }
    }
    out.result(&report, || summary(&report, started.elapsed()));
    if !report.failed.is_empty() {
        return Err(CliError::new(
            "sync_failed",
            format!(
                "{} files failed (nothing was deleted); run the same command again to finish: \
                 what was transferred is kept",
                report.failed.len()
            ),
        )
        .into());
    }
    Ok(())
}

/// Something to delete with `--delete`.
enum Extra {
    File(String),
    Folder(String),
    LocalFile(PathBuf),
    LocalDir(PathBuf),
}

/// Sends or fetches every job, `--transfers` at once; failures are reported and counted, not
/// fatal, so that one bad file does not hold the others back.
async fn transfer(
    s: &super::Session,
    args: &SyncArgs,
    remote: &RemoteTree,
    jobs: Vec<Job>,
    report: &mut Report,
) -> Result<()> {
    let out = Output::new(&args.common);
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    let progress = Progress::new(out.progress_mode(), jobs.len(), total);
    let limiter = RateLimit::shared(args.limit_rate);
    let options = Options {
        parallel: usize::from(args.parallel),
        part_size: None,
        // A changed file becomes the next version of the one that is there.
        on_conflict: "new_version",
        no_resume: false,
        verify_parts: false,
        uploader_name: None,
        uploader_email: None,
    };
    let (progress, options, limiter) = (&progress, &options, &limiter);
    let mut results = futures::stream::iter(jobs)
        .map(|job| async move {
            let bar = Arc::new(progress.file(&job.shown, job.size));
            let started = Instant::now();
            let done = match &job.what {
                JobKind::Up { source, folder_key } => {
                    let uploader = Uploader {
                        client: s.client.clone(),
                        server_url: s.url.clone(),
                        folder_id: remote.folders[folder_key].id.clone(),
                        options,
                        progress: bar.clone(),
                        limiter: limiter.clone(),
                    };
                    uploader.upload(source).await.map(|_| ())
                }
                JobKind::Down { file, dest } => {
                    let downloader = Downloader {
                        source: download::Source::File {
                            client: s.client.clone(),
                            id: file.id.clone(),
                        },
                        remote: Remote::of_file(file),
                        progress: bar.clone(),
                        limiter: limiter.clone(),
                        fsync: false,
                    };
                    match downloader
                        .to_path(dest, true, usize::from(args.parallel))
                        .await
                    {
                        Ok(_) => set_mtime(dest, file),
                        Err(e) => Err(e),
                    }
                }
            };
            match &done {
                Ok(()) => {
                    bar.finish();
                    if !out.json {
                        let verb = if args.down { "Downloaded" } else { "Uploaded" };
                        progress.println(&format!(
                            "{verb} {} ({}, {}) in {}",
                            job.shown,
                            format_size(job.size),
                            job.why,
                            format_duration(started.elapsed())
                        ));
                    }
                }
                Err(e) => {
                    bar.abandon();
                    say!(
                        "{}",
                        error_line(&anyhow::anyhow!("{e:#}").context(job.shown.clone()))
                    );
                }
            }
            (job, done)
        })
        .buffer_unordered(usize::from(args.transfers));
    while let Some((job, done)) = results.next().await {
        match done {
            Ok(()) => {
                report.bytes += job.size;
                report.transferred.push(job.shown);
            }
            Err(_) => report.failed.push(job.shown),
        }
    }
    progress.finish();
    Ok(())
}

/// Gives a downloaded file the server's modification time, so that the next run compares
/// equal without reading it.
fn set_mtime(dest: &Path, file: &api::File) -> Result<()> {
    let Some(secs) = remote_mtime(file) else {
        return Ok(());
    };
    let Ok(secs) = u64::try_from(secs) else {
        return Ok(());
    };
    let f = std::fs::File::options()
        .write(true)
        .open(dest)
        .with_context(|| format!("cannot open {}", dest.display()))?;
    f.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
        .with_context(|| format!("cannot set the modification time of {}", dest.display()))
}

/// Whether `key` is a download's `.part` or `.part.state` file for a file the folder has
/// (kept for the next run to resume, not an extra to delete).
fn own_part_file(key: &str, remote: &RemoteTree) -> bool {
    [".part", ".part.state"].iter().any(|suffix| {
        key.strip_suffix(suffix)
            .is_some_and(|base| remote.files.contains_key(base))
    })
}

/// FOLDER for an upward sync: found, or created with its parents (`None` on a dry run, where
/// it would be).
async fn remote_root(client: &Client, given: &str, dry_run: bool) -> Result<Option<api::Folder>> {
    match paths::folder(client, given).await {
        Ok(f) => return Ok(Some(f)),
        Err(e) if !is_not_found(&e) => return Err(e),
        Err(_) if dry_run => return Ok(None),
        Err(_) => {}
    }
    let segs = paths::segments(given);
    if segs.is_empty() {
        return Err(CliError::new("invalid_name", "give the folder to sync into").into());
    }
    Ok(Some(make_parents(client, &segs, 0).await?.0))
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<CliError>()
            .is_some_and(|c| c.code == "not_found")
            || c.downcast_ref::<ferry_client::ClientError>()
                .is_some_and(|c| c.code() == Some("not_found"))
    })
}

/// Where `rel` (remote names) goes below `root`: into the local directory that has the same key
/// where there is one (its name may differ in case), else under the remote names.
fn local_path(root: &Path, local: &LocalTree, rel: &[String]) -> PathBuf {
    let mut path = root.to_path_buf();
    for depth in 1..=rel.len() {
        let key = key_of(&rel[..depth]);
        let name = match local.dirs.get(&key) {
            Some(dir) => dir[depth - 1].clone(),
            None => rel[depth - 1].clone(),
        };
        path.push(name);
    }
    path
}

fn not_a_dir(path: &Path) -> anyhow::Error {
    CliError::new(
        "not_a_directory",
        format!("{} is not a directory", path.display()),
    )
    .into()
}

fn summary(report: &Report, elapsed: Duration) -> String {
    let verb = match (report.direction, report.dry_run) {
        ("up", false) => "uploaded",
        ("up", true) => "to upload",
        (_, false) => "downloaded",
        (_, true) => "to download",
    };
    let deleted = if report.dry_run {
        "to delete"
    } else {
        "deleted"
    };
    let mut line = format!(
        "{} files {verb} ({}), {} unchanged, {} folders {}, {} {deleted}",
        report.transferred.len(),
        format_size(report.bytes),
        report.unchanged,
        report.folders_created.len(),
        if report.dry_run {
            "to create"
        } else {
            "created"
        },
        report.deleted.len(),
    );
    if !report.failed.is_empty() {
        line.push_str(&format!(", {} failed", report.failed.len()));
    }
    if report.dry_run {
        line.push_str("; dry run: nothing was changed");
    } else {
        line.push_str(&format!(" in {}", format_duration(elapsed)));
    }
    line
}
