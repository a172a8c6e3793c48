//! `ferry find`: files and folders by a piece of their name, description or tags, and by
//! filters (`GET /search`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use clap::{Args, ValueEnum};
use ferry_api as api;
use ferry_client::SearchQuery;

use super::files::entries_table;
use super::paths::{self, Item};
use super::units::{parse_duration, parse_size};
use super::{CliError, Common, Output, session};

#[derive(Debug, Args)]
#[command(
    after_help = "QUERY (2 to 256 characters) is found anywhere in a name, a description \
or a tag, without regard to case: `ferry find invoice` finds Invoices/, 2026-invoice.pdf and a \
file tagged `invoices`. A search needs QUERY or a filter (--mime, --min-size, --max-size, \
--tag, --modified-after, --modified-before, or a media filter); --mime, the sizes, --tag and \
the media filters find files only. Results come in name order, with their paths; you only \
ever find what you can read.

Media filters look at what was read from photos and audio after upload (see `ferry info`): \
--taken-after/--taken-before (the camera's clock, compared as UTC), --camera (part of the make \
or model), --has-location yes|no (a GPS position), --artist and --album (part of the tag), \
--min-duration/--max-duration, --min-width/--min-height (pixels).

Examples:
  ferry find report --in clients/acme
  ferry find --type file --mime 'image/*' --min-size 5MiB
  ferry find --tag invoices --modified-after 30d
  ferry find --camera 'eos r5' --taken-after 2026-06-01T00:00:00Z --has-location yes
  ferry find --artist ferrymen --min-duration 3m"
)]
pub struct FindArgs {
    /// What to look for in names, descriptions and tags.
    #[arg(value_name = "QUERY")]
    pub query: Option<String>,
    /// Only below this folder (id, path or top-level name).
    #[arg(long = "in", value_name = "FOLDER")]
    pub folder: Option<String>,
    /// Only files, or only folders.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<Kind>,
    /// Files of this media type, or of a family such as `image/*`.
    #[arg(long, value_name = "TYPE")]
    pub mime: Option<String>,
    /// Files of at least this size (e.g. 10MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub min_size: Option<u64>,
    /// Files of at most this size.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// Files with this tag (one whole tag, without regard to case).
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Changed after this time: RFC 3339 (2026-11-01T00:00:00Z) or how long ago (7d, 12h).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub modified_after: Option<String>,
    /// Changed before this time: RFC 3339 or how long ago.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub modified_before: Option<String>,
    /// Photos taken after this time (RFC 3339 or how long ago).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub taken_after: Option<String>,
    /// Photos taken before this time (RFC 3339 or how long ago).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub taken_before: Option<String>,
    /// Photos from a camera whose make or model contains this (without regard to case).
    #[arg(long, value_name = "TEXT")]
    pub camera: Option<String>,
    /// Photos with (yes) or without (no) a GPS position.
    #[arg(long, value_name = "yes|no", value_parser = clap::builder::BoolishValueParser::new())]
    pub has_location: Option<bool>,
    /// Audio whose artist contains this (without regard to case).
    #[arg(long, value_name = "TEXT")]
    pub artist: Option<String>,
    /// Audio whose album contains this (without regard to case).
    #[arg(long, value_name = "TEXT")]
    pub album: Option<String>,
    /// Audio at least this long (90, 3m, 1h30m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_duration: Option<Duration>,
    /// Audio at most this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_duration: Option<Duration>,
    /// Images at least this many pixels wide.
    #[arg(long, value_name = "PIXELS")]
    pub min_width: Option<u32>,
    /// Images at least this many pixels high.
    #[arg(long, value_name = "PIXELS")]
    pub min_height: Option<u32>,
    /// At most this many results.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    File,
    Folder,
}

impl Kind {
    fn wire(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Folder => "folder",
        }
    }
}

/// A time for the server: RFC 3339 as given, or a duration (`7d`) as that long before now.
fn parse_time(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.starts_with(|c: char| c.is_ascii_digit())
        && let Ok(ago) = parse_duration(s)
    {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let ms = now.saturating_sub(ago).as_millis();
        return Ok(ferry_core::timefmt::rfc3339(
            i64::try_from(ms).unwrap_or(i64::MAX),
        ));
    }
    if ferry_core::timefmt::parse_rfc3339(s).is_some() {
        return Ok(s.to_string());
    }
    Err(format!(
        "invalid time `{input}`: expected RFC 3339 (2026-11-01T00:00:00Z) or how long ago (7d, \
         12h, 30m)"
    ))
}

pub async fn run(args: FindArgs) -> Result<()> {
    let out = Output::new(&args.common);
    if let Some(q) = &args.query {
        let n = q.trim().chars().count();
        if !(2..=256).contains(&n) {
            return Err(CliError::new(
                "invalid_query",
                format!("`{q}` is {n} characters: give 2 to 256"),
            )
            .into());
        }
    }
    let filtered = args.mime.is_some()
        || args.min_size.is_some()
        || args.max_size.is_some()
        || args.tag.is_some()
        || args.modified_after.is_some()
        || args.modified_before.is_some()
        || args.taken_after.is_some()
        || args.taken_before.is_some()
        || args.camera.is_some()
        || args.has_location.is_some()
        || args.artist.is_some()
        || args.album.is_some()
        || args.min_duration.is_some()
        || args.max_duration.is_some()
        || args.min_width.is_some()
        || args.min_height.is_some();
    if args.query.is_none() && !filtered {
        return Err(CliError::new(
            "missing_query",
            "give what to look for (QUERY), or a filter: --mime, --min-size, --max-size, --tag, \
             --modified-after, --modified-before, --taken-after, --taken-before, --camera, \
             --has-location, --artist, --album, --min-duration, --max-duration, --min-width, \
             --min-height",
        )
        .into());
    }
    let s = session(&args.common)?;
    let folder = match &args.folder {
        Some(given) => Some(paths::folder(&s.client, given).await?),
        None => None,
    };
    let size = |v: Option<u64>| v.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let query = SearchQuery {
        q: args.query.clone(),
        folder_id: folder.as_ref().map(|f| f.id.clone()),
        kind: args.kind.map(|k| k.wire().to_string()),
        mime: args.mime.clone(),
        min_size: size(args.min_size),
        max_size: size(args.max_size),
        modified_after: args.modified_after.clone(),
        modified_before: args.modified_before.clone(),
        tag: args.tag.clone(),
        taken_after: args.taken_after.clone(),
        taken_before: args.taken_before.clone(),
        camera: args.camera.clone(),
        has_location: args.has_location,
        artist: args.artist.clone(),
        album: args.album.clone(),
        min_duration: args.min_duration.map(|d| d.as_secs_f64()),
        max_duration: args.max_duration.map(|d| d.as_secs_f64()),
        min_width: args.min_width.map(i64::from),
        min_height: args.min_height.map(i64::from),
    };
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    let mut found: Vec<api::Resolved> = Vec::new();
    let mut cursor: Option<String> = None;
    // The server's cursor when there is more than --limit shows.
    let mut more: Option<String> = None;
    loop {
        let want = (limit - found.len()).min(1000) as i64;
        let page = s
            .client
            .search(&query, Some(want), cursor.as_deref())
            .await?;
        found.extend(page.items);
        match page.next_cursor {
            Some(next) if Some(&next) != cursor.as_ref() => {
                if found.len() >= limit {
                    more = Some(next);
                    break;
                }
                cursor = Some(next);
            }
            _ => break,
        }
    }
    found.truncate(limit);
    let items: Vec<Item> = found
        .iter()
        .filter_map(|r| match (r.file.clone(), r.folder.clone()) {
            (Some(f), _) => Some(Item::File(Box::new(f))),
            (_, Some(f)) => Some(Item::Folder(Box::new(f))),
            _ => None,
        })
        .collect();
    let results = api::SearchResults {
        items: found,
        next_cursor: more.clone(),
    };
    out.result(&results, || {
        if items.is_empty() {
            return "Nothing found.".to_string();
        }
        entries_table(&items, true)
    });
    if more.is_some() && !out.json {
        say!(
            "More than {} found: narrow the search (--in, --type, ...) or raise --limit",
            args.limit
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_or_how_long_ago() {
        assert_eq!(
            parse_time("2026-11-01T00:00:00Z").unwrap(),
            "2026-11-01T00:00:00Z"
        );
        let ago = parse_time("7d").unwrap();
        let ms = ferry_core::timefmt::parse_rfc3339(&ago).unwrap();
        let week = 7 * 86_400_000;
        let now = ferry_core::timefmt::now_ms();
        assert!((now - week - ms).abs() < 60_000, "{ago}");
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-13-01").is_err());
    }
}
