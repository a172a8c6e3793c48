//! `ferry link`: create (optionally with a password), list and revoke download links; `ferry
//! link upload FOLDER` creates an upload link (a file request).
//!
//! `ferry link FILE_ID [--expires …]` is short for `ferry link create FILE_ID [--expires …]`:
//! the subcommand names (`create`, `ls`, `revoke`) can never be file ids (`fil_…`), so the
//! first argument tells which form is meant.

use std::time::Duration;

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
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
    /// Create a download link for a file or a folder and print its URL (the default: `ferry
    /// link FILE_ID`). A folder link lets anyone list the folder and download its files, one
    /// by one or as a zip; `--max-downloads` then counts for each file.
    Create(CreateArgs),
    /// List your download links (admins: everyone's), or a file's.
    Ls(LsArgs),
    /// Revoke a download or upload link: it stops working at once.
    Revoke(RevokeArgs),
    /// Create an upload link (a file request) on a folder and print its URL: anyone with it
    /// can upload into the folder (`ferry upload --link URL FILE…`), and list or read nothing.
    Upload(UploadLinkArgs),
    /// Save what someone's link gives (its file, or a folder link's folder) into one of your
    /// folders, without downloading it: no bytes are copied, and it counts as one download
    /// of every file saved.
    Save(SaveArgs),
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// The link's URL (…/d/<token> or …/s/<token>).
    #[arg(value_name = "LINK_URL")]
    pub url: String,
    /// Your folder to save into: its id (fld_…) or path (Top/sub).
    #[arg(value_name = "FOLDER")]
    pub folder: String,
    /// Folder links: the file or folder under the link's folder to save (a/b); default: all.
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// The copy's name; default: the original's.
    #[arg(long)]
    pub name: Option<String>,
    /// The link has a password: ask for it (or take it from $FERRY_LINK_PASSWORD).
    #[arg(long)]
    pub password: bool,
    /// Read the link's password from the first line of standard input.
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct UploadLinkArgs {
    /// The folder: its id (fld_…) or path (Top/sub).
    #[arg(value_name = "FOLDER")]
    pub folder: String,
    /// How long the link works (e.g. 15m, 2h, 7d); default: the server's (15 minutes).
    #[arg(long, visible_alias = "expires", value_name = "DURATION", value_parser = parse_duration)]
    pub expires_in: Option<Duration>,
    /// At most this many files (1..=10000); default: unlimited.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub max_files: Option<i64>,
    /// At most this many bytes in all (e.g. 500MiB); default: unlimited.
    #[arg(long, value_name = "SIZE", value_parser = super::units::parse_size)]
    pub max_bytes: Option<u64>,
    /// Protect the link with a password (asked for twice; 8 to 256 characters): uploads need
    /// it (`ferry upload --link URL --password`).
    #[arg(long)]
    pub password: bool,
    /// Read the link's password from the first line of standard input instead of asking.
    #[arg(long)]
    pub password_stdin: bool,
    /// Put each upload into a new subfolder named from the time and the uploader's name.
    #[arg(long)]
    pub subfolder_per_upload: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The file or folder: its id (fil_…, fld_…) or path (Top/sub/report.pdf, Top/sub).
    #[arg(value_name = "FILE_ID", required = true)]
    pub file_id: Option<String>,
    /// How long the link works (e.g. 15m, 2h, 7d); default: the server's (15 minutes).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires: Option<Duration>,
    /// How many times the file (a folder link: each file) may be downloaded through the link
    /// (1..=10000); default: unlimited.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub max_downloads: Option<i64>,
    /// Deliver a copy with a visible mark naming the link (PNG and JPEG images only).
    #[arg(long)]
    pub watermark: bool,
    /// Protect the link with a password (asked for twice; 8 to 256 characters): downloads
    /// need it (`ferry download URL --password`).
    #[arg(long)]
    pub password: bool,
    /// Read the link's password from the first line of standard input instead of asking.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// The file: its id (fil_…) or path (Top/sub/report.pdf). Without it: your links
    /// (admins: everyone's), newest first.
    #[arg(value_name = "FILE_ID")]
    pub file_id: Option<String>,
    /// Only links in this state now (without FILE_ID).
    #[arg(long, value_enum, conflicts_with = "file_id")]
    pub state: Option<State>,
    #[command(flatten)]
    pub common: Common,
}

/// A link's state, as `ferry link ls --state` filters on it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum State {
    Active,
    Expired,
    Revoked,
    Exhausted,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Expired => "expired",
            State::Revoked => "revoked",
            State::Exhausted => "exhausted",
        }
    }
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
        Some(LinkCommand::Upload(a)) => create_upload_link(a).await,
        Some(LinkCommand::Save(a)) => save(a).await,
    }
}

async fn save(args: SaveArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let password = if args.password_stdin {
        Some(read_link_password(true, false)?)
    } else if let Ok(p) = std::env::var("FERRY_LINK_PASSWORD")
        && !p.is_empty()
    {
        Some(p)
    } else if args.password {
        Some(read_link_password(false, false)?)
    } else {
        None
    };
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &args.folder).await?;
    let mut client = s.client.clone();
    if let Some(password) = password {
        let access = client.unlock_link(&args.url, &password).await?;
        client = client.with_link_access(access.link_access_token);
    }
    let body = api::SaveLink {
        folder_id: folder.id.clone(),
        path: args.path.clone(),
        name: args.name.clone(),
        on_conflict: None,
    };
    let saved = client.save_link(&args.url, &body).await?;
    out.result(&saved, || match (&saved.file, &saved.folder) {
        (Some(f), _) => format!("Saved {} into {} as {}", f.id, folder.path, f.name),
        (_, Some(f)) => format!("Saved folder {} into {} as {}", f.id, folder.path, f.name),
        _ => "Saved".to_string(),
    });
    Ok(())
}

async fn create_upload_link(args: UploadLinkArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let expires_in = match args.expires_in {
        Some(d) if d.as_secs() == 0 || d.subsec_nanos() != 0 => {
            return Err(CliError::new(
                "invalid_value",
                "--expires-in must be a whole number of seconds, at least 1s",
            )
            .into());
        }
        Some(d) => Some(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        None => None,
    };
    let password = if args.password || args.password_stdin {
        Some(read_link_password(args.password_stdin, true)?)
    } else {
        None
    };
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &args.folder).await?;
    let body = api::CreateUploadLink {
        expires_in,
        max_files: args.max_files,
        max_bytes: args.max_bytes.map(|b| i64::try_from(b).unwrap_or(i64::MAX)),
        password,
        subfolder_per_upload: args.subfolder_per_upload.then_some(true),
    };
    let link = s.client.create_upload_link(&folder.id, &body).await?;
    if !out.json && !out.quiet {
        say!(
            "Upload link {} to {}: expires at {}, {}{}{}",
            link.id,
            folder.path,
            link.expires_at,
            match (link.max_files, link.max_bytes) {
                (None, None) => "no limits".to_string(),
                (Some(f), None) => format!("at most {f} files"),
                (None, Some(b)) => format!("at most {}", super::units::format_size(b as u64)),
                (Some(f), Some(b)) => format!(
                    "at most {f} files and {}",
                    super::units::format_size(b as u64)
                ),
            },
            if link.subfolder_per_upload == Some(true) {
                ", a subfolder per upload"
            } else {
                ""
            },
            if link.password_required {
                ", with a password"
            } else {
                ""
            }
        );
    }
    out.result(&link, || link.url.clone());
    Ok(())
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
    let password = if args.password || args.password_stdin {
        Some(read_link_password(args.password_stdin, true)?)
    } else {
        None
    };
    let s = session(&args.common)?;
    let body = api::CreateLink {
        expires_in,
        max_downloads: args.max_downloads,
        watermark: args.watermark.then_some(true),
        password,
        show_location: None,
    };
    let (link, each) = match paths::item(&s.client, &file_id).await? {
        paths::Item::File(file) => (s.client.create_link(&file.id, &body).await?, ""),
        paths::Item::Folder(folder) => (
            s.client.create_folder_link(&folder.id, &body).await?,
            " of each file",
        ),
    };
    if !out.json && !out.quiet {
        say!(
            "Link {} to {}: expires at {}, {}{each}{}{}",
            link.id,
            link.folder_id.as_deref().unwrap_or(&link.file_id),
            link.expires_at,
            match link.max_downloads {
                Some(1) => "1 download".to_string(),
                Some(n) => format!("{n} downloads"),
                None => "unlimited downloads".to_string(),
            },
            if link.watermark { ", watermarked" } else { "" },
            if link.password_required {
                ", with a password"
            } else {
                ""
            }
        );
    }
    out.result(&link, || link.url.clone());
    Ok(())
}

async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let list = match &args.file_id {
        Some(file) => {
            let file_id = paths::file_id(&s.client, file).await?;
            s.client.list_links(&file_id).await?
        }
        None => {
            s.client
                .list_my_links(args.state.map(State::as_str))
                .await?
        }
    };
    out.result(&list, || links_table(&list.links));
    Ok(())
}

/// A link's password: the first line of standard input, or asked for on the terminal (twice
/// when `confirm`, for a new one). Never echoed, never logged.
pub fn read_link_password(from_stdin: bool, confirm: bool) -> Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the link password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Link password: ")
            .context("cannot read the link password")?;
        if confirm {
            let again =
                rpassword::prompt_password("Again: ").context("cannot read the link password")?;
            if first != again {
                return Err(CliError::new("password_mismatch", "the passwords differ").into());
            }
        }
        first
    } else {
        return Err(CliError::new(
            "missing_password",
            "no terminal to ask for the link password: use --password-stdin",
        )
        .into());
    };
    if password.is_empty() {
        return Err(
            CliError::new("missing_password", "the link password must not be empty").into(),
        );
    }
    Ok(password)
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
    let rows: Vec<[String; 6]> = links
        .iter()
        .map(|l| {
            [
                l.id.clone(),
                match (&l.folder_id, l.kind.as_str()) {
                    (Some(folder), "upload") => format!("upload to {folder}"),
                    (Some(folder), _) => format!("folder {folder}"),
                    _ => l.file_id.clone(),
                },
                l.status.clone(),
                if l.kind == "upload" {
                    match l.max_files {
                        Some(max) => format!("{}/{max} files", l.files_used.unwrap_or(0)),
                        None => format!("{} files", l.files_used.unwrap_or(0)),
                    }
                } else {
                    downloads(l)
                },
                if l.password_required { "yes" } else { "no" }.to_string(),
                l.expires_at.clone(),
            ]
        })
        .collect();
    table(
        ["ID", "FILE", "STATUS", "DOWNLOADS", "PASSWORD", "EXPIRES"],
        &rows,
    )
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
