//! `ferry uploads ls|abort`: the uploads you started, above all the unfinished ones that hold
//! part of your quota until they complete, expire or are aborted.

use std::collections::HashMap;

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use ferry_client::Client;
use ferry_core::UploadStatus;

use super::files::{all_folders, table};
use super::units::{format_duration, format_size};
use super::{CliError, Common, Output, error_line, session};

/// Every status, for `--all`.
fn all_statuses() -> String {
    UploadStatus::ALL.map(UploadStatus::as_str).join(",")
}

#[derive(Debug, Subcommand)]
pub enum UploadsCommand {
    /// List your uploads: the unfinished ones (open or completing), which hold quota until
    /// they complete, expire or are aborted; with --all, every one.
    Ls(LsArgs),
    /// Abort uploads: their parts are deleted and the space they reserved is released at once.
    Abort(AbortArgs),
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Every upload you started (completed, failed, aborted and expired ones too).
    #[arg(long)]
    pub all: bool,
    /// Uploads asked for per request (all pages are fetched either way).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub page_size: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct AbortArgs {
    /// The uploads' ids (upl_…), as `ferry uploads ls` shows them.
    #[arg(value_name = "UPLOAD_ID", required = true, num_args = 1..)]
    pub upload_ids: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: UploadsCommand) -> Result<()> {
    match command {
        UploadsCommand::Ls(a) => ls(a).await,
        UploadsCommand::Abort(a) => abort(a).await,
    }
}

/// Every page of the caller's uploads with `status` (`None`: the server's default, the
/// unfinished ones), newest first.
async fn all_uploads(
    client: &Client,
    status: Option<&str>,
    page_size: i64,
) -> Result<Vec<api::Upload>> {
    Ok(ferry_client::all_pages(|cursor| async move {
        let page = client
            .list_uploads(status, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.uploads, page.next_cursor))
    })
    .await?)
}

async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let all = all_statuses();
    let status = args.all.then_some(all.as_str());
    let uploads = all_uploads(&s.client, status, args.page_size).await?;
    let list = api::UploadList {
        uploads,
        next_cursor: None,
    };
    if out.json {
        out.result(&list, String::new);
        return Ok(());
    }
    // Folder names for the table: top-level folders by name, subfolders by path (an upload
    // into a folder since deleted shows its id).
    let mut folders: HashMap<String, String> = if list.uploads.is_empty() {
        HashMap::new()
    } else {
        all_folders(&s.client, 1000)
            .await?
            .into_iter()
            .map(|f| (f.id, f.name))
            .collect()
    };
    for u in &list.uploads {
        if u.folder_id.is_empty() || folders.contains_key(&u.folder_id) {
            continue;
        }
        let shown = match s.client.get_folder(&u.folder_id).await {
            Ok(f) => f.path,
            Err(_) => u.folder_id.clone(),
        };
        folders.insert(u.folder_id.clone(), shown);
    }
    let now = std::time::SystemTime::now();
    out.result(&list, || {
        uploads_table(&list.uploads, &folders, args.all, now)
    });
    Ok(())
}

/// `12.0 MiB (40%)`: what has arrived of `u`.
pub fn received(u: &api::Upload) -> String {
    let got = format_size(u.bytes_received.max(0) as u64);
    if u.size <= 0 {
        return got;
    }
    // Rounded down: 99.9% is not done.
    let percent = (u.bytes_received.clamp(0, u.size) as i128 * 100 / u.size as i128) as i64;
    format!("{got} ({percent}%)")
}

/// `2026-11-22T12:00:00Z (in 23h 59m)` for an open upload; `-` once it takes no more parts.
fn expires(u: &api::Upload, now: std::time::SystemTime) -> String {
    if u.status != "open" {
        return "-".into();
    }
    let left = parse_time(&u.expires_at).and_then(|t| t.duration_since(now).ok());
    match left {
        Some(left) => format!("{} (in {})", u.expires_at, format_duration(left)),
        None => format!("{} (expired)", u.expires_at),
    }
}

/// `2026-11-22T12:00:00Z` (as the server writes times: UTC, whole seconds) as a system time.
fn parse_time(s: &str) -> Option<std::time::SystemTime> {
    let secs = ferry_core::timefmt::parse_rfc3339(s)? / 1000;
    std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(u64::try_from(secs).ok()?))
}

fn uploads_table(
    uploads: &[api::Upload],
    folders: &HashMap<String, String>,
    all: bool,
    now: std::time::SystemTime,
) -> String {
    if uploads.is_empty() {
        return if all {
            "No uploads.".into()
        } else {
            "No unfinished uploads: nothing holds space in your quota.".into()
        };
    }
    let rows: Vec<[String; 7]> = uploads
        .iter()
        .map(|u| {
            [
                u.upload_id.clone(),
                u.status.clone(),
                format_size(u.size.max(0) as u64),
                received(u),
                match folders.get(&u.folder_id) {
                    Some(name) => name.clone(),
                    None if u.folder_id.is_empty() => "-".into(),
                    None => u.folder_id.clone(),
                },
                expires(u, now),
                u.filename.clone(),
            ]
        })
        .collect();
    let mut text = table(
        [
            "ID", "STATUS", "SIZE", "RECEIVED", "FOLDER", "EXPIRES", "NAME",
        ],
        &rows,
    );
    let unfinished: Vec<&api::Upload> = uploads
        .iter()
        .filter(|u| UploadStatus::parse(&u.status).is_some_and(UploadStatus::is_unfinished))
        .collect();
    if !unfinished.is_empty() {
        let held: i64 = unfinished.iter().map(|u| u.size.max(0)).sum();
        text.push_str(&format!(
            "\n{} reserved by {}; `ferry uploads abort UPLOAD_ID` releases an upload's space now.",
            format_size(held as u64),
            count(unfinished.len() as i64, "unfinished upload"),
        ));
    }
    text
}

/// `1 unfinished upload`, `2 unfinished uploads`.
pub fn count(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

async fn abort(args: AbortArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let total = args.upload_ids.len();
    let mut aborted = Vec::new();
    let mut failures = 0;
    for id in &args.upload_ids {
        match abort_one(&s.client, id).await {
            Ok((upload, line)) => {
                if !out.json {
                    out.result(&upload, || line);
                }
                aborted.push(upload);
            }
            Err(e) if total == 1 => return Err(e),
            Err(e) => {
                say!("{}", error_line(&e));
                failures += 1;
            }
        }
    }
    if out.json {
        out.result(&aborted, String::new);
    }
    if failures > 0 {
        return Err(CliError::new(
            "abort_failed",
            format!("{failures} of {total} uploads could not be aborted"),
        )
        .into());
    }
    Ok(())
}

/// Aborts one upload: the upload as it is afterwards, and a line saying what was released.
async fn abort_one(client: &Client, id: &str) -> Result<(api::Upload, String)> {
    let before = client
        .get_upload(id)
        .await
        .map_err(|e| anyhow::Error::new(e).context(format!("aborting {id}")))?;
    client.abort_upload(id).await.map_err(|e| {
        anyhow::Error::new(e).context(format!("aborting {id} ({})", before.filename))
    })?;
    let after = client.get_upload(id).await.unwrap_or_else(|_| api::Upload {
        status: "aborted".into(),
        ..before.clone()
    });
    let line = if before.status == "aborted" {
        format!(
            "{id} ({}) was already aborted: nothing more to release",
            before.filename
        )
    } else {
        format!(
            "Aborted {id} ({}, {} received): released {}",
            before.filename,
            received(&before),
            format_size(before.size.max(0) as u64)
        )
    };
    Ok((after, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(size: i64, bytes_received: i64) -> api::Upload {
        api::Upload {
            upload_id: "upl_x".into(),
            folder_id: "fld_x".into(),
            filename: "x.bin".into(),
            size,
            part_size: 5 << 20,
            part_count: 1,
            created_at: "2026-11-22T11:00:00Z".into(),
            expires_at: "2026-11-22T12:00:00Z".into(),
            status: "open".into(),
            received_parts: Vec::new(),
            bytes_received,
            parts: Vec::new(),
            checksum_sha256: None,
            file_id: None,
        }
    }

    #[test]
    fn progress_and_expiry() {
        assert_eq!(received(&upload(3 << 20, 1 << 20)), "1.0 MiB (33%)");
        assert_eq!(received(&upload(1000, 999)), "999 B (99%)");
        assert_eq!(received(&upload(0, 0)), "0 B");
        let noon = parse_time("2026-11-22T12:00:00Z").unwrap();
        let before = noon - std::time::Duration::from_secs(3600 + 120);
        assert_eq!(
            expires(&upload(1, 0), before),
            "2026-11-22T12:00:00Z (in 1h 02m)"
        );
        assert_eq!(
            expires(&upload(1, 0), noon + std::time::Duration::from_secs(1)),
            "2026-11-22T12:00:00Z (expired)"
        );
        let done = api::Upload {
            status: "completed".into(),
            ..upload(1, 1)
        };
        assert_eq!(expires(&done, before), "-");
        assert_eq!(count(1, "upload"), "1 upload");
        assert_eq!(count(2, "upload"), "2 uploads");
    }
}
