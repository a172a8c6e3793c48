//! The command line client: `ferry login`, `ls`, `find`, `upload`, `sync`, `uploads`, `download`,
//! `versions`, `link`, `audit`, `webhook`, `group`, `share`, `invitations`, `comment`, `admin`... Everything but `ferry serve` lives under this module.

/// `eprintln!` that never panics: a closed stderr (`2>&1 | head`) is no reason to crash.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod admin;
mod audit;
mod auth;
mod backup;
mod comments;
mod companies;
pub mod config;
mod download;
mod files;
mod find;
mod fsck;
mod groups;
mod interrupt;
mod links;
pub mod output;
mod paths;
mod sharing;
mod sync;
mod tokens;
mod trash;
mod tree;
mod two_factor;
pub mod units;
mod upload;
mod upload_link;
mod uploads;
mod versions;
mod webhooks;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, CommandFactory, Parser, Subcommand};
use ferry_client::{Client, ClientError};

pub use self::output::Output;

/// Ferry: self-hosted file exchange with verified uploads, signed links, audit and webhooks.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (SQLite and ./ferry-data unless configured otherwise).
    ///
    /// Settings come from defaults, then the TOML file given with --config, then environment
    /// variables FERRY_SECTION__KEY (e.g. FERRY_SERVER__LISTEN, FERRY_DATABASE__URL,
    /// FERRY_ADMIN__PASSWORD), then these flags. See ferry.example.toml.
    Serve(crate::serve::ServeArgs),
    /// Log in to a Ferry server and keep the token in the config directory.
    ///
    /// The token is stored in $FERRY_CONFIG_DIR, $XDG_CONFIG_HOME/ferry or ~/.config/ferry
    /// (credentials.json, mode 0600). FERRY_URL and FERRY_TOKEN, when set, override the stored
    /// credentials for every command.
    Login(auth::LoginArgs),
    /// Revoke the stored token on the server and forget it.
    Logout(Common),
    /// Show the user you are logged in as, and your quota (with the part that unfinished
    /// uploads reserve).
    Whoami(Common),
    /// Change your password (the current one is asked for); your other sessions end.
    Passwd(auth::PasswdArgs),
    /// List your folders, or what a folder holds (subfolders, then files); `-R`: everything
    /// below it.
    Ls(files::LsArgs),
    /// Create a folder: top-level by name, or a subfolder by path (`-p`: with its parents).
    Mkdir(files::MkdirArgs),
    /// Move a file or folder into another folder, or to a new path (and name).
    Mv(tree::MoveArgs),
    /// Copy a file or folder (with everything below it) into another folder, or to a new path.
    /// No bytes are copied on the server.
    Cp(tree::MoveArgs),
    /// Rename a file or folder where it is.
    Rename(tree::RenameArgs),
    /// Show a file's metadata: its virus scan status, tags, and what the content says of
    /// itself (dimensions, when, where and with what camera a photo was taken, audio tags and
    /// duration).
    Info(files::InfoArgs),
    /// Save a thumbnail of an image (or PDF, or video) file.
    Thumbnail(files::ThumbnailArgs),
    /// Find files and folders by a part of their name, description or tags, and by type,
    /// media type, size, tag or time; with their paths.
    Find(find::FindArgs),
    /// Delete a file or a folder with everything in it: into the trash, or held if a folder
    /// keeps deleted files; `--permanent`: purged at once, for good.
    Rm(files::RmArgs),
    /// Upload files, resumably, with parts sent in parallel and verified by SHA-256.
    Upload(upload::UploadArgs),
    /// Mirror a local directory into a folder (or, with --down, a folder into a local
    /// directory): only new and changed files are sent, several at once; resumable;
    /// `--delete` removes extras, `--dry-run` only shows what would be done.
    Sync(sync::SyncArgs),
    /// Your unfinished uploads, which hold quota until they complete or expire: `ls` (`--all`:
    /// every status), `abort` (releases their space at once).
    #[command(subcommand)]
    Uploads(uploads::UploadsCommand),
    /// Download a file, resumably, verified by SHA-256; or anything behind a download link's
    /// URL, without logging in.
    Download(download::DownloadArgs),
    /// A file's versions: `ls` them, `get` one (download), `restore` one (its content becomes
    /// the current version), `rm` one.
    #[command(subcommand)]
    Versions(versions::VersionsCommand),
    /// Restore a file held by its folder's retention policy after `ferry rm` (for the trash:
    /// `ferry trash restore`).
    Restore(files::RestoreArgs),
    /// The trash: `ls` what was deleted, `restore` it, purge it (`rm`, `empty`).
    #[command(subcommand)]
    Trash(trash::TrashCommand),
    /// Create a download link for a file and print its URL (`ferry link FILE_ID` is short for
    /// `ferry link create FILE_ID`); list (`ls`) or revoke (`revoke`) links.
    Link(links::LinkArgs),
    /// Search the audit log (table, JSON, CSV, NDJSON); `ferry audit verify` (admins) checks its
    /// hash chain.
    Audit(audit::AuditArgs),
    /// Manage webhooks: add, ls, rm, deliveries, redeliver, ping, rotate-secret.
    #[command(subcommand)]
    Webhook(webhooks::WebhookCommand),
    /// API tokens for scripts and permanent device tokens: create (prints the secret once),
    /// ls (with last use), revoke, wipe (a lost device deletes your data).
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Two-factor login with an authenticator app (TOTP): status, enable (prints the secret
    /// and your recovery codes), disable.
    #[command(name = "2fa", subcommand)]
    TwoFactor(two_factor::TwoFactorCommand),
    /// Groups of users: create, ls, show, rename, rm, add, remove, members (admins manage
    /// groups; everyone lists and shows the groups they belong to).
    #[command(subcommand)]
    Group(groups::GroupCommand),
    /// Share folders with users, groups and e-mail addresses: add, ls, role, rm; leave a
    /// folder shared with you.
    #[command(subcommand)]
    Share(sharing::ShareCommand),
    /// What others shared with you, waiting for your answer: ls, accept (the folder appears in
    /// your root), decline.
    #[command(subcommand)]
    Invitations(sharing::InvitationsCommand),
    /// Comments on files, and tasks: ls, add (`--assign LOGIN`: a task), edit, done, reopen,
    /// rm. `@login` in a comment notifies that user if they may read the file.
    #[command(subcommand)]
    Comment(comments::CommentCommand),
    /// Administration (admins only): `ferry admin user` add, ls, disable, enable, unlock, quota,
    /// password, role, rename; `ferry admin company` add, ls, show, set, rm; `ferry admin
    /// policy` show, set, mine; `ferry admin reset-password`, `backup`, `restore` and `fsck`
    /// (on the server's own database and data dir).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For example: `ferry completions bash > ~/.local/share/bash-completion/completions/ferry`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Options every client command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Print JSON (the API's objects) on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print no progress.
    #[arg(short, long)]
    pub quiet: bool,
    /// How long to wait for a connection to the server (e.g. 10s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = units::parse_duration)]
    pub connect_timeout: Duration,
    /// Also trust the CA certificate(s) in this PEM file (a private CA, or a server's
    /// self-signed certificate) for https:// servers.
    #[arg(long, value_name = "FILE", env = "FERRY_CA_CERT")]
    pub ca_cert: Option<std::path::PathBuf>,
}

impl Common {
    /// These options as arguments, where they differ from the defaults (for a command to run
    /// again).
    pub fn rerun_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.json {
            out.push("--json".to_string());
        }
        if self.quiet {
            out.push("--quiet".to_string());
        }
        if self.connect_timeout != Duration::from_secs(30) {
            out.push(format!(
                "--connect-timeout={}ms",
                self.connect_timeout.as_millis()
            ));
        }
        if let Some(ca) = &self.ca_cert {
            out.push(format!("--ca-cert={}", ca.display()));
        }
        out
    }
}

/// An error of the client itself, with a stable code like the API's.
#[derive(Debug)]
pub struct CliError {
    pub code: &'static str,
    pub message: String,
}

impl CliError {
    pub fn new(code: &'static str, message: impl Into<String>) -> CliError {
        CliError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Runs a client command (everything but `serve`).
pub fn run(command: Command) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            say!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // A transfer catches Ctrl-C to say how to resume; anything else just ends.
    let transfer = matches!(
        command,
        Command::Upload(_)
            | Command::Download(_)
            | Command::Sync(_)
            | Command::Versions(versions::VersionsCommand::Get(_))
    );
    if transfer {
        interrupt::set_rerun(Some(interrupt::own_args()));
    }
    let result = runtime.block_on(async {
        if !transfer {
            return Some(dispatch(command).await);
        }
        tokio::select! {
            r = dispatch(command) => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    // Do not wait for blocking work left behind (a hash of a file whose upload failed).
    runtime.shutdown_background();
    match result {
        Some(Ok(())) => ExitCode::SUCCESS,
        // The reader of our output went away (`ferry … | head`): end as quietly as a program
        // that SIGPIPE kills, with the status a shell gives one (128 + 13).
        Some(Err(e)) if broken_pipe(&e) => ExitCode::from(141),
        Some(Err(e)) => {
            say!("{}", error_line(&e));
            ExitCode::FAILURE
        }
        None => {
            say!("{}", interrupt::message());
            // 128 + SIGINT, as a shell reports a command ended by Ctrl-C.
            ExitCode::from(130)
        }
    }
}

async fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Serve(_) => unreachable!("`ferry serve` is run by main"),
        Command::Login(args) => auth::login(args).await,
        Command::Logout(common) => auth::logout(common).await,
        Command::Whoami(common) => auth::whoami(common).await,
        Command::Passwd(args) => auth::passwd(args).await,
        Command::Ls(args) => files::ls(args).await,
        Command::Mkdir(args) => files::mkdir(args).await,
        Command::Mv(args) => tree::run(tree::Op::Move, args).await,
        Command::Cp(args) => tree::run(tree::Op::Copy, args).await,
        Command::Rename(args) => tree::rename(args).await,
        Command::Info(args) => files::info(args).await,
        Command::Thumbnail(args) => files::thumbnail(args).await,
        Command::Find(args) => find::run(args).await,
        Command::Rm(args) => files::rm(args).await,
        Command::Upload(args) => upload::run(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::Uploads(command) => uploads::run(command).await,
        Command::Download(args) => download::run(args).await,
        Command::Versions(command) => versions::run(command).await,
        Command::Restore(args) => files::restore(args).await,
        Command::Trash(command) => trash::run(command).await,
        Command::Link(args) => links::run(args).await,
        Command::Audit(args) => audit::run(args).await,
        Command::Webhook(command) => webhooks::run(command).await,
        Command::Group(command) => groups::run(command).await,
        Command::Token(command) => tokens::run(command).await,
        Command::TwoFactor(command) => two_factor::run(command).await,
        Command::Share(command) => sharing::run_share(command).await,
        Command::Invitations(command) => sharing::run_invitations(command).await,
        Command::Comment(command) => comments::run(command).await,
        Command::Admin(command) => admin::run(command).await,
        Command::Completions { shell } => {
            // Into a buffer first: `generate` panics when a write fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ferry", &mut script);
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&script)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

/// Whether `e` comes from writing to a pipe whose reader is gone.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `error: <message> (<code>, request <request_id>)` for API errors, `error: <message> (<code>)`
/// for the client's own, `error: <message>` otherwise. Outer context comes first.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut context = Vec::new();
    for cause in e.chain() {
        if let Some(ClientError::Api { body, .. }) = cause.downcast_ref::<ClientError>() {
            context.push(body.error.message.clone());
            return format!(
                "error: {} ({}, request {})",
                context.join(": "),
                body.error.code,
                body.error.request_id
            );
        }
        if let Some(ClientError::Unexpected { status, text }) = cause.downcast_ref::<ClientError>()
        {
            let text: String = text.chars().take(200).collect();
            context.push(format!(
                "unexpected answer from the server ({status}): {text}"
            ));
            return format!("error: {}", context.join(": "));
        }
        if let Some(ClientError::Http(err)) = cause.downcast_ref::<ClientError>() {
            context.push(describe_http(err));
            return format!("error: {} (connection_failed)", context.join(": "));
        }
        if let Some(err) = cause.downcast_ref::<reqwest::Error>() {
            context.push(describe_http(err));
            return format!("error: {} (connection_failed)", context.join(": "));
        }
        if let Some(cli) = cause.downcast_ref::<CliError>() {
            context.push(cli.message.clone());
            return format!("error: {} ({})", context.join(": "), cli.code);
        }
        context.push(cause.to_string());
    }
    format!("error: {}", context.join(": "))
}

/// A transport error with its causes (reqwest's own message is terse).
fn describe_http(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// A configured HTTP client for `url`.
pub fn http_client(url: &str, common: &Common) -> Result<Client> {
    let url = url.trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(CliError::new(
            "invalid_url",
            format!("`{url}` is not a server URL: expected http://host:port or https://host"),
        )
        .into());
    }
    // The system's store (rustls-platform-verifier: what the OS and its admin trust) plus
    // Mozilla's roots, for machines whose store is empty or missing (minimal containers).
    let webpki_roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok());
    let mut builder = reqwest::Client::builder().tls_certs_merge(webpki_roots);
    if let Some(path) = &common.ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            CliError::new(
                "invalid_ca_cert",
                format!("cannot read --ca-cert {}: {e}", path.display()),
            )
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| {
                CliError::new(
                    "invalid_ca_cert",
                    format!("--ca-cert {}: no PEM certificate in it", path.display()),
                )
            })?;
        builder = builder.tls_certs_merge(certs);
    }
    let http = builder
        .connect_timeout(common.connect_timeout)
        .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(Client::with_http(url, http))
}

/// The server and token to use: FERRY_URL and FERRY_TOKEN, else the stored credentials. A stored
/// token is only sent to the server it was issued by.
pub struct Session {
    pub client: Client,
    pub url: String,
    /// Where the credentials came from, for messages.
    pub from_env: bool,
}

pub fn session(common: &Common) -> Result<Session> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let stored = config::load_credentials()?;
    let env_url = env("FERRY_URL").map(|u| u.trim_end_matches('/').to_string());
    let url = match (&env_url, &stored) {
        (Some(u), _) => u.clone(),
        (None, Some(c)) => c.url.trim_end_matches('/').to_string(),
        (None, None) => return Err(not_logged_in()),
    };
    let (token, from_env) = match env("FERRY_TOKEN") {
        Some(t) => (t, true),
        None => match stored {
            Some(c) if c.url.trim_end_matches('/') == url => (c.token, false),
            _ => return Err(not_logged_in()),
        },
    };
    let client = http_client(&url, common)?.with_token(token);
    Ok(Session {
        client,
        url,
        from_env,
    })
}

fn not_logged_in() -> anyhow::Error {
    CliError::new(
        "not_logged_in",
        "not logged in: run `ferry login <server-url>`, or set FERRY_URL and FERRY_TOKEN",
    )
    .into()
}
