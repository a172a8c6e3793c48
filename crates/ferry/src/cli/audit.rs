//! `ferry audit`: search the audit log (table, JSON, or the server's CSV / NDJSON export) and
//! `ferry audit verify` its hash chain.

use std::io::Write;

use anyhow::Result;
use clap::builder::PossibleValuesParser;
use clap::{Args, CommandFactory, Subcommand, ValueEnum};
use ferry_api as api;
use futures::StreamExt;

use super::files::table;
use super::{Cli, CliError, Common, Output, session};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "COMMAND",
    override_usage = "ferry audit [OPTIONS]\n       ferry audit verify [OPTIONS]",
    after_help = "Newest events first. Admins see every event; other users see what they did \
and what happened in folders they own. `--format csv` and `--format ndjson` stream the \
server's export of every matching event (use --limit to stop earlier); `--json` is \
`--format json`."
)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    #[command(flatten)]
    pub search: SearchArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-walk the audit log's hash chain on the server and report the first broken event
    /// (admins). Exit status 1 when the chain is broken.
    Verify(Common),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Outcome {
    Success,
    Failure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Time, actor, action, target, outcome and IP, one event a line.
    Table,
    /// The events as a JSON array (all pages up to --limit).
    Json,
    /// The server's CSV export (every field, `details` as JSON).
    Csv,
    /// The server's NDJSON export: one event object a line.
    Ndjson,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Who did it: a login or user id.
    #[arg(long, value_name = "LOGIN|ID")]
    pub actor: Option<String>,
    /// Actions, comma-separated (e.g. upload.completed,link.downloaded).
    #[arg(long, value_name = "ACTIONS", value_delimiter = ',')]
    pub action: Vec<String>,
    /// What it was about: any id (fil_…, lnk_…, usr_…, fld_…, …).
    #[arg(long, value_name = "ID")]
    pub target: Option<String>,
    #[arg(long, value_enum)]
    pub outcome: Option<Outcome>,
    /// Only the last 24 hours, 7 days or 30 days.
    #[arg(long, value_name = "RANGE", value_parser = PossibleValuesParser::new(["24h", "7d", "30d"]))]
    pub range: Option<String>,
    /// From this time on (RFC 3339, e.g. 2026-11-01T00:00:00Z; inclusive).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Before this time (RFC 3339; exclusive).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only events from this client IP address.
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// At most this many events [default: 100 for table and json, all for csv and ndjson].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// What to print [default: table, or json with --json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub common: Common,
}

pub async fn run(args: AuditArgs) -> Result<()> {
    match args.command {
        Some(AuditCommand::Verify(common)) => verify(common).await,
        None => search(args.search).await,
    }
}

/// Events asked for per request in table and JSON modes.
const PAGE: u64 = 1000;
const DEFAULT_LIMIT: u64 = 100;

async fn search(args: SearchArgs) -> Result<()> {
    let format = match (args.format, args.common.json) {
        (Some(f), true) if f != Format::Json => {
            let mut cmd = Cli::command();
            cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                "--json cannot be used with --format table, csv or ndjson",
            )
            .exit();
        }
        (_, true) => Format::Json,
        (Some(f), false) => f,
        (None, false) => Format::Table,
    };
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let action = args.action.join(",");
    let outcome = args.outcome.map(|o| match o {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
    });
    let mut query: Vec<(&str, &str)> = Vec::new();
    let filters = [
        ("actor", args.actor.as_deref()),
        ("action", (!action.is_empty()).then_some(action.as_str())),
        ("target", args.target.as_deref()),
        ("outcome", outcome),
        ("range", args.range.as_deref()),
        ("from", args.from.as_deref()),
        ("to", args.to.as_deref()),
        ("ip", args.ip.as_deref()),
    ];
    for (k, v) in filters {
        if let Some(v) = v {
            query.push((k, v));
        }
    }
    match format {
        Format::Csv | Format::Ndjson => {
            query.push((
                "format",
                if format == Format::Csv {
                    "csv"
                } else {
                    "ndjson"
                },
            ));
            export(&s.client, &query, format == Format::Csv, args.limit).await
        }
        Format::Table | Format::Json => {
            let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
            let mut events: Vec<api::Event> = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page_size = (limit - events.len() as u64).min(PAGE).to_string();
                let mut q = query.clone();
                q.push(("limit", &page_size));
                if let Some(c) = &cursor {
                    q.push(("cursor", c));
                }
                let page = s.client.audit_events(&q).await?;
                events.extend(page.events);
                if events.len() as u64 >= limit {
                    events.truncate(limit as usize);
                    break;
                }
                match page.next_cursor {
                    Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                    _ => break,
                }
            }
            let out = Output {
                json: format == Format::Json,
                ..out
            };
            out.result(&events, || events_table(&events));
            Ok(())
        }
    }
}

fn events_table(events: &[api::Event]) -> String {
    if events.is_empty() {
        return "No events.".into();
    }
    let rows: Vec<[String; 6]> = events
        .iter()
        .map(|e| {
            [
                e.time.clone(),
                e.actor
                    .as_ref()
                    .map(|a| a.login.clone())
                    .unwrap_or_else(|| "-".into()),
                e.action.clone(),
                e.target.id.clone(),
                e.outcome.clone(),
                e.ip.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        ["TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "IP"],
        &rows,
    )
}

/// Streams the server's export to stdout, stopping after `limit` records.
async fn export(
    client: &ferry_client::Client,
    query: &[(&str, &str)],
    csv: bool,
    limit: Option<u64>,
) -> Result<()> {
    let res = client.audit_export(query).await?;
    let mut cutter = limit.map(|l| Cutter::new(csv, l));
    let mut body = res.bytes_stream();
    let mut stdout = std::io::stdout();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let (take, done) = match cutter.as_mut() {
            Some(c) => c.take(&chunk),
            None => (chunk.len(), false),
        };
        match stdout.write_all(&chunk[..take]) {
            Ok(()) => {}
            // `ferry audit --format csv | head`: the reader has had enough.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if done {
            break;
        }
    }
    match stdout.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Counts records in a CSV (after its header line; quoted fields may hold newlines) or NDJSON
/// stream, to stop after a given number.
struct Cutter {
    csv: bool,
    in_quotes: bool,
    header: bool,
    remaining: u64,
}

impl Cutter {
    fn new(csv: bool, limit: u64) -> Cutter {
        Cutter {
            csv,
            in_quotes: false,
            header: csv,
            remaining: limit,
        }
    }

    /// How many bytes of `chunk` to keep, and whether the limit is reached with them.
    fn take(&mut self, chunk: &[u8]) -> (usize, bool) {
        if self.remaining == 0 {
            return (0, true);
        }
        for (i, &b) in chunk.iter().enumerate() {
            if self.csv && b == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if b == b'\n' && !self.in_quotes {
                if self.header {
                    self.header = false;
                } else {
                    self.remaining -= 1;
                    if self.remaining == 0 {
                        return (i + 1, true);
                    }
                }
            }
        }
        (chunk.len(), false)
    }
}

async fn verify(common: Common) -> Result<()> {
    let out = Output::new(&common);
    let s = session(&common)?;
    let v = s.client.audit_verify().await?;
    out.result(&v, || {
        if v.ok {
            format!("The audit chain is intact: {} events checked.", v.checked)
        } else {
            String::new()
        }
    });
    if !v.ok {
        return Err(CliError::new(
            "audit_chain_broken",
            format!(
                "the audit chain is broken at event {} ({} events checked): an event was edited, deleted or reordered below the application",
                v.broken_event_id.as_deref().unwrap_or("?"),
                v.checked
            ),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Cutter;

    #[test]
    fn cuts_csv_after_n_records_with_quoted_newlines() {
        let data = b"id,details\n1,\"a\nb\"\n2,x\n3,y\n";
        let mut c = Cutter::new(true, 2);
        let (n, done) = c.take(&data[..8]);
        assert_eq!((n, done), (8, false));
        let (n, done) = c.take(&data[8..]);
        assert!(done);
        assert_eq!(&data[..8 + n], b"id,details\n1,\"a\nb\"\n2,x\n");
    }

    #[test]
    fn cuts_ndjson_after_n_lines() {
        let mut c = Cutter::new(false, 1);
        assert_eq!(c.take(b"{\"a\":1}\n{\"b\":2}\n"), (8, true));
        assert_eq!(c.take(b"more"), (0, true));
    }
}
