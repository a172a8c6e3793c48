//! `ferry share add|ls|role|rm|leave` and `ferry invitations ls|accept|decline`: giving users,
//! groups and e-mail addresses a role on a folder, and answering what others shared with you.
//! FOLDER is addressed as everywhere (id, path or top-level name, see `paths`); GROUP by id or
//! name, as `ferry group` takes it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use ferry_api as api;
use ferry_client::{Client, ClientError};
use serde_json::json;

use super::files::table;
use super::groups::resolve_group;
use super::paths;
use super::units::parse_duration;
use super::{CliError, Common, Output, session};

/// What the roles mean, for the help texts.
macro_rules! roles_text {
    () => {
        "Roles, inherited by everything below the folder: viewer (reads and downloads), \
uploader (adds files and sees only its own), editor (reads and writes: upload, rename, move, \
delete, new versions), manager (an editor who also shares, changes roles and creates links; a \
manager gives at most editor). The owner keeps every right."
    };
}

const ADD_HELP: &str = concat!(
    "Examples:
  ferry share add clients/acme --user bob --role viewer --message \"the Q4 files\"
  ferry share add clients/acme --group Auditors --role editor --expires 30d
  ferry share add clients/acme --email partner@example.com --role uploader

",
    roles_text!()
);

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Share a folder with a user, a group or an e-mail address. A user or an address gets an
    /// invitation to accept (`ferry invitations`); a group's members get access at once.
    Add(AddArgs),
    /// List a folder's collaborators: who, role, status, mount name, who invited, expiry.
    Ls(FolderArgs),
    /// Change a share's role (and expiry); it takes effect at once.
    Role(RoleArgs),
    /// Remove a share (managers and owners): its collaborator loses access at once.
    Rm(ShareArgs),
    /// Leave a folder shared with you: removes your own share of it from your root.
    Leave(FolderArgs),
}

#[derive(Debug, Subcommand)]
pub enum InvitationsCommand {
    /// List your pending invitations: the folders others shared with you.
    Ls(Common),
    /// Accept an invitation: the folder appears in your root under its name, or under
    /// `--as NAME`.
    Accept(AcceptArgs),
    /// Decline an invitation: it gives you nothing (it may be sent again).
    Decline(InvitationArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Reads and downloads.
    Viewer,
    /// Adds files, and sees only the ones it added.
    Uploader,
    /// Reads and writes.
    Editor,
    /// An editor who also shares, changes roles and creates links.
    Manager,
}

impl Role {
    fn wire(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Uploader => "uploader",
            Role::Editor => "editor",
            Role::Manager => "manager",
        }
    }
}

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("who").required(true).args(["user", "group", "email"])),
    after_help = ADD_HELP
)]
pub struct AddArgs {
    /// The folder to share: an id (fld_…), a path (/Top/sub) or a top-level folder's name.
    #[arg(value_name = "FOLDER")]
    pub folder: String,
    /// A user, by login or id (usr_…).
    #[arg(long, value_name = "LOGIN")]
    pub user: Option<String>,
    /// A group, by id (grp_…) or name (the name of a group you belong to; admins: any
    /// group): its members see the folder at once.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// An e-mail address (a user whose login it is gets the invitation).
    #[arg(long, value_name = "ADDR")]
    pub email: Option<String>,
    /// The role to give.
    #[arg(long, value_enum)]
    pub role: Role,
    /// A note for the invitation (at most 2048 bytes).
    #[arg(long, value_name = "M")]
    pub message: Option<String>,
    /// When the share ends: RFC 3339 (2026-12-31T00:00:00Z) or how long from now (30d, 12h).
    #[arg(long, value_name = "TIME", value_parser = parse_until)]
    pub expires: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct FolderArgs {
    /// The folder: an id (fld_…), a path (/Top/sub) or a top-level folder's (or mount's) name.
    #[arg(value_name = "FOLDER")]
    pub folder: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(after_help = roles_text!())]
pub struct RoleArgs {
    /// The share's id (shr_…), as `ferry share ls` shows it.
    #[arg(value_name = "SHARE_ID")]
    pub id: String,
    /// The new role.
    #[arg(value_name = "ROLE", value_enum)]
    pub role: Role,
    /// A new end: RFC 3339 or how long from now (30d, 12h).
    #[arg(long, value_name = "TIME", value_parser = parse_until, conflicts_with = "no_expiry")]
    pub expires: Option<String>,
    /// Make the share last until it is removed.
    #[arg(long)]
    pub no_expiry: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The share's id (shr_…), as `ferry share ls` shows it.
    #[arg(value_name = "SHARE_ID")]
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The invitation's id (shr_…), as `ferry invitations ls` shows it.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The name the folder gets in your root (default: its own name, numbered when taken; a
    /// name given that is taken is an error).
    #[arg(long = "as", value_name = "MOUNT_NAME")]
    pub mount_name: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct InvitationArgs {
    /// The invitation's id (shr_…), as `ferry invitations ls` shows it.
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run_share(command: ShareCommand) -> Result<()> {
    match command {
        ShareCommand::Add(a) => add(a).await,
        ShareCommand::Ls(a) => ls(a).await,
        ShareCommand::Role(a) => role(a).await,
        ShareCommand::Rm(a) => rm(a).await,
        ShareCommand::Leave(a) => leave(a).await,
    }
}

pub async fn run_invitations(command: InvitationsCommand) -> Result<()> {
    match command {
        InvitationsCommand::Ls(c) => invitations(c).await,
        InvitationsCommand::Accept(a) => accept(a).await,
        InvitationsCommand::Decline(a) => decline(a).await,
    }
}

/// A time for the server: RFC 3339 as given, or a duration (`30d`) from now.
fn parse_until(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(ahead) = parse_duration(s)
    {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let ms = now.saturating_add(ahead).as_millis();
        return Ok(ferry_core::timefmt::rfc3339(
            i64::try_from(ms).unwrap_or(i64::MAX),
        ));
    }
    if ferry_core::timefmt::parse_rfc3339(s).is_some() {
        return Ok(s.to_string());
    }
    Err(format!(
        "invalid time `{input}`: expected RFC 3339 (2026-12-31T00:00:00Z) or how long from now \
         (30d, 12h)"
    ))
}

/// `user bob`, `group Auditors`, `email partner@example.com`.
fn principal(c: &api::Collaboration) -> String {
    format!("{} {}", c.principal.kind, c.principal.name)
}

fn expiry(c: &api::Collaboration) -> String {
    c.expires_at.clone().unwrap_or_else(|| "never".into())
}

/// Every collaborator of a folder, all pages.
async fn all_collaborators(client: &Client, folder_id: &str) -> Result<Vec<api::Collaboration>> {
    Ok(ferry_client::all_pages(|cursor| async move {
        let page = client
            .collaborators(folder_id, Some(1000), cursor.as_deref())
            .await?;
        Ok((page.collaborators, page.next_cursor))
    })
    .await?)
}

async fn add(args: AddArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &args.folder).await?;
    // An id goes as it is: the server knows every group, while the caller lists only theirs.
    let group = match &args.group {
        Some(g) if g.starts_with("grp_") => Some(g.clone()),
        Some(g) => Some(resolve_group(&s.client, g).await?.id),
        None => None,
    };
    let body = api::CreateCollaboration {
        user: args.user,
        group,
        email: args.email,
        role: args.role.wire().into(),
        message: args.message,
        expires_at: args.expires,
    };
    let c = s.client.invite(&folder.id, &body).await?;
    out.result(&c, || {
        let then = match c.status.as_str() {
            "pending" => format!(
                "pending until {} accepts it with `ferry invitations accept {}`",
                c.principal.name, c.id
            ),
            "accepted" if c.principal.kind == "group" => {
                "accepted: the group's members see it at once".into()
            }
            other => other.to_string(),
        };
        format!(
            "Shared folder {} ({}) with {} as {}: {}, {then}",
            folder.path,
            folder.id,
            principal(&c),
            c.role,
            c.id
        )
    });
    Ok(())
}

async fn ls(args: FolderArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &args.folder).await?;
    let list = api::CollaborationList {
        collaborators: all_collaborators(&s.client, &folder.id).await?,
        next_cursor: None,
    };
    out.result(&list, || {
        if list.collaborators.is_empty() {
            return format!(
                "{} ({}) is shared with no one. Share it with `ferry share add`.",
                folder.path, folder.id
            );
        }
        let rows: Vec<[String; 8]> = list
            .collaborators
            .iter()
            .map(|c| {
                [
                    c.id.clone(),
                    c.principal.kind.clone(),
                    c.principal.name.clone(),
                    c.role.clone(),
                    c.status.clone(),
                    c.mount_name.clone().unwrap_or_else(|| "-".into()),
                    c.invited_by
                        .as_ref()
                        .map_or_else(|| "-".into(), |i| i.login.clone()),
                    expiry(c),
                ]
            })
            .collect();
        table(
            [
                "ID",
                "TYPE",
                "NAME",
                "ROLE",
                "STATUS",
                "MOUNT",
                "INVITED BY",
                "EXPIRES",
            ],
            &rows,
        )
    });
    Ok(())
}

async fn role(args: RoleArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let expires_at = match (args.expires, args.no_expiry) {
        (Some(at), _) => Some(Some(at)),
        (None, true) => Some(None),
        (None, false) => None,
    };
    let change = api::UpdateCollaboration {
        role: Some(args.role.wire().into()),
        expires_at,
    };
    let c = s.client.update_collaboration(&args.id, &change).await?;
    out.result(&c, || {
        format!(
            "Share {} of folder {} with {} is now {} (expires: {})",
            c.id,
            c.folder_name,
            principal(&c),
            c.role,
            expiry(&c)
        )
    });
    Ok(())
}

async fn rm(args: ShareArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    s.client.remove_collaboration(&args.id).await?;
    out.result(&json!({"id": args.id, "removed": true}), || {
        format!("Removed share {}", args.id)
    });
    Ok(())
}

async fn leave(args: FolderArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = paths::folder(&s.client, &args.folder).await?;
    let me = s.client.me().await?;
    if folder.owner.id == me.id {
        return Err(CliError::new(
            "not_shared_with_you",
            format!(
                "you own {} ({}): there is nothing to leave (remove others' shares with \
                 `ferry share rm`)",
                folder.path, folder.id
            ),
        )
        .into());
    }
    let collaborators = match all_collaborators(&s.client, &folder.id).await {
        Ok(c) => c,
        // Uploaders do not read the folder, so they cannot look their share up in it.
        Err(e)
            if e.downcast_ref::<ClientError>().and_then(ClientError::code)
                == Some("permission_denied") =>
        {
            return Err(CliError::new(
                "permission_denied",
                format!(
                    "as {} of {} ({}) you may not list its collaborators, where your share \
                     would be found: leave it with `ferry share rm SHARE_ID` (the id `ferry \
                     invitations accept` showed), or ask a manager to remove it",
                    folder.role, folder.path, folder.id
                ),
            )
            .into());
        }
        Err(e) => return Err(e),
    };
    let mine = collaborators
        .into_iter()
        .find(|c| c.principal.kind == "user" && c.principal.id == me.id);
    let Some(mine) = mine else {
        return Err(CliError::new(
            "not_shared_with_you",
            format!(
                "{} ({}) is not shared with you as a user: you may see it through a group, or \
                 through a share of a folder above it (leave that one)",
                folder.path, folder.id
            ),
        )
        .into());
    };
    s.client.remove_collaboration(&mine.id).await?;
    out.result(
        &json!({"id": mine.id, "folder_id": folder.id, "left": true}),
        || {
            format!(
                "Left folder {} ({}): your share {} as {} is removed",
                folder.path, folder.id, mine.id, mine.role
            )
        },
    );
    Ok(())
}

async fn invitations(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let client = &s.client;
    let list = api::InvitationList {
        invitations: ferry_client::all_pages(|cursor| async move {
            let page = client.invitations(Some(1000), cursor.as_deref()).await?;
            Ok((page.invitations, page.next_cursor))
        })
        .await?,
        next_cursor: None,
    };
    out.result(&list, || {
        if list.invitations.is_empty() {
            return "No pending invitations.".into();
        }
        let rows: Vec<[String; 6]> = list
            .invitations
            .iter()
            .map(|c| {
                [
                    c.id.clone(),
                    c.folder_name.clone(),
                    c.role.clone(),
                    c.invited_by
                        .as_ref()
                        .map_or_else(|| "-".into(), |i| i.login.clone()),
                    expiry(c),
                    c.message.clone(),
                ]
            })
            .collect();
        table(
            ["ID", "FOLDER", "ROLE", "FROM", "EXPIRES", "MESSAGE"],
            &rows,
        )
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
    });
    Ok(())
}

async fn accept(args: AcceptArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let c = s
        .client
        .accept_invitation(&args.id, args.mount_name.as_deref())
        .await?;
    out.result(&c, || {
        let mount = c.mount_name.as_deref().unwrap_or(&c.folder_name);
        format!(
            "Accepted {}: folder {} is in your root as /{mount} ({} as {}); list it with \
             `ferry ls '{mount}'`",
            c.id, c.folder_name, c.folder_id, c.role
        )
    });
    Ok(())
}

async fn decline(args: InvitationArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let c = s.client.decline_invitation(&args.id).await?;
    out.result(&c, || {
        let from = c
            .invited_by
            .as_ref()
            .map(|i| format!(", shared by {}", i.login))
            .unwrap_or_default();
        format!("Declined {}: folder {}{from}", c.id, c.folder_name)
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_until() {
        assert_eq!(
            parse_until("2030-01-02T03:04:05Z").as_deref(),
            Ok("2030-01-02T03:04:05Z")
        );
        let later = parse_until("30d").unwrap();
        let ms = ferry_core::timefmt::parse_rfc3339(&later).unwrap();
        assert!(ms > ferry_core::timefmt::now_ms() + 29 * 86_400_000);
        assert!(parse_until("soon").is_err());
        assert!(parse_until("2030-13-45").is_err());
    }
}
