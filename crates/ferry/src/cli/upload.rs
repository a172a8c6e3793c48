//! `ferry upload`: which files (directories recursively, flat), into which folder; each one
//! goes through the transfer engine (`transfer::upload`), and the outcome is printed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::files::all_files;
use super::output::Progress;
use super::paths;
use super::units::{format_duration, format_rate, format_size, parse_size};
use super::{CliError, Common, Output, error_line, interrupt, session};
use crate::transfer::files::hash_prefix;
use crate::transfer::rate::RateLimit;
use crate::transfer::upload::{LocalFile, Options, Uploader, mtime_ns};

#[derive(Debug, Args)]
#[command(
    after_help = "Directories are uploaded recursively but flat: every file lands directly in \
the folder under its own file name, since folders have no subfolders yet. An interrupted upload \
(Ctrl-C, a lost connection, a crash) resumes when the same command is run again: only the parts \
the server does not have yet are sent."
)]
pub struct UploadArgs {
    /// Files or directories to upload (directories recursively, flat: see below).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The folder to upload into: its id (fld_…) or exact name.
    #[arg(long, short = 'f', value_name = "FOLDER")]
    pub folder: String,
    /// Parts sent at once for each file.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Part size, 5MiB..=5GiB (e.g. 16MiB). Default: 8 MiB, larger only where a file needs
    /// it to stay within the server's 10,000 parts (from about 78 GiB). An interrupted upload
    /// keeps the parts that were acknowledged and sends the rest.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub part_size: Option<u64>,
    /// Send at most this many bytes per second in all (e.g. 10MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub limit_rate: Option<u64>,
    /// What to do when the folder already has a file of that name. Without this flag a file
    /// that is already there with the same content is skipped ("already uploaded") and one with
    /// other content is stored under a new name; `rename` always stores a new copy.
    #[arg(long, value_enum)]
    pub on_conflict: Option<OnConflict>,
    /// Start a new upload instead of resuming an interrupted one of the same file.
    #[arg(long)]
    pub no_resume: bool,
    /// Also hash each part as it is read and compare it with the server's SHA-256 of that
    /// part, so that a part damaged on the way is sent again at once. Without it any damage is
    /// still caught, by the whole file's SHA-256 at completion, but then the upload fails and
    /// the next run starts it over. Costs one more SHA-256 pass over the file (about 0.45 s of
    /// CPU per GiB, measured with 1 GiB).
    #[arg(long)]
    pub verify_parts: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnConflict {
    /// Keep both: the new file gets a new name.
    Rename,
    /// Fail the upload.
    Fail,
}

pub async fn run(args: UploadArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &args.folder).await?;
    let mut sources = Vec::new();
    for path in &args.paths {
        collect(path, true, &mut sources)?;
    }
    if sources.is_empty() {
        return Err(CliError::new("nothing_to_upload", "no files found to upload").into());
    }
    let total: u64 = sources.iter().map(|s| s.size).sum();
    let progress = Progress::new(out.progress_mode(), sources.len(), total);
    let limiter = args
        .limit_rate
        .filter(|r| *r > 0)
        .map(|r| Arc::new(RateLimit::new(r)));
    let options = Options {
        parallel: usize::from(args.parallel),
        part_size: args.part_size,
        on_conflict: match args.on_conflict {
            None | Some(OnConflict::Rename) => "rename",
            Some(OnConflict::Fail) => "fail",
        },
        no_resume: args.no_resume,
        verify_parts: args.verify_parts,
    };
    // Unless a copy is asked for, a file the folder already holds (same name, same SHA-256)
    // is not sent again: a re-run of an upload finishes what is missing and nothing more.
    let existing = if args.on_conflict == Some(OnConflict::Rename) {
        HashMap::new()
    } else {
        all_files(&s.client, &folder.id, 1000)
            .await?
            .into_iter()
            .map(|f| (f.name.clone(), f))
            .collect()
    };
    let mut uploaded = Vec::new();
    let mut failures: Vec<PathBuf> = Vec::new();
    let count = sources.len();
    let paths: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
    for (i, source) in sources.into_iter().enumerate() {
        // Resuming means sending this file and the ones after it (and any that failed), not
        // the ones already uploaded: their upload is over, and would be made again.
        let pending: Vec<PathBuf> = failures.iter().chain(&paths[i..]).cloned().collect();
        interrupt::set_rerun(Some(rerun_args(&args, &pending)));
        if let Some(file) = existing.get(&source.name)
            && file.size as u64 == source.size
            && sha256_of(&source.path, source.size).await? == file.checksum_sha256
        {
            if !out.json {
                progress.println(&format!(
                    "Already uploaded {} ({}) as {} in {} (same name and SHA-256); nothing sent",
                    source.path.display(),
                    format_size(source.size),
                    file.id,
                    folder.name,
                ));
            }
            uploaded.push(file.clone());
            continue;
        }
        let bar = Arc::new(progress.file(&source.name, source.size));
        let job = Uploader {
            client: s.client.clone(),
            server_url: s.url.clone(),
            folder_id: folder.id.clone(),
            options: &options,
            progress: bar.clone(),
            limiter: limiter.clone(),
        };
        let started = Instant::now();
        match job.upload(&source).await {
            Ok((file, stats)) => {
                bar.finish();
                let elapsed = started.elapsed();
                let resumed = match &stats.resumed {
                    Some(id) => format!(
                        "; resumed {id}, sent {} of {}",
                        format_size(stats.sent),
                        format_size(source.size)
                    ),
                    None => String::new(),
                };
                // On a name conflict the server stores it under another name (`a (1).txt`).
                let renamed = if file.name != source.name {
                    format!(" as \"{}\" (\"{}\" was taken)", file.name, source.name)
                } else {
                    String::new()
                };
                let line = format!(
                    "Uploaded {} ({}) as {} to {}{renamed} in {} ({}){resumed}",
                    source.path.display(),
                    format_size(source.size),
                    file.id,
                    folder.name,
                    format_duration(elapsed),
                    format_rate(stats.sent, elapsed),
                );
                if !out.json {
                    progress.println(&line);
                }
                uploaded.push(file);
            }
            Err(e) => {
                bar.abandon();
                if count == 1 {
                    return Err(e.context(format!("uploading {}", source.path.display())));
                }
                say!(
                    "{}",
                    error_line(&e.context(format!("uploading {}", source.path.display())))
                );
                failures.push(source.path);
            }
        }
    }
    progress.finish();
    if out.json {
        out.result(&uploaded, String::new);
    }
    if !failures.is_empty() {
        let rerun = rerun_args(&args, &failures);
        let program = std::env::args().next().unwrap_or_else(|| "ferry".into());
        return Err(CliError::new(
            "upload_failed",
            format!(
                "{} of {count} files failed; to resume them, run: {program} {}",
                failures.len(),
                interrupt::shell_line(&rerun)
            ),
        )
        .into());
    }
    Ok(())
}

/// The SHA-256 of a local file of `size` bytes, read on a blocking thread.
async fn sha256_of(path: &Path, size: u64) -> Result<String> {
    use sha2::Digest;
    let path = path.to_path_buf();
    let state = tokio::task::spawn_blocking(move || hash_prefix(&path, size)).await??;
    Ok(hex::encode(state.finalize()))
}

/// The `ferry upload` arguments that upload `paths` the way `args` says.
fn rerun_args(args: &UploadArgs, paths: &[PathBuf]) -> Vec<String> {
    let mut out = vec!["upload".to_string()];
    out.extend(paths.iter().map(|p| p.display().to_string()));
    out.extend(["--folder".to_string(), args.folder.clone()]);
    if args.parallel != 4 {
        out.extend(["--parallel".to_string(), args.parallel.to_string()]);
    }
    if let Some(p) = args.part_size {
        out.extend(["--part-size".to_string(), p.to_string()]);
    }
    if let Some(r) = args.limit_rate {
        out.extend(["--limit-rate".to_string(), r.to_string()]);
    }
    match args.on_conflict {
        Some(OnConflict::Fail) => out.extend(["--on-conflict".to_string(), "fail".to_string()]),
        Some(OnConflict::Rename) => {
            out.extend(["--on-conflict".to_string(), "rename".to_string()]);
        }
        None => {}
    }
    // Not `--no-resume`: that would start over.
    if args.verify_parts {
        out.push("--verify-parts".to_string());
    }
    out.extend(args.common.rerun_args());
    out
}

/// Adds `path` (a file, or a directory's files recursively) to `out`.
fn collect(path: &Path, explicit: bool, out: &mut Vec<LocalFile>) -> Result<()> {
    let meta = if explicit {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .with_context(|| format!("cannot read {}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read the directory {}", path.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("cannot read the directory {}", path.display()))?;
        entries.sort();
        for entry in entries {
            collect(&entry, false, out)?;
        }
        return Ok(());
    }
    if !meta.is_file() {
        if explicit {
            return Err(CliError::new(
                "not_a_file",
                format!("{} is not a regular file or a directory", path.display()),
            )
            .into());
        }
        // Symbolic links, sockets, devices inside a directory are skipped.
        return Ok(());
    }
    let abs =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let name = abs
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            CliError::new(
                "invalid_name",
                format!("{} has no UTF-8 file name", path.display()),
            )
        })?
        .to_string();
    out.push(LocalFile {
        path: abs,
        name,
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
    });
    Ok(())
}
