//! `ferry admin user add|ls|disable|enable|unlock|quota|password|role|rename` (admins only,
//! over the API), `ferry admin company|policy` (see `companies`) and `ferry admin reset-password` (offline, on the server's database).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use ferry_api as api;
use ferry_client::Client;

use super::files::table;
use super::units::{format_size, parse_size};
use super::{CliError, Common, Output, session};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage companies (tenants): add, ls, show, set, rm (system admins).
    #[command(subcommand)]
    Company(super::companies::CompanyCommand),
    /// Show or set policies on companies, groups and users; `mine` shows your own.
    #[command(subcommand)]
    Policy(super::companies::PolicyCommand),
    /// Set a user's password directly in the server's database, with the server stopped:
    /// for a lost admin password. Unlocks and enables the account and ends its sessions.
    /// Reads the same configuration as `ferry serve` (--config, --data-dir, FERRY_* variables).
    ResetPassword(ResetPasswordArgs),
    /// Back up a running SQLite + local-disk server into a new directory: a consistent copy
    /// of the database (VACUUM INTO) and every blob it refers to, each checked against its
    /// SHA-256. PostgreSQL: use pg_dump (see docs/deployment.md).
    Backup(super::backup::BackupArgs),
    /// Restore a backup into a new, empty data directory (checking every blob's SHA-256).
    Restore(super::backup::RestoreArgs),
    /// Check every stored blob against its SHA-256 now (as the scrubber does over time;
    /// problems are audited as blob.corrupt) and list orphans, on local disk or S3: blobs no
    /// row refers to and upload data no unfinished upload owns. Exits 1 if it found any.
    Fsck(super::fsck::FsckArgs),
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    /// The user's login (e.g. `admin`).
    #[arg(value_name = "LOGIN")]
    pub login: String,
    /// Read the password from the first line of standard input instead of asking for it.
    #[arg(long)]
    pub password_stdin: bool,
    /// The server's TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// The server's data directory (storage.data_dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
}

/// `ferry admin reset-password`: opens the database the server would use and sets the password.
async fn reset_password(args: ResetPasswordArgs) -> Result<()> {
    let overrides = ferry_server::config::Overrides {
        listen: None,
        data_dir: args.data_dir.clone(),
    };
    let config = ferry_server::Config::load(args.config.as_deref(), &overrides)
        .map_err(|e| CliError::new("invalid_config", format!("invalid configuration: {e}")))?;
    // SQLite would create a missing file: a wrong --data-dir must not get a fresh database.
    let sqlite = ferry_store::Store::sqlite_path_in(&config.storage.data_dir);
    if config.database.url.is_none() && !sqlite.exists() {
        return Err(CliError::new(
            "no_database",
            format!("no database at {} (is --data-dir right?)", sqlite.display()),
        )
        .into());
    }
    let url = config.database_url();
    let password = read_password(&args.login, args.password_stdin)?;
    let store = ferry_store::Store::connect(&url)
        .await
        .with_context(|| format!("cannot open database {}", ferry_store::redact_url(&url)))?;
    let user = ferry_app::users::reset_password_offline(&store, &args.login, password)
        .await
        .map_err(|e| CliError::new(e.code(), e.to_string()))?;
    store.close().await;
    println!(
        "Set the password of {} ({}); its sessions ended and the account is unlocked.",
        user.login, user.id
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (the password is asked for, or read with --password-stdin).
    Add(AddArgs),
    /// List every user with role, state and quota.
    Ls(Common),
    /// Disable an account: its tokens stop working at once and it cannot log in.
    Disable(UserArgs),
    /// Enable a disabled account again.
    Enable(UserArgs),
    /// Unlock an account locked by too many failed logins.
    Unlock(UserArgs),
    /// Set a user's storage quota (e.g. 10GiB), or remove it with `none`.
    Quota(QuotaArgs),
    /// Set a user's password (asked for twice, or read with --password-stdin). Every session
    /// the user has ends.
    Password(PasswordArgs),
    /// Make a user an admin, or an admin a user again (not yourself).
    Role(RoleArgs),
    /// Change a user's display name (the login stays).
    Rename(RenameArgs),
    /// Delete an account: it stops working at once and is purged after the grace period
    /// (accounts.delete_grace_days), its folders handed to --transfer-to or removed.
    Rm(RmArgs),
    /// Restore a deleted account before its purge.
    Restore(UserArgs),
    /// Set when an account stops letting its user in (RFC 3339), or `never`.
    Expire(ExpireArgs),
    /// Turn off a user's two-factor login (they lost their app and recovery codes).
    #[command(name = "reset-2fa")]
    Reset2fa(UserArgs),
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    /// The user (id or login) who receives the account's folders at the purge.
    #[arg(long, value_name = "USER")]
    pub transfer_to: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    /// When (e.g. 2027-06-30T00:00:00Z), or `never`.
    #[arg(value_name = "TIME|never")]
    pub at: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    User,
    Admin,
    /// Manages its own company's users, groups, policies and audit.
    #[value(name = "company_admin")]
    CompanyAdmin,
    /// May list and block any link.
    Moderator,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::CompanyAdmin => "company_admin",
            Role::Moderator => "moderator",
        }
    }
}

/// A new password: the first line of standard input, or asked for twice on the terminal.
fn read_password(login: &str, from_stdin: bool) -> Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {login}: "))
            .context("cannot read the password")?;
        let again = rpassword::prompt_password("Again: ").context("cannot read the password")?;
        if first != again {
            return Err(CliError::new("password_mismatch", "the passwords differ").into());
        }
        first
    } else {
        return Err(CliError::new(
            "missing_password",
            "no terminal to ask for the password: use --password-stdin",
        )
        .into());
    };
    if password.is_empty() {
        return Err(CliError::new("missing_password", "the password must not be empty").into());
    }
    Ok(password)
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The new user's login.
    #[arg(value_name = "LOGIN")]
    pub login: String,
    /// Read the password from the first line of standard input instead of asking for it.
    #[arg(long)]
    pub password_stdin: bool,
    /// The display name (default: the login).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[arg(long, value_enum, default_value_t = Role::User)]
    pub role: Role,
    /// A storage quota (e.g. 10GiB, 500MB); default: none (in a company: its default user
    /// quota).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub quota: Option<u64>,
    /// The company (cmp_…) the user joins.
    #[arg(long, value_name = "COMPANY_ID")]
    pub company: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct QuotaArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    /// The quota (e.g. 10GiB, 500MB, 1073741824), or `none` for unlimited.
    #[arg(value_name = "SIZE|none", value_parser = parse_quota)]
    pub quota: Quota,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    /// Read the password from the first line of standard input instead of asking for it.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    #[arg(value_enum, value_name = "ROLE")]
    pub role: Role,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The user's id (usr_…) or login.
    #[arg(value_name = "USER")]
    pub user: String,
    /// The new display name.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy)]
pub enum Quota {
    Unlimited,
    Bytes(u64),
}

pub(super) fn parse_quota(s: &str) -> Result<Quota, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "none" | "unlimited" => Ok(Quota::Unlimited),
        _ => parse_size(s).map(Quota::Bytes),
    }
}

pub(super) fn quota_bytes(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| CliError::new("invalid_value", "the quota is too large").into())
}

pub async fn run(command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::ResetPassword(a) => reset_password(a).await,
        AdminCommand::Backup(a) => super::backup::backup(a).await,
        AdminCommand::Restore(a) => super::backup::restore(a).await,
        AdminCommand::Fsck(a) => super::fsck::fsck(a).await,
        AdminCommand::Company(c) => super::companies::run_company(c).await,
        AdminCommand::Policy(c) => super::companies::run_policy(c).await,
        AdminCommand::User(c) => match c {
            UserCommand::Add(a) => add(a).await,
            UserCommand::Ls(c) => ls(c).await,
            UserCommand::Disable(a) => set_disabled(a, true).await,
            UserCommand::Enable(a) => set_disabled(a, false).await,
            UserCommand::Unlock(a) => unlock(a).await,
            UserCommand::Quota(a) => quota(a).await,
            UserCommand::Password(a) => password(a).await,
            UserCommand::Role(a) => role(a).await,
            UserCommand::Rename(a) => rename(a).await,
            UserCommand::Rm(a) => remove(a).await,
            UserCommand::Restore(a) => restore(a).await,
            UserCommand::Expire(a) => expire(a).await,
            UserCommand::Reset2fa(a) => reset_2fa(a).await,
        },
    }
}

async fn add(args: AddArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let password = read_password(&args.login, args.password_stdin)?;
    let body = api::CreateUser {
        login: args.login.clone(),
        password,
        name: args.name.clone(),
        role: Some(args.role.as_str().into()),
        quota_bytes: args.quota.map(quota_bytes).transpose()?,
        company_id: args.company.clone(),
    };
    let user = s.client.create_user(&body).await?;
    out.result(&user, || format!("Created {}", user_line(&user)));
    Ok(())
}

/// Every user, all pages.
async fn all_users(client: &Client) -> Result<Vec<api::User>> {
    let mut users = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client.list_users(Some(1000), cursor.as_deref()).await?;
        users.extend(page.users);
        match page.next_cursor {
            Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
            _ => return Ok(users),
        }
    }
}

/// A user given by id (`usr_…`) or login.
pub(super) async fn resolve_user(client: &Client, given: &str) -> Result<api::User> {
    if given.starts_with("usr_") {
        match client.get_user(given).await {
            Ok(u) => return Ok(u),
            Err(e) if e.code() == Some("not_found") => {}
            Err(e) => return Err(e.into()),
        }
    }
    all_users(client)
        .await?
        .into_iter()
        .find(|u| u.login == given)
        .ok_or_else(|| {
            CliError::new(
                "not_found",
                format!("no user with the id or login `{given}`"),
            )
            .into()
        })
}

fn state(u: &api::User) -> &str {
    // An older server sends no status.
    if !u.status.is_empty() {
        &u.status
    } else if u.disabled {
        "disabled"
    } else if u.locked {
        "locked"
    } else {
        "active"
    }
}

fn quota_text(q: &api::UserQuota) -> String {
    let limit = q
        .limit_bytes
        .map(|l| format_size(l.max(0) as u64))
        .unwrap_or_else(|| "unlimited".into());
    format!("{} / {limit}", format_size(q.used_bytes.max(0) as u64))
}

fn user_line(u: &api::User) -> String {
    format!(
        "{} ({}, {}, {}; quota {})",
        u.login,
        u.id,
        u.role,
        state(u),
        quota_text(&u.quota)
    )
}

async fn ls(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let list = api::UserList {
        users: all_users(&s.client).await?,
        next_cursor: None,
        total: None,
    };
    out.result(&list, || {
        let rows: Vec<[String; 6]> = list
            .users
            .iter()
            .map(|u| {
                [
                    u.id.clone(),
                    u.login.clone(),
                    u.role.clone(),
                    state(u).to_string(),
                    quota_text(&u.quota),
                    u.name.clone(),
                ]
            })
            .collect();
        table(["ID", "LOGIN", "ROLE", "STATE", "QUOTA", "NAME"], &rows)
    });
    Ok(())
}

/// `PATCH /users/{id}` for a user given by id or login; prints the user, the line starting
/// with `done`.
async fn update(user: &str, common: &Common, body: api::UpdateUser, done: &str) -> Result<()> {
    let s = session(common)?;
    let user = resolve_user(&s.client, user).await?;
    patch(&s.client, common, &user.id, body, done).await
}

async fn patch(
    client: &Client,
    common: &Common,
    id: &str,
    body: api::UpdateUser,
    done: &str,
) -> Result<()> {
    let user = client.update_user(id, &body).await?;
    Output::new(common).result(&user, || format!("{done} {}", user_line(&user)));
    Ok(())
}

async fn set_disabled(args: UserArgs, disabled: bool) -> Result<()> {
    let body = api::UpdateUser {
        disabled: Some(disabled),
        ..Default::default()
    };
    let done = if disabled { "Disabled" } else { "Enabled" };
    update(&args.user, &args.common, body, done).await
}

async fn remove(args: RmArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let user = resolve_user(&s.client, &args.user).await?;
    let user = s
        .client
        .delete_user(&user.id, args.transfer_to.as_deref())
        .await?;
    out.result(&user, || {
        format!(
            "Deleted {}; purged at {}{}",
            user_line(&user),
            user.purge_at.as_deref().unwrap_or("the next pass"),
            match &args.transfer_to {
                Some(to) => format!(", its folders going to {to}"),
                None => ", with its folders".into(),
            }
        )
    });
    Ok(())
}

async fn restore(args: UserArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let user = resolve_user(&s.client, &args.user).await?;
    let user = s.client.restore_user(&user.id).await?;
    out.result(&user, || format!("Restored {}", user_line(&user)));
    Ok(())
}

async fn expire(args: ExpireArgs) -> Result<()> {
    let at = match args.at.as_str() {
        "never" | "none" => None,
        t => Some(t.to_string()),
    };
    let body = api::UpdateUser {
        expires_at: Some(at),
        ..Default::default()
    };
    update(&args.user, &args.common, body, "Expiry set:").await
}

async fn reset_2fa(args: UserArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let user = resolve_user(&s.client, &args.user).await?;
    s.client.reset_two_factor(&user.id).await?;
    out.result(
        &serde_json::json!({"user_id": user.id, "two_factor": false}),
        || format!("Two-factor login is off for {}", user.login),
    );
    Ok(())
}

async fn unlock(args: UserArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let user = resolve_user(&s.client, &args.user).await?;
    let user = s.client.unlock_user(&user.id).await?;
    out.result(&user, || format!("Unlocked {}", user_line(&user)));
    Ok(())
}

async fn quota(args: QuotaArgs) -> Result<()> {
    let quota_bytes = match args.quota {
        Quota::Unlimited => None,
        Quota::Bytes(n) => Some(quota_bytes(n)?),
    };
    let body = api::UpdateUser {
        quota_bytes: Some(quota_bytes),
        ..Default::default()
    };
    update(&args.user, &args.common, body, "Set the quota of").await
}

async fn password(args: PasswordArgs) -> Result<()> {
    // The login is shown when asking, so the user is looked up before the password is read.
    let s = session(&args.common)?;
    let user = resolve_user(&s.client, &args.user).await?;
    let body = api::UpdateUser {
        password: Some(read_password(&user.login, args.password_stdin)?),
        ..Default::default()
    };
    patch(
        &s.client,
        &args.common,
        &user.id,
        body,
        "Set the password of",
    )
    .await
}

async fn role(args: RoleArgs) -> Result<()> {
    let body = api::UpdateUser {
        role: Some(args.role.as_str().into()),
        ..Default::default()
    };
    update(&args.user, &args.common, body, "Set the role of").await
}

async fn rename(args: RenameArgs) -> Result<()> {
    let body = api::UpdateUser {
        name: Some(args.name),
        ..Default::default()
    };
    update(&args.user, &args.common, body, "Renamed").await
}
