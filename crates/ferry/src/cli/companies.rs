//! `ferry admin company add|ls|show|set|rm` (system admins) and `ferry admin policy
//! show|set` (admins of what the policy is on), over the API. COMPANY is a company's id
//! (`cmp_…`) or its name (in any case); a policy's target is `company COMPANY`,
//! `group GROUP` or `user USER`.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use ferry_api as api;
use ferry_client::Client;

use super::admin::{Quota, parse_quota, quota_bytes, resolve_user};
use super::files::table;
use super::groups::resolve_group;
use super::units::{format_size, parse_size};
use super::{CliError, Common, Output, session};

#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Create a company.
    Add(AddArgs),
    /// List every company with status and quota.
    Ls(Common),
    /// Show a company.
    Show(CompanyArgs),
    /// Change a company's name, status, quotas or branding.
    Set(SetArgs),
    /// Delete a company that has no users or groups left.
    Rm(CompanyArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Active,
    Inactive,
    Expired,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Expired => "expired",
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The company's name (unique without regard to case).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// What its users may store together (e.g. 1TiB); default: no limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub quota: Option<u64>,
    /// The quota of a user created in the company without one.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub default_user_quota: Option<u64>,
    /// The name shown on its users' link pages (default: the name).
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct CompanyArgs {
    /// The company's id (cmp_…) or name.
    #[arg(value_name = "COMPANY")]
    pub company: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The company's id (cmp_…) or name.
    #[arg(value_name = "COMPANY")]
    pub company: String,
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// `inactive` or `expired` logs its users out and revokes their links until `active`.
    #[arg(long, value_enum)]
    pub status: Option<Status>,
    /// The company quota (e.g. 1TiB), or `none`.
    #[arg(long, value_name = "SIZE|none", value_parser = parse_quota)]
    pub quota: Option<Quota>,
    /// The default user quota, or `none`.
    #[arg(long, value_name = "SIZE|none", value_parser = parse_quota)]
    pub default_user_quota: Option<Quota>,
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// An http(s) URL, or `none`.
    #[arg(long, value_name = "URL|none")]
    pub logo_url: Option<String>,
    /// `#rrggbb`, or `none`.
    #[arg(long, value_name = "COLOR|none")]
    pub accent_color: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Show the policy set on a company, a group or a user.
    Show(TargetArgs),
    /// Set (replace) the policy on a company, a group or a user; rules not given say nothing.
    Set(PolicySetArgs),
    /// Show your own effective policy.
    Mine(Common),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetKind {
    Company,
    Group,
    User,
}

impl TargetKind {
    fn as_str(self) -> &'static str {
        match self {
            TargetKind::Company => "company",
            TargetKind::Group => "group",
            TargetKind::User => "user",
        }
    }
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    #[arg(value_enum, value_name = "KIND")]
    pub kind: TargetKind,
    /// The company, group or user, by id or name (login for users).
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct PolicySetArgs {
    #[arg(value_enum, value_name = "KIND")]
    pub kind: TargetKind,
    /// The company, group or user, by id or name (login for users).
    #[arg(value_name = "TARGET")]
    pub target: String,
    #[arg(long, value_name = "BOOL")]
    pub can_download: Option<bool>,
    #[arg(long, value_name = "BOOL")]
    pub can_upload: Option<bool>,
    #[arg(long, value_name = "BOOL")]
    pub can_share_links: Option<bool>,
    #[arg(long, value_name = "BOOL")]
    pub force_watermark: Option<bool>,
    /// The longest a new link may live, in seconds.
    #[arg(long, value_name = "SECS")]
    pub max_link_expires_in: Option<i64>,
    /// A client address range allowed (CIDR or address); repeat for more.
    #[arg(long = "allow-ip", value_name = "CIDR")]
    pub allowed_ip_ranges: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run_company(command: CompanyCommand) -> Result<()> {
    match command {
        CompanyCommand::Add(a) => add(a).await,
        CompanyCommand::Ls(c) => ls(c).await,
        CompanyCommand::Show(a) => show(a).await,
        CompanyCommand::Set(a) => set(a).await,
        CompanyCommand::Rm(a) => rm(a).await,
    }
}

pub async fn run_policy(command: PolicyCommand) -> Result<()> {
    match command {
        PolicyCommand::Show(a) => policy_show(a).await,
        PolicyCommand::Set(a) => policy_set(a).await,
        PolicyCommand::Mine(c) => {
            let out = Output::new(&c);
            let s = session(&c)?;
            let policy = s.client.my_policy().await?;
            out.result(&policy, || policy_text(&policy));
            Ok(())
        }
    }
}

/// Every company, all pages.
async fn all_companies(client: &Client) -> Result<Vec<api::Company>> {
    Ok(ferry_client::all_pages(|cursor| async move {
        let page = client.list_companies(Some(1000), cursor.as_deref()).await?;
        Ok((page.companies, page.next_cursor))
    })
    .await?)
}

/// A company given by id (`cmp_…`) or name (in any case).
async fn resolve_company(client: &Client, given: &str) -> Result<api::Company> {
    if given.starts_with("cmp_") {
        match client.get_company(given).await {
            Ok(c) => return Ok(c),
            Err(e) if e.code() == Some("not_found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    let wanted = given.to_lowercase();
    all_companies(client)
        .await?
        .into_iter()
        .find(|c| c.name.to_lowercase() == wanted)
        .ok_or_else(|| {
            CliError::new(
                "not_found",
                format!("no company with the id or name `{given}`"),
            )
            .into()
        })
}

fn limit_text(limit: Option<i64>) -> String {
    limit.map_or_else(|| "unlimited".into(), |l| format_size(l as u64))
}

fn company_text(c: &api::Company) -> String {
    [
        format!("id:                 {}", c.id),
        format!("name:               {}", c.name),
        format!("status:             {}", c.status),
        format!(
            "quota:              {} of {}",
            format_size(c.quota.used_bytes as u64),
            limit_text(c.quota.limit_bytes)
        ),
        format!(
            "default user quota: {}",
            limit_text(c.default_user_quota_bytes)
        ),
        format!("display name:       {}", c.branding.display_name),
        format!("created:            {}", c.created_at),
    ]
    .join("\n")
}

fn optional(value: Option<i64>) -> Option<Option<i64>> {
    Some(value)
}

fn quota_value(q: Quota) -> Result<Option<i64>> {
    match q {
        Quota::Unlimited => Ok(None),
        Quota::Bytes(n) => Ok(Some(quota_bytes(n)?)),
    }
}

/// `none` clears an optional text.
fn clearable(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| (v != "none").then_some(v))
}

async fn add(args: AddArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let body = api::CompanyInput {
        name: Some(args.name),
        quota: args
            .quota
            .map(|q| {
                quota_bytes(q).map(|l| api::QuotaLimit {
                    limit_bytes: Some(l),
                })
            })
            .transpose()?,
        default_user_quota_bytes: args
            .default_user_quota
            .map(quota_bytes)
            .transpose()?
            .map(Some),
        branding: args.display_name.map(|d| api::BrandingPatch {
            display_name: Some(d),
            ..Default::default()
        }),
        ..Default::default()
    };
    let company = s.client.create_company(&body).await?;
    out.result(&company, || {
        format!("Created company {} ({})", company.name, company.id)
    });
    Ok(())
}

async fn ls(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let list = api::CompanyList {
        companies: all_companies(&s.client).await?,
        next_cursor: None,
    };
    out.result(&list, || {
        if list.companies.is_empty() {
            return "No companies.".into();
        }
        let rows: Vec<[String; 5]> = list
            .companies
            .iter()
            .map(|c| {
                [
                    c.id.clone(),
                    c.name.clone(),
                    c.status.clone(),
                    format_size(c.quota.used_bytes as u64),
                    limit_text(c.quota.limit_bytes),
                ]
            })
            .collect();
        table(["ID", "NAME", "STATUS", "USED", "QUOTA"], &rows)
    });
    Ok(())
}

async fn show(args: CompanyArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let company = resolve_company(&s.client, &args.company).await?;
    out.result(&company, || company_text(&company));
    Ok(())
}

async fn set(args: SetArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let company = resolve_company(&s.client, &args.company).await?;
    let branding =
        (args.display_name.is_some() || args.logo_url.is_some() || args.accent_color.is_some())
            .then(|| api::BrandingPatch {
                display_name: args.display_name,
                logo_url: clearable(args.logo_url),
                accent_color: clearable(args.accent_color),
            });
    let body = api::CompanyInput {
        name: args.name,
        status: args.status.map(|s| s.as_str().into()),
        quota: args
            .quota
            .map(|q| quota_value(q).map(|l| api::QuotaLimit { limit_bytes: l }))
            .transpose()?,
        default_user_quota_bytes: args
            .default_user_quota
            .map(quota_value)
            .transpose()?
            .and_then(optional),
        branding,
    };
    let company = s.client.update_company(&company.id, &body).await?;
    out.result(&company, || company_text(&company));
    Ok(())
}

async fn rm(args: CompanyArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let company = resolve_company(&s.client, &args.company).await?;
    s.client.delete_company(&company.id).await?;
    out.result(&company, || {
        format!("Deleted company {} ({})", company.name, company.id)
    });
    Ok(())
}

/// The id of a policy's target given by id or name.
async fn target_id(client: &Client, kind: TargetKind, given: &str) -> Result<String> {
    Ok(match kind {
        TargetKind::Company => resolve_company(client, given).await?.id,
        TargetKind::Group => resolve_group(client, given).await?.id,
        TargetKind::User => resolve_user(client, given).await?.id,
    })
}

fn policy_text(p: &api::Policy) -> String {
    let flag = |v: Option<bool>| v.map_or_else(|| "-".to_string(), |b| b.to_string());
    [
        format!("can_download:             {}", flag(p.can_download)),
        format!("can_upload:               {}", flag(p.can_upload)),
        format!("can_share_links:          {}", flag(p.can_share_links)),
        format!("force_watermark:          {}", flag(p.force_watermark)),
        format!(
            "max_link_expires_in_secs: {}",
            p.max_link_expires_in_secs
                .map_or_else(|| "-".to_string(), |s| s.to_string())
        ),
        format!(
            "allowed_ip_ranges:        {}",
            p.allowed_ip_ranges
                .as_ref()
                .map_or_else(|| "-".to_string(), |r| r.join(", "))
        ),
    ]
    .join("\n")
}

async fn policy_show(args: TargetArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let id = target_id(&s.client, args.kind, &args.target).await?;
    let policy = s.client.policy(args.kind.as_str(), &id).await?;
    out.result(&policy, || policy_text(&policy));
    Ok(())
}

async fn policy_set(args: PolicySetArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let id = target_id(&s.client, args.kind, &args.target).await?;
    let body = api::Policy {
        can_download: args.can_download,
        can_upload: args.can_upload,
        can_share_links: args.can_share_links,
        force_watermark: args.force_watermark,
        max_link_expires_in_secs: args.max_link_expires_in,
        allowed_ip_ranges: (!args.allowed_ip_ranges.is_empty()).then_some(args.allowed_ip_ranges),
    };
    let policy = s.client.put_policy(args.kind.as_str(), &id, &body).await?;
    out.result(&policy, || policy_text(&policy));
    Ok(())
}
