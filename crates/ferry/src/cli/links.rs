//! `ferry link`: create, list and revoke download links.
//!
//! `ferry link FILE_ID [--expires …]` is short for `ferry link create FILE_ID [--expires …]`:
//! the subcommand names (`create`, `ls`, `revoke`) can never be file ids (`fil_…`), so the
//! first argument tells which form is meant.

use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use serde_json::json;

use super::files::table;
use super::paths;
use super::units::parse_duration;
use super::{CliError, Common, Output, session};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    subcommand_value_name = "COMMAND",
    override_usage = "ferry link <FILE_ID> [OPTIONS]\n       ferry link <COMMAND> …",
    after_help = "`ferry link FILE_ID [OPTIONS]` is short for `ferry link create FILE_ID [OPTIONS]`: \
it prints the link's URL, which anyone can download with `ferry download URL` (or curl, or a \
browser) without logging in."
)]
pub struct LinkArgs {
    #[command(subcommand)]
    pub command: Option<LinkCommand>,
    #[command(flatten)]
    pub create: CreateArgs,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Create a download link for a file and print its URL (the default: `ferry link FILE_ID`).
    Create(CreateArgs),
    /// List a file's download links.
    Ls(LsArgs),
    /// Revoke a download link: it stops working at once.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The file: its id (fil_…) or path (Top/sub/report.pdf).
    #[arg(value_name = "FILE_ID", required = true)]
    pub file_id: Option<String>,
    /// How long the link works (e.g. 15m, 2h, 7d); default: the server's (15 minutes).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires: Option<Duration>,
    /// How many times the file may be downloaded through the link (1..=10000); default:
    /// unlimited.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub max_downloads: Option<i64>,
    /// Deliver a copy with a visible mark naming the link (PNG and JPEG images only).
    #[arg(long)]
    pub watermark: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// The file: its id (fil_…) or path (Top/sub/report.pdf).
    #[arg(value_name = "FILE_ID")]
    pub file_id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The link's id (lnk_…), as `ferry link ls` shows it.
    #[arg(value_name = "LINK_ID")]
    pub link_id: String,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(args: LinkArgs) -> Result<()> {
    match args.command {
        None => create(args.create).await,
        Some(LinkCommand::Create(a)) => create(a).await,
        Some(LinkCommand::Ls(a)) => ls(a).await,
        Some(LinkCommand::Revoke(a)) => revoke(a).await,
    }
}

async fn create(args: CreateArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let Some(file_id) = args.file_id else {
        return Err(
            CliError::new("missing_file_id", "give the file's id: ferry link FILE_ID").into(),
        );
    };
    let expires_in = match args.expires {
        Some(d) if d.as_secs() == 0 || d.subsec_nanos() != 0 => {
            return Err(CliError::new(
                "invalid_value",
                "--expires must be a whole number of seconds, at least 1s",
            )
            .into());
        }
        Some(d) => Some(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        None => None,
    };
    let s = session(&args.common)?;
    let body = api::CreateLink {
        expires_in,
        max_downloads: args.max_downloads,
        watermark: args.watermark.then_some(true),
    };
    let file_id = paths::file_id(&s.client, &file_id).await?;
    let link = s.client.create_link(&file_id, &body).await?;
    if !out.json && !out.quiet {
        say!(
            "Link {} to {}: expires at {}, {}{}",
            link.id,
            link.file_id,
            link.expires_at,
            match link.max_downloads {
                Some(1) => "1 download".to_string(),
                Some(n) => format!("{n} downloads"),
                None => "unlimited downloads".to_string(),
            },
            if link.watermark { ", watermarked" } else { "" }
        );
    }
    out.result(&link, || link.url.clone());
    Ok(())
}

async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file_id = paths::file_id(&s.client, &args.file_id).await?;
    let list = s.client.list_links(&file_id).await?;
    out.result(&list, || links_table(&list.links));
    Ok(())
}

/// `used/max` downloads, `used/unlimited` without a maximum.
pub fn downloads(l: &api::Link) -> String {
    match l.max_downloads {
        Some(m) => format!("{}/{m}", l.downloads_used),
        None => format!("{}/unlimited", l.downloads_used),
    }
}

fn links_table(links: &[api::Link]) -> String {
    if links.is_empty() {
        return "No links. Create one with `ferry link FILE_ID`.".into();
    }
    let rows: Vec<[String; 4]> = links
        .iter()
        .map(|l| {
            [
                l.id.clone(),
                l.status.clone(),
                downloads(l),
                l.expires_at.clone(),
            ]
        })
        .collect();
    table(["ID", "STATUS", "DOWNLOADS", "EXPIRES"], &rows)
}

async fn revoke(args: RevokeArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    s.client.revoke_link(&args.link_id).await?;
    out.result(&json!({"id": args.link_id, "revoked": true}), || {
        format!("Revoked link {}", args.link_id)
    });
    Ok(())
}
