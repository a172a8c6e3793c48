//! `ferry 2fa status|enable|disable`: two-factor login with an authenticator app.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{CliError, Common, Output, session};

#[derive(Debug, Subcommand)]
pub enum TwoFactorCommand {
    /// Whether your logins need a code, and how many recovery codes are left.
    Status(Common),
    /// Turn two-factor login on: prints a secret (and an otpauth:// URI) for your
    /// authenticator app, asks for the first code it shows, then prints your recovery codes.
    Enable(CodeArgs),
    /// Turn two-factor login off, with a current code or a recovery code.
    Disable(CodeArgs),
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The code from the app. `enable` without it prints a new secret and, on a terminal,
    /// asks for the code; elsewhere it stops there, and `enable --code CODE` confirms it.
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(command: TwoFactorCommand) -> Result<()> {
    match command {
        TwoFactorCommand::Status(c) => status(c).await,
        TwoFactorCommand::Enable(a) => enable(a).await,
        TwoFactorCommand::Disable(a) => disable(a).await,
    }
}

/// A code from `--code`, or asked for on the terminal.
fn code_from(given: Option<String>, prompt: &str) -> Result<String> {
    if let Some(code) = given {
        return Ok(code);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::new("missing_code", "give the code with --code CODE").into());
    }
    eprint!("{prompt}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the code")?;
    Ok(line.trim().to_string())
}

async fn status(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let status = s.client.two_factor_status().await?;
    out.result(&status, || match (status.enabled, status.pending) {
        (true, _) => format!(
            "Two-factor login is on; {} recovery codes left.",
            status.recovery_codes_left
        ),
        (false, true) => {
            "Two-factor login is being set up: confirm with `ferry 2fa enable --code CODE`.".into()
        }
        (false, false) => "Two-factor login is off.".into(),
    });
    Ok(())
}

async fn enable(args: CodeArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    if args.code.is_none() {
        let enrolment = s.client.begin_two_factor().await?;
        if !std::io::stdin().is_terminal() {
            out.result(&enrolment, || {
                format!(
                    "Add this secret to your authenticator app: {}\n{}\nThen run `ferry 2fa enable --code CODE` with the code it shows.",
                    enrolment.secret, enrolment.otpauth_uri
                )
            });
            return Ok(());
        }
        eprintln!(
            "Add this secret to your authenticator app: {}\n{}",
            enrolment.secret, enrolment.otpauth_uri
        );
    }
    let code = code_from(args.code, "Code from the app")?;
    let codes = s.client.confirm_two_factor(&code).await?;
    out.result(&codes, || {
        format!(
            "Two-factor login is on. Keep these recovery codes somewhere safe; each works once \
             in place of a code:\n{}",
            codes.recovery_codes.join("\n")
        )
    });
    Ok(())
}

async fn disable(args: CodeArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let code = code_from(args.code, "Code from the app (or a recovery code)")?;
    s.client.disable_two_factor(&code).await?;
    out.result(&serde_json::json!({"enabled": false}), || {
        "Two-factor login is off.".into()
    });
    Ok(())
}
