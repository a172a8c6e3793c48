//! `ferry versions`: a file's versions: list them (`ls`), download one (`get`), make one
//! current again (`restore`), delete one (`rm`).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use ferry_client::{Client, ClientError, all_pages};
use serde_json::json;

use super::download::{Saving, Target, fetch};
use super::files::table;
use super::units::{format_size, parse_size};
use super::{CliError, Common, Output, interrupt, paths, session};
use crate::transfer::download::{Remote, Source};

#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// List a file's versions, newest first; the current one is marked with `*`.
    Ls(LsArgs),
    /// Download one version, resumably, verified by its SHA-256.
    Get(GetArgs),
    /// Make an old version current again: its content becomes a new version (none is lost).
    Restore(VersionArgs),
    /// Delete an old version for good (not the current one); it frees its space.
    Rm(VersionArgs),
}

const FILE_HELP: &str = "FILE is a file id (fil_…) or a path (Top/sub/report.pdf, from your \
root, case-insensitive). A file gets a new version when its content is replaced: `ferry upload \
--on-conflict new-version` of a file of the same name, or `ferry versions restore`. Its id stays \
the same; `version` in `ferry info` is the current one's number.";

#[derive(Debug, Args)]
#[command(after_help = FILE_HELP)]
pub struct LsArgs {
    /// The file: its id or path.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// Versions asked for per request (all pages are fetched either way).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub page_size: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(
    after_help = "FILE is a file id (fil_…) or a path (Top/sub/report.pdf, from your \
root, case-insensitive); N is a version number, as `ferry versions ls FILE` shows it.

An interrupted download resumes when the same command is run again, as with `ferry download`: \
the bytes already in <PATH>.part are kept, held to the version's SHA-256."
)]
pub struct GetArgs {
    /// The file: its id or path.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The version's number.
    #[arg(value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub version: i64,
    /// Where to write it: a file, an existing directory, or - for standard output. Default:
    /// the file's name with the version before its extension (`report.v2.pdf`), in the
    /// current directory.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Ranges downloaded at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Receive at most this many bytes per second in all (e.g. 10MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub limit_rate: Option<u64>,
    /// Replace PATH if it exists.
    #[arg(long)]
    pub force: bool,
    /// Flush the file to disk before moving it into place.
    #[arg(long)]
    pub fsync: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(
    after_help = "FILE is a file id (fil_…) or a path (Top/sub/report.pdf, from your \
root, case-insensitive); N is a version number, as `ferry versions ls FILE` shows it."
)]
pub struct VersionArgs {
    /// The file: its id or path.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// The version's number.
    #[arg(value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub version: i64,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: VersionsCommand) -> Result<()> {
    match command {
        VersionsCommand::Ls(args) => ls(args).await,
        VersionsCommand::Get(args) => get(args).await,
        VersionsCommand::Restore(args) => restore(args).await,
        VersionsCommand::Rm(args) => rm(args).await,
    }
}

/// Every version of a file, newest first.
async fn all_versions(
    client: &Client,
    file_id: &str,
    page_size: i64,
) -> Result<Vec<api::FileVersion>> {
    Ok(all_pages(|cursor| async move {
        let page = client
            .versions(file_id, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.versions, page.next_cursor))
    })
    .await?)
}

/// `path (id)`, how messages name a file.
fn shown(file: &api::File) -> String {
    format!("{} ({})", file.path, file.id)
}

/// The error for a version number the file does not have, with the numbers it has.
fn no_such_version(file: &api::File, given: &str, n: i64, have: &[api::FileVersion]) -> CliError {
    let numbers: Vec<String> = have.iter().rev().map(|v| v.version.to_string()).collect();
    let listed = if numbers.is_empty() {
        String::new()
    } else {
        format!(": it has {}", numbers.join(", "))
    };
    CliError::new(
        "not_found",
        format!(
            "{} has no version {n}{listed} (`ferry versions ls {given}` lists them)",
            shown(file)
        ),
    )
}

/// Whether `e` is the server's `404` (for a version call on a file that exists: no such
/// version).
fn is_not_found(e: &ClientError) -> bool {
    e.code() == Some("not_found")
}

async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file = paths::file(&s.client, &args.file).await?;
    let list = api::FileVersionList {
        versions: all_versions(&s.client, &file.id, args.page_size).await?,
        next_cursor: None,
    };
    out.result(&list, || versions_table(&file, &list.versions));
    Ok(())
}

fn versions_table(file: &api::File, versions: &[api::FileVersion]) -> String {
    if versions.is_empty() {
        return format!("{} has no versions.", shown(file));
    }
    let rows: Vec<[String; 5]> = versions
        .iter()
        .map(|v| {
            let mark = if v.version == file.version { "*" } else { "" };
            [
                format!("{}{mark}", v.version),
                format_size(v.size.max(0) as u64),
                v.created_at.clone(),
                v.created_by
                    .as_ref()
                    .map_or_else(|| "-".to_string(), |u| u.login.clone()),
                v.checksum_sha256.clone(),
            ]
        })
        .collect();
    format!(
        "{}\n{}",
        shown(file),
        table(["VERSION", "SIZE", "CREATED", "BY", "SHA-256"], &rows)
    )
}

async fn get(args: GetArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file = paths::file(&s.client, &args.file).await?;
    let versions = all_versions(&s.client, &file.id, 1000).await?;
    let Some(version) = versions.iter().find(|v| v.version == args.version).cloned() else {
        return Err(no_such_version(&file, &args.file, args.version, &versions).into());
    };
    let source = Source::Version {
        client: s.client,
        id: file.id.clone(),
        version: version.version,
        key: format!("{}/versions/{}", file.id, version.version),
    };
    let remote = Remote::of_version(&version);
    let target = Target::Version {
        file: Box::new(file),
        version,
    };
    let saving = Saving {
        output: args.output.as_deref(),
        parallel: args.parallel,
        limit_rate: args.limit_rate,
        force: args.force,
        fsync: args.fsync,
    };
    fetch(&out, source, remote, &target, &saving).await
}

async fn restore(args: VersionArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file = paths::file(&s.client, &args.file).await?;
    let restored = match s.client.restore_version(&file.id, args.version).await {
        Ok(f) => f,
        Err(e) if is_not_found(&e) => {
            let have = all_versions(&s.client, &file.id, 1000).await?;
            return Err(no_such_version(&file, &args.file, args.version, &have).into());
        }
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!(
                "cannot restore version {} of {}",
                args.version,
                shown(&file)
            )));
        }
    };
    out.result(&restored, || {
        format!(
            "Restored version {} of {}: it is now version {} ({})",
            args.version,
            shown(&restored),
            restored.version,
            format_size(restored.size.max(0) as u64)
        )
    });
    Ok(())
}

async fn rm(args: VersionArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file = paths::file(&s.client, &args.file).await?;
    match s.client.delete_version(&file.id, args.version).await {
        Ok(()) => {}
        Err(e) if is_not_found(&e) => {
            let have = all_versions(&s.client, &file.id, 1000).await?;
            return Err(no_such_version(&file, &args.file, args.version, &have).into());
        }
        Err(e) if e.code() == Some("current_version") => {
            return Err(anyhow::Error::from(e).context(format!(
                "cannot delete version {} of {}: it is the current one (to delete the file, \
                 `ferry {}`)",
                args.version,
                shown(&file),
                interrupt::shell_line(&["rm".to_string(), args.file.clone()])
            )));
        }
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!(
                "cannot delete version {} of {}",
                args.version,
                shown(&file)
            )));
        }
    }
    out.result(
        &json!({"file_id": file.id, "version": args.version, "deleted": true}),
        || format!("Deleted version {} of {}", args.version, shown(&file)),
    );
    Ok(())
}
