//! `ferry token create|ls|revoke|wipe`: API tokens for scripts and permanent device tokens.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use ferry_api as api;

use super::files::table;
use super::{Common, Output, session};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown this once). Use it as FERRY_TOKEN or as
    /// `Authorization: Bearer …`.
    Create(CreateArgs),
    /// List your tokens that still work (sessions too), with their last use.
    Ls(Common),
    /// Revoke a token: it stops working at once, on every node.
    Revoke(TokenArgs),
    /// Wipe a device remotely: its next request tells it to delete your data.
    Wipe(TokenArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// For scripts.
    Api,
    /// For a device: never expires until revoked; can be wiped remotely.
    Device,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scope {
    /// Requests that change nothing.
    Read,
    /// Requests that change something.
    Write,
    /// Your admin role (without it, an admin's token acts as a plain user).
    Admin,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What the token is for (1 to 100 characters).
    #[arg(value_name = "NAME")]
    pub name: String,
    #[arg(long, value_enum, default_value = "api")]
    pub kind: Kind,
    /// What it may do; repeat or separate with commas.
    #[arg(long = "scope", value_enum, value_delimiter = ',', default_values = ["read", "write"])]
    pub scopes: Vec<Scope>,
    /// When it stops working (RFC 3339, e.g. 2027-01-01T00:00:00Z); unset: until revoked.
    #[arg(long, value_name = "TIME")]
    pub expires: Option<String>,
    /// Restrict it to this folder (fld_…) and what is below it: it sees nothing else.
    #[arg(long, value_name = "FOLDER_ID")]
    pub folder: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The token's id (tok_…), as `ferry token ls` shows it.
    #[arg(value_name = "TOKEN_ID")]
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create(a) => create(a).await,
        TokenCommand::Ls(c) => ls(c).await,
        TokenCommand::Revoke(a) => revoke(a).await,
        TokenCommand::Wipe(a) => wipe(a).await,
    }
}

fn names<T: ValueEnum>(values: &[T]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|v| v.get_name().to_string())
        .collect()
}

async fn create(args: CreateArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let body = api::CreateToken {
        name: args.name,
        kind: names(&[args.kind]).remove(0),
        scopes: names(&args.scopes),
        folder_id: args.folder,
        expires_at: args.expires,
    };
    let issued = s.client.create_token(&body).await?;
    out.result(&issued, || {
        format!(
            "Created {} token {} ({}). Its secret, shown only now:\n{}",
            issued.token.kind,
            issued.token.id,
            issued.token.scopes.join(", "),
            issued.secret
        )
    });
    Ok(())
}

async fn ls(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let list = s.client.tokens().await?;
    out.result(&list, || {
        let rows: Vec<[String; 6]> = list
            .tokens
            .iter()
            .map(|t| {
                let mut name = t.name.clone().unwrap_or_default();
                if t.current {
                    name.push_str(" (this session)");
                }
                if t.wiped_at.is_some() {
                    name.push_str(" (wipe pending)");
                }
                [
                    t.id.clone(),
                    t.kind.clone(),
                    name,
                    t.scopes.join(","),
                    t.last_used_at.clone().unwrap_or_else(|| "never".into()),
                    t.expires_at.clone().unwrap_or_else(|| "never".into()),
                ]
            })
            .collect();
        table(
            ["ID", "KIND", "NAME", "SCOPES", "LAST USED", "EXPIRES"],
            &rows,
        )
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
    });
    Ok(())
}

async fn revoke(args: TokenArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    s.client.revoke_token(&args.id).await?;
    out.result(&serde_json::json!({"revoked": args.id}), || {
        format!("Revoked {}", args.id)
    });
    Ok(())
}

async fn wipe(args: TokenArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let token = s.client.wipe_token(&args.id).await?;
    out.result(&token, || {
        format!(
            "Wipe ordered for {}: the device deletes your data on its next request",
            args.id
        )
    });
    Ok(())
}
