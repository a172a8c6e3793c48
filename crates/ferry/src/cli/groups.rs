//! `ferry group create|ls|show|rename|rm|add|remove|members`. Admins manage groups; anyone
//! lists and shows the groups they belong to. GROUP is a group's id (`grp_…`) or its name (in
//! any case); LOGIN a user's login or id (`usr_…`).

use anyhow::Result;
use clap::{Args, Subcommand};
use ferry_api as api;
use ferry_client::Client;
use serde_json::json;

use super::admin::resolve_user;
use super::files::table;
use super::{CliError, Common, Output, session};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group (admins). Names are unique without regard to case.
    Create(CreateArgs),
    /// List your groups (admins: every group), by name.
    Ls(Common),
    /// Show a group: name, id, description, number of members, times.
    Show(GroupArgs),
    /// Rename a group (admins).
    Rename(RenameArgs),
    /// Delete a group and its memberships (admins); its members' accounts stay.
    Rm(GroupArgs),
    /// Add users to a group (admins). Adding a member again changes nothing.
    Add(MembersArgs),
    /// Remove users from a group (admins).
    Remove(MembersArgs),
    /// List a group's members, by login.
    Members(GroupArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The new group's name (1 to 255 bytes, named like a folder).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// What the group is for.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct GroupArgs {
    /// The group's id (grp_…) or name.
    #[arg(value_name = "GROUP")]
    pub group: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The group's id (grp_…) or name.
    #[arg(value_name = "GROUP")]
    pub group: String,
    /// The new name.
    #[arg(value_name = "NEW_NAME")]
    pub name: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct MembersArgs {
    /// The group's id (grp_…) or name.
    #[arg(value_name = "GROUP")]
    pub group: String,
    /// Users by login or id (usr_…).
    #[arg(value_name = "LOGIN", required = true)]
    pub users: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: GroupCommand) -> Result<()> {
    match command {
        GroupCommand::Create(a) => create(a).await,
        GroupCommand::Ls(c) => ls(c).await,
        GroupCommand::Show(a) => show(a).await,
        GroupCommand::Rename(a) => rename(a).await,
        GroupCommand::Rm(a) => rm(a).await,
        GroupCommand::Add(a) => add(a).await,
        GroupCommand::Remove(a) => remove(a).await,
        GroupCommand::Members(a) => members(a).await,
    }
}

/// Every group the caller sees, all pages.
async fn all_groups(client: &Client) -> Result<Vec<api::Group>> {
    Ok(ferry_client::all_pages(|cursor| async move {
        let page = client.list_groups(Some(1000), cursor.as_deref()).await?;
        Ok((page.groups, page.next_cursor))
    })
    .await?)
}

/// A group given by id (`grp_…`) or name (in any case, as the server compares names).
pub(super) async fn resolve_group(client: &Client, given: &str) -> Result<api::Group> {
    if given.starts_with("grp_") {
        match client.get_group(given).await {
            Ok(g) => return Ok(g),
            Err(e) if e.code() == Some("not_found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    let groups = all_groups(client).await?;
    let wanted = given.to_lowercase();
    groups
        .iter()
        .find(|g| g.name == given)
        .or_else(|| groups.iter().find(|g| g.name.to_lowercase() == wanted))
        .cloned()
        .ok_or_else(|| {
            CliError::new(
                "not_found",
                format!("no group with the id or name `{given}`"),
            )
            .into()
        })
}

fn members_text(n: i64) -> String {
    if n == 1 {
        "1 member".into()
    } else {
        format!("{n} members")
    }
}

fn group_line(g: &api::Group) -> String {
    format!("{} ({}, {})", g.name, g.id, members_text(g.member_count))
}

fn group_text(g: &api::Group) -> String {
    let mut lines = vec![
        format!("id:          {}", g.id),
        format!("name:        {}", g.name),
        format!("members:     {}", g.member_count),
        format!("created:     {}", g.created_at),
        format!("updated:     {}", g.updated_at),
    ];
    if !g.description.is_empty() {
        lines.push(format!("description: {}", g.description));
    }
    lines.join("\n")
}

async fn create(args: CreateArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let body = api::CreateGroup {
        name: args.name,
        description: args.description,
    };
    let group = s.client.create_group(&body).await?;
    out.result(&group, || format!("Created group {}", group_line(&group)));
    Ok(())
}

async fn ls(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let list = api::GroupList {
        groups: all_groups(&s.client).await?,
        next_cursor: None,
    };
    out.result(&list, || {
        if list.groups.is_empty() {
            return "No groups.".into();
        }
        let rows: Vec<[String; 4]> = list
            .groups
            .iter()
            .map(|g| {
                [
                    g.id.clone(),
                    g.name.clone(),
                    g.member_count.to_string(),
                    g.description.clone(),
                ]
            })
            .collect();
        table(["ID", "NAME", "MEMBERS", "DESCRIPTION"], &rows)
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

async fn show(args: GroupArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let group = resolve_group(&s.client, &args.group).await?;
    out.result(&group, || group_text(&group));
    Ok(())
}

async fn rename(args: RenameArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let group = resolve_group(&s.client, &args.group).await?;
    let body = api::UpdateGroup {
        name: Some(args.name),
        description: None,
    };
    let renamed = s.client.update_group(&group.id, &body).await?;
    out.result(&renamed, || {
        format!("Renamed group {} to {}", group.name, group_line(&renamed))
    });
    Ok(())
}

async fn rm(args: GroupArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let group = resolve_group(&s.client, &args.group).await?;
    s.client.delete_group(&group.id).await?;
    out.result(&json!({"id": group.id, "deleted": true}), || {
        format!("Deleted group {} ({})", group.name, group.id)
    });
    Ok(())
}

async fn add(args: MembersArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let mut group = resolve_group(&s.client, &args.group).await?;
    let mut logins = Vec::new();
    for given in &args.users {
        let user = resolve_user(&s.client, given).await?;
        group = s.client.add_group_member(&group.id, &user.id).await?;
        logins.push(user.login);
    }
    out.result(&group, || {
        format!(
            "Added {} to group {}",
            logins.join(", "),
            group_line(&group)
        )
    });
    Ok(())
}

async fn remove(args: MembersArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let group = resolve_group(&s.client, &args.group).await?;
    let mut logins = Vec::new();
    for given in &args.users {
        let user = resolve_user(&s.client, given).await?;
        s.client.remove_group_member(&group.id, &user.id).await?;
        logins.push(user.login);
    }
    let group = s.client.get_group(&group.id).await?;
    out.result(&group, || {
        format!(
            "Removed {} from group {}",
            logins.join(", "),
            group_line(&group)
        )
    });
    Ok(())
}

async fn members(args: GroupArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let group = resolve_group(&s.client, &args.group).await?;
    let client = &s.client;
    let id = group.id.as_str();
    let list = api::GroupMemberList {
        members: ferry_client::all_pages(|cursor| async move {
            let page = client
                .group_members(id, Some(1000), cursor.as_deref())
                .await?;
            Ok((page.members, page.next_cursor))
        })
        .await?,
        next_cursor: None,
    };
    out.result(&list, || {
        if list.members.is_empty() {
            return format!("No members in group {}.", group.name);
        }
        let rows: Vec<[String; 3]> = list
            .members
            .iter()
            .map(|m| [m.id.clone(), m.login.clone(), m.name.clone()])
            .collect();
        table(["ID", "LOGIN", "NAME"], &rows)
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
