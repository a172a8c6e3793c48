//! `ferry ls`, `mkdir`, `info`, `rm`, `restore`, and finding a folder by id or name.

use anyhow::Result;
use clap::Args;
use ferry_api as api;
use ferry_client::{Client, all_pages};
use serde_json::json;

use super::units::format_size;
use super::{CliError, Common, Output, session};

#[derive(Debug, Args)]
pub struct LsArgs {
    /// A folder id (fld_…) or exact name: list its files. Without it: list your folders.
    #[arg(value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Items asked for per request (all pages are fetched either way).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub page_size: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// The new folder's name.
    pub name: String,
    /// Keep deleted files for this many days (0..=3650) before purging them; 0 deletes at once.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retention_days: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The file's id (fil_…).
    #[arg(value_name = "FILE_ID")]
    pub file_id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The held file's id (fil_…), as `ferry rm` showed it.
    #[arg(value_name = "FILE_ID")]
    pub file_id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The file's id (fil_…).
    #[arg(value_name = "FILE_ID")]
    pub file_id: String,
    #[command(flatten)]
    pub common: Common,
}

/// Every folder the caller can access, all pages.
pub async fn all_folders(client: &Client, page_size: i64) -> Result<Vec<api::Folder>> {
    Ok(all_pages(|cursor| async move {
        let page = client
            .list_folders_page(false, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.folders, page.next_cursor))
    })
    .await?)
}

/// Every live file of a folder, by name.
pub async fn all_files(client: &Client, folder_id: &str, page_size: i64) -> Result<Vec<api::File>> {
    Ok(all_pages(|cursor| async move {
        let page = client
            .list_files(folder_id, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.files, page.next_cursor))
    })
    .await?)
}

/// A folder given by id (`fld_…`) or by exact name.
pub async fn resolve_folder(client: &Client, given: &str) -> Result<api::Folder> {
    if given.starts_with("fld_") {
        match client.get_folder(given).await {
            Ok(f) => return Ok(f),
            // Perhaps a folder whose name looks like an id.
            Err(e) if e.code() == Some("not_found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut matches: Vec<api::Folder> = all_folders(client, 1000)
        .await?
        .into_iter()
        .filter(|f| f.name == given)
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(CliError::new(
            "not_found",
            format!("no folder with the id or name `{given}`"),
        )
        .into()),
        _ => {
            let ids: Vec<String> = matches
                .iter()
                .map(|f| format!("{} (owner {})", f.id, f.owner.login))
                .collect();
            Err(CliError::new(
                "ambiguous_folder",
                format!(
                    "several folders are named `{given}`: {}; give the id",
                    ids.join(", ")
                ),
            )
            .into())
        }
    }
}

pub async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let Some(given) = args.folder else {
        let folders = all_folders(&s.client, args.page_size).await?;
        let list = api::FolderList {
            folders,
            next_cursor: None,
        };
        out.result(&list, || folders_table(&list.folders));
        return Ok(());
    };
    let folder = resolve_folder(&s.client, &given).await?;
    let files = all_files(&s.client, &folder.id, args.page_size).await?;
    let list = api::FileList {
        files,
        next_cursor: None,
    };
    out.result(&list, || files_table(&list.files));
    Ok(())
}

fn folders_table(folders: &[api::Folder]) -> String {
    if folders.is_empty() {
        return "No folders. Create one with `ferry mkdir NAME`.".into();
    }
    let rows: Vec<[String; 4]> = folders
        .iter()
        .map(|f| {
            [
                f.id.clone(),
                f.name.clone(),
                f.owner.login.clone(),
                match f.retention_days {
                    0 => "none".into(),
                    1 => "1 day".into(),
                    n => format!("{n} days"),
                },
            ]
        })
        .collect();
    table(["ID", "NAME", "OWNER", "RETENTION"], &rows)
}

fn files_table(files: &[api::File]) -> String {
    if files.is_empty() {
        return "No files.".into();
    }
    let rows: Vec<[String; 4]> = files
        .iter()
        .map(|f| {
            [
                f.id.clone(),
                format_size(f.size.max(0) as u64),
                f.created_at.clone(),
                f.name.clone(),
            ]
        })
        .collect();
    table(["ID", "SIZE", "CREATED", "NAME"], &rows)
}

/// Left-aligned columns, the last one unpadded.
pub(super) fn table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = head.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        s
    };
    let mut lines = vec![line(head.to_vec())];
    for row in rows {
        lines.push(line(row.iter().map(String::as_str).collect()));
    }
    lines.join("\n")
}

pub async fn mkdir(args: MkdirArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = s
        .client
        .create_folder(&args.name, args.retention_days)
        .await?;
    out.result(&folder, || {
        format!("Created folder {} ({})", folder.name, folder.id)
    });
    Ok(())
}

pub async fn info(args: InfoArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let f = s.client.get_file(&args.file_id).await?;
    out.result(&f, || file_text(&f));
    Ok(())
}

pub fn file_text(f: &api::File) -> String {
    let mut lines = vec![
        format!("id:        {}", f.id),
        format!("name:      {}", f.name),
        format!("folder:    {}", f.folder_id),
        format!(
            "size:      {} ({} bytes)",
            format_size(f.size.max(0) as u64),
            f.size
        ),
        format!("sha256:    {}", f.checksum_sha256),
        format!("type:      {}", f.mime_type),
        format!("version:   {}", f.version),
        format!("owner:     {} ({})", f.owner.login, f.owner.id),
        format!("created:   {}", f.created_at),
        format!("updated:   {}", f.updated_at),
        format!("retention: {}", f.retention.state),
    ];
    if let Some(h) = &f.retention.held_until {
        lines.push(format!("held until: {h}"));
    }
    if let Some(e) = &f.retention.expires_at {
        lines.push(format!("expires:   {e}"));
    }
    lines.join("\n")
}

pub async fn rm(args: RmArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    match s.client.delete_file(&args.file_id).await? {
        Some(held) => out.result(&held, || {
            format!(
                "Deleted {} ({}): held until {} by the folder's retention policy",
                held.name,
                held.id,
                held.retention.held_until.as_deref().unwrap_or("?")
            )
        }),
        None => out.result(&json!({"id": args.file_id, "deleted": true}), || {
            format!("Deleted {}", args.file_id)
        }),
    }
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let f = s.client.restore_file(&args.file_id).await?;
    out.result(&f, || {
        format!("Restored {} ({}) in folder {}", f.name, f.id, f.folder_id)
    });
    Ok(())
}
