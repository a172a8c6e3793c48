//! `ferry trash`: what was deleted (`ls`), bringing it back (`restore`), purging it for good
//! (`rm`, `empty`).

use std::collections::HashSet;

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use ferry_client::{Client, all_pages};
use serde_json::json;

use super::files::table;
use super::tree::Conflict;
use super::units::format_size;
use super::{CliError, Common, Output, paths, session};

#[derive(Debug, Subcommand)]
pub enum TrashCommand {
    /// List what was deleted from the folders you manage, newest first.
    Ls(LsArgs),
    /// Bring a deleted file or folder back, where it was or into another folder.
    Restore(RestoreArgs),
    /// Purge a deleted file or folder now, for good.
    Rm(RmArgs),
    /// Purge everything in the trash now, for good (held items stay until their hold ends).
    /// Asks nothing.
    Empty(Common),
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Items asked for per request (all pages are fetched either way).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub page_size: i64,
    #[command(flatten)]
    pub common: Common,
}

const ITEM_HELP: &str = "ITEM is the id (fil_…, fld_…) that `ferry trash ls` shows, or the \
original path it shows when only one item in the trash was deleted from there.";

#[derive(Debug, Args)]
#[command(after_help = ITEM_HELP)]
pub struct RestoreArgs {
    /// The trash item: its id or original path.
    #[arg(value_name = "ITEM")]
    pub id: String,
    /// Restore into this folder (id, path or top-level name) instead of the original place
    /// (needed when that place is gone).
    #[arg(long, value_name = "FOLDER")]
    pub to: Option<String>,
    /// Restore under this name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// When the name was taken meanwhile: rename (the default: `name (1).ext`) or fail.
    #[arg(long, value_enum, default_value_t = Conflict::Rename)]
    pub on_conflict: Conflict,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(after_help = ITEM_HELP)]
pub struct RmArgs {
    /// The trash item: its id or original path.
    #[arg(value_name = "ITEM")]
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: TrashCommand) -> Result<()> {
    match command {
        TrashCommand::Ls(args) => ls(args).await,
        TrashCommand::Restore(args) => restore(args).await,
        TrashCommand::Rm(args) => rm(args).await,
        TrashCommand::Empty(common) => empty(common).await,
    }
}

/// Everything in the caller's trash, newest first.
async fn all_items(client: &Client, page_size: i64) -> Result<Vec<api::TrashItem>> {
    Ok(all_pages(|cursor| async move {
        let page = client.trash(Some(page_size), cursor.as_deref()).await?;
        Ok((page.items, page.next_cursor))
    })
    .await?)
}

/// The trash item's id for `given`: an id as it is, an original path looked up in the trash.
async fn item_id(client: &Client, given: &str) -> Result<String> {
    if !paths::is_path(given) {
        return Ok(given.to_string());
    }
    let wanted = paths::normalize(given).to_lowercase();
    let matches: Vec<api::TrashItem> = all_items(client, 1000)
        .await?
        .into_iter()
        .filter(|i| paths::normalize(&i.original_path).to_lowercase() == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(CliError::new(
            "not_found",
            format!(
                "nothing in the trash was deleted from `{}`",
                paths::normalize(given)
            ),
        )
        .into()),
        several => {
            let ids: Vec<String> = several
                .iter()
                .map(|i| format!("{} (deleted {})", i.id, i.deleted_at))
                .collect();
            Err(CliError::new(
                "ambiguous_item",
                format!(
                    "several items in the trash come from `{}`: {}; give the id",
                    paths::normalize(given),
                    ids.join(", ")
                ),
            )
            .into())
        }
    }
}

async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let list = api::TrashList {
        items: all_items(&s.client, args.page_size).await?,
        next_cursor: None,
    };
    out.result(&list, || trash_table(&list.items));
    Ok(())
}

fn trash_table(items: &[api::TrashItem]) -> String {
    if items.is_empty() {
        return "The trash is empty.".into();
    }
    let rows: Vec<[String; 7]> = items
        .iter()
        .map(|i| {
            let original = if i.kind == "folder" {
                format!("{}/", i.original_path)
            } else {
                i.original_path.clone()
            };
            let state = match (&i.state[..], &i.held_until) {
                ("held", Some(until)) => format!("held until {until}"),
                (state, _) => state.to_string(),
            };
            [
                i.id.clone(),
                i.kind.clone(),
                format_size(i.size.max(0) as u64),
                i.deleted_at.clone(),
                state,
                i.purge_at.clone(),
                original,
            ]
        })
        .collect();
    table(
        [
            "ID",
            "TYPE",
            "SIZE",
            "DELETED",
            "STATE",
            "PURGED AT",
            "ORIGINAL PATH",
        ],
        &rows,
    )
}

async fn restore(args: RestoreArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let id = item_id(&s.client, &args.id).await?;
    let parent = match &args.to {
        Some(to) => Some(paths::folder(&s.client, to).await?),
        None => None,
    };
    let body = api::RestoreItem {
        parent_id: parent.as_ref().map(|p| p.id.clone()),
        name: args.name.clone(),
        on_conflict: Some(args.on_conflict.wire().to_string()),
    };
    let restored = match s.client.restore_item(&id, &body).await {
        Ok(r) => r,
        Err(e) if e.code() == Some("original_parent_missing") => {
            return Err(anyhow::Error::from(e).context(format!(
                "cannot restore {} where it was (restore it elsewhere with --to FOLDER)",
                args.id
            )));
        }
        Err(e) => return Err(e.into()),
    };
    out.result(&restored, || {
        let kind = if restored.get("folder_id").is_some() {
            "file"
        } else {
            "folder"
        };
        let field = |k: &str| restored.get(k).and_then(|v| v.as_str()).unwrap_or("?");
        format!("Restored {kind} {} ({})", field("path"), field("id"))
    });
    Ok(())
}

async fn rm(args: RmArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let id = item_id(&s.client, &args.id).await?;
    s.client.purge_item(&id).await?;
    out.result(&json!({"id": id, "purged": true}), || {
        format!("Purged {id} for good")
    });
    Ok(())
}

async fn empty(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    // The server only says it is done: what went is what was there before and is not after.
    let before = all_items(&s.client, 1000).await?;
    s.client.empty_trash().await?;
    let left: HashSet<String> = all_items(&s.client, 1000)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let (kept, purged): (Vec<api::TrashItem>, Vec<api::TrashItem>) =
        before.into_iter().partition(|i| left.contains(&i.id));
    let bytes: i64 = purged.iter().map(|i| i.size.max(0)).sum();
    out.result(&json!({"purged": purged, "kept": kept}), || {
        let mut line = format!(
            "Emptied the trash: purged {} item{} ({})",
            purged.len(),
            if purged.len() == 1 { "" } else { "s" },
            format_size(bytes as u64)
        );
        if !kept.is_empty() {
            line.push_str(&format!(
                "; {} held item{} stay{} until {} hold ends",
                kept.len(),
                if kept.len() == 1 { "" } else { "s" },
                if kept.len() == 1 { "s" } else { "" },
                if kept.len() == 1 { "its" } else { "their" },
            ));
        }
        line
    });
    Ok(())
}
