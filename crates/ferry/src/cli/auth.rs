//! `ferry login`, `ferry logout`, `ferry whoami`, `ferry passwd`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use super::config::{self, Credentials};
use super::units::format_size;
use super::uploads::count;
use super::{CliError, Common, Output, http_client, session};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server, e.g. http://127.0.0.1:8080 (default: $FERRY_URL).
    #[arg(value_name = "SERVER_URL", env = "FERRY_URL")]
    pub server_url: String,
    /// The user to log in as (asked for when not given).
    #[arg(long, value_name = "NAME")]
    pub login: Option<String>,
    /// Read the password from the first line of standard input instead of asking for it.
    #[arg(long)]
    pub password_stdin: bool,
    /// The code from your authenticator app (or a recovery code), for an account with
    /// two-factor login; asked for on a terminal when the server needs it.
    #[arg(long, value_name = "CODE")]
    pub otp: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn login(args: LoginArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let url = args.server_url.trim_end_matches('/').to_string();
    let client = http_client(&url, &args.common)?;
    let stdin = std::io::stdin();
    let login = match args.login {
        Some(l) => l,
        None if args.password_stdin || !stdin.is_terminal() => {
            return Err(CliError::new(
                "missing_login",
                "give the user with --login NAME when the password comes from standard input",
            )
            .into());
        }
        None => {
            eprint!("Login: ");
            std::io::stderr().flush().ok();
            let mut line = String::new();
            stdin.lock().read_line(&mut line)?;
            line.trim().to_string()
        }
    };
    let password = if args.password_stdin {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        rpassword::prompt_password(format!("Password for {login}: "))
            .context("cannot read the password (use --password-stdin without a terminal)")?
    };
    if login.is_empty() || password.is_empty() {
        return Err(CliError::new(
            "missing_credentials",
            "the login and password must not be empty",
        )
        .into());
    }
    let session = match client
        .login_with_otp(&login, &password, args.otp.as_deref())
        .await
    {
        Err(e) if e.code() == Some("otp_required") && stdin.is_terminal() => {
            eprint!("Code from your authenticator app: ");
            std::io::stderr().flush().ok();
            let mut code = String::new();
            stdin.lock().read_line(&mut code)?;
            client
                .login_with_otp(&login, &password, Some(code.trim()))
                .await?
        }
        other => other?,
    };
    let path = config::save_credentials(&Credentials {
        url: url.clone(),
        token: session.access_token.clone(),
        login: Some(session.user.login.clone()),
        expires_at: Some(session.expires_at.clone()),
    })?;
    let shown = json!({
        "url": url,
        "user": session.user,
        "expires_at": session.expires_at,
        "credentials": path,
    });
    out.result(&shown, || {
        format!(
            "Logged in to {url} as {} ({}). The token expires at {} and is stored in {}.",
            session.user.login,
            session.user.role,
            session.expires_at,
            path.display()
        )
    });
    Ok(())
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the current password from the first line of standard input and the new one from
    /// the second, instead of asking for them.
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Changes the password of the account logged in, given its current one. The server ends every
/// other session of the account; this one stays.
pub async fn passwd(args: PasswdArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let (current, new) = if args.password_stdin {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock().lines();
        let mut next = |what: &str| -> Result<String> {
            let line = lines
                .next()
                .transpose()?
                .with_context(|| format!("standard input has no line for the {what} password"))?;
            Ok(line.trim_end_matches('\r').to_string())
        };
        (next("current")?, next("new")?)
    } else {
        let current = rpassword::prompt_password("Current password: ")
            .context("cannot read the password (use --password-stdin without a terminal)")?;
        let new = rpassword::prompt_password("New password: ")?;
        if rpassword::prompt_password("New password again: ")? != new {
            return Err(CliError::new("password_mismatch", "the new passwords differ").into());
        }
        (current, new)
    };
    if current.is_empty() || new.is_empty() {
        return Err(CliError::new("missing_credentials", "the passwords must not be empty").into());
    }
    s.client.change_password(&current, &new).await?;
    out.result(&json!({"changed": true}), || {
        "Password changed; your other sessions have ended.".into()
    });
    Ok(())
}

pub async fn logout(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let stored = config::load_credentials()?;
    // The token in use is revoked; the stored one is forgotten unless FERRY_TOKEN was used.
    let (revoked, forget) = match session(&common) {
        Ok(s) => {
            let revoked = match s.client.logout().await {
                Ok(()) => true,
                // An expired or already revoked token: nothing left to revoke.
                Err(e) if e.status().is_some_and(|s| s.as_u16() == 401) => false,
                Err(e) => return Err(anyhow::Error::from(e).context("cannot revoke the token")),
            };
            (revoked, !s.from_env)
        }
        // Nothing usable to revoke (not logged in, or FERRY_URL names another server).
        Err(_) => (false, stored.is_some()),
    };
    let removed = forget && config::remove_credentials()?;
    out.result(
        &json!({"revoked": revoked, "credentials_removed": removed}),
        || match (revoked, removed) {
            (true, true) => "Logged out: the token is revoked and forgotten.".into(),
            (true, false) => "The token is revoked.".into(),
            (false, true) => "The token was no longer valid; forgotten.".into(),
            (false, false) => "Not logged in.".into(),
        },
    );
    Ok(())
}

pub async fn whoami(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let me = s.client.me().await?;
    out.result(&me, || {
        let limit = me
            .quota
            .limit_bytes
            .map(|l| format_size(l.max(0) as u64))
            .unwrap_or_else(|| "unlimited".into());
        // The reservation is part of what is used, not on top of it.
        let reserved = match me.quota.reserved_uploads {
            0 => String::new(),
            n => format!(
                " (of which {} reserved by {}: see `ferry uploads ls`)",
                format_size(me.quota.reserved_bytes.max(0) as u64),
                count(n, "unfinished upload")
            ),
        };
        format!(
            "{} ({}, {}) on {}{}\nquota: {} used of {}{reserved}",
            me.login,
            me.id,
            me.role,
            s.url,
            if s.from_env {
                " (token from FERRY_TOKEN)"
            } else {
                ""
            },
            format_size(me.quota.used_bytes.max(0) as u64),
            limit
        )
    });
    Ok(())
}
