//! `ferry ls`, `mkdir`, `info`, `rm`, `restore`.

use anyhow::{Context, Result};
use clap::Args;
use ferry_api as api;
use ferry_client::{Client, ClientError, all_pages};
use serde::Serialize;
use serde_json::json;

use super::paths::{self, Item};
use super::units::format_size;
use super::{CliError, Common, Output, session};

#[derive(Debug, Args)]
#[command(
    after_help = "FOLDER is a folder id (fld_…), a path with a slash (/Top/sub or \
Top/sub, from your root, case-insensitive) or the exact name of a top-level folder."
)]
pub struct LsArgs {
    /// The folder to list: its subfolders (marked with a trailing `/`), then its files.
    /// Without it (or with `/`): your top-level folders.
    #[arg(value_name = "FOLDER")]
    pub folder: Option<String>,
    /// List everything below, each folder followed by what it holds, with full paths.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Items asked for per request (all pages are fetched either way).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub page_size: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ferry mkdir reports                 a top-level folder
  ferry mkdir reports/2026            a subfolder of an existing folder
  ferry mkdir -p clients/acme/inbox   every missing level, top-level first")]
pub struct MkdirArgs {
    /// The new folder: a name (a top-level folder) or a path (`Top/sub/new`, whose parent
    /// must exist unless -p is given).
    #[arg(value_name = "NAME|PATH")]
    pub name: String,
    /// Create the missing parents too, top-level first; a folder that exists already is no
    /// error.
    #[arg(short = 'p', long)]
    pub parents: bool,
    /// Keep deleted files for this many days (0..=3650) before purging them; 0 deletes at once
    /// (into the trash). With -p: for the last folder only.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retention_days: i64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The file: its id (fil_…) or path (Top/sub/report.pdf).
    #[arg(value_name = "FILE")]
    pub file_id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct ThumbnailArgs {
    /// The file: its id (fil_…) or path (Top/sub/photo.jpg).
    #[arg(value_name = "FILE")]
    pub file_id: String,
    /// xs (64 px), s (128), m (256), l (512) or xl (1024), on the longest side.
    #[arg(long, default_value = "m", value_parser = ["xs", "s", "m", "l", "xl"])]
    pub size: String,
    /// Where to write it; `.jpg`/`.jpeg` asks for JPEG, anything else gets WebP.
    #[arg(short, long, value_name = "PATH")]
    pub output: std::path::PathBuf,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The held file's id (fil_…), as `ferry rm` showed it.
    #[arg(value_name = "FILE_ID")]
    pub file_id: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
#[command(
    after_help = "A file or folder deleted from a folder that keeps deleted files \
(--retention-days) is held: `ferry restore FILE_ID` brings a held file back. Anything else goes \
to the trash: see `ferry trash ls`, `ferry trash restore`. With --permanent it is purged at once, \
every version of it, and cannot be brought back; what a retention rule keeps cannot be deleted \
that way (file_held)."
)]
pub struct RmArgs {
    /// The file or folder: an id (fil_…, fld_…) or a path (Top/sub/report.pdf, Top/sub). A
    /// folder goes with everything below it.
    #[arg(value_name = "FILE|FOLDER")]
    pub file_id: String,
    /// Purge it at once, for good, instead of moving it to the trash. Asks nothing.
    #[arg(long)]
    pub permanent: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Every folder the caller can access, all pages.
pub async fn all_folders(client: &Client, page_size: i64) -> Result<Vec<api::Folder>> {
    Ok(all_pages(|cursor| async move {
        let page = client
            .list_folders_page(false, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.folders, page.next_cursor))
    })
    .await?)
}

/// Every live file of a folder, by name.
pub async fn all_files(client: &Client, folder_id: &str, page_size: i64) -> Result<Vec<api::File>> {
    Ok(all_pages(|cursor| async move {
        let page = client
            .list_files(folder_id, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.files, page.next_cursor))
    })
    .await?)
}

/// Every subfolder of a folder, by name.
pub async fn all_children(
    client: &Client,
    folder_id: &str,
    page_size: i64,
) -> Result<Vec<api::Folder>> {
    Ok(all_pages(|cursor| async move {
        let page = client
            .children(folder_id, Some(page_size), cursor.as_deref())
            .await?;
        Ok((page.folders, page.next_cursor))
    })
    .await?)
}

/// `ferry ls FOLDER` and `ferry ls -R` with `--json`: folders, then files (a superset of the
/// API's `FileList`, so that readers of the files alone keep working).
#[derive(Debug, Default, Serialize)]
struct Listing {
    folders: Vec<api::Folder>,
    files: Vec<api::File>,
    next_cursor: Option<String>,
}

pub async fn ls(args: LsArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let folder = match &args.folder {
        // `/` is the root: the same as no folder.
        Some(given) if paths::is_path(given) && paths::normalize(given) == "/" => None,
        Some(given) => Some(paths::folder(&s.client, given).await?),
        None => None,
    };
    let mut entries = Vec::new();
    match (folder, args.recursive) {
        (None, false) => {
            let folders = all_folders(&s.client, args.page_size).await?;
            let list = api::FolderList {
                folders,
                next_cursor: None,
            };
            out.result(&list, || folders_table(&list.folders));
            return Ok(());
        }
        (None, true) => {
            for top in all_folders(&s.client, args.page_size).await? {
                entries.push(Item::Folder(Box::new(top.clone())));
                walk(&s.client, &top.id, args.page_size, true, &mut entries).await?;
            }
        }
        (Some(f), recursive) => {
            walk(&s.client, &f.id, args.page_size, recursive, &mut entries).await?;
        }
    }
    let mut listing = Listing::default();
    for entry in &entries {
        match entry {
            Item::Folder(f) => listing.folders.push((**f).clone()),
            Item::File(f) => listing.files.push((**f).clone()),
        }
    }
    out.result(&listing, || entries_table(&entries, args.recursive));
    Ok(())
}

/// Adds what `folder_id` holds to `out`: its subfolders first (with, when `recursive`, what each
/// holds right after it), then its files.
pub(super) async fn walk(
    client: &Client,
    folder_id: &str,
    page_size: i64,
    recursive: bool,
    out: &mut Vec<Item>,
) -> Result<()> {
    for sub in all_children(client, folder_id, page_size).await? {
        let id = sub.id.clone();
        out.push(Item::Folder(Box::new(sub)));
        if recursive {
            Box::pin(walk(client, &id, page_size, true, out)).await?;
        }
    }
    for file in all_files(client, folder_id, page_size).await? {
        out.push(Item::File(Box::new(file)));
    }
    Ok(())
}

/// Folders (marked with a trailing `/`) and files: by name, or by path for `-R`.
pub(super) fn entries_table(entries: &[Item], by_path: bool) -> String {
    if entries.is_empty() {
        return "Empty: no folders or files.".into();
    }
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|e| {
            let shown = if by_path { e.path() } else { e.name() };
            match e {
                Item::Folder(f) => [
                    f.id.clone(),
                    "-".into(),
                    f.created_at.clone(),
                    format!("{shown}/"),
                ],
                Item::File(f) => [
                    f.id.clone(),
                    format_size(f.size.max(0) as u64),
                    f.created_at.clone(),
                    shown.to_string(),
                ],
            }
        })
        .collect();
    let last = if by_path { "PATH" } else { "NAME" };
    table(["ID", "SIZE", "CREATED", last], &rows)
}

fn folders_table(folders: &[api::Folder]) -> String {
    if folders.is_empty() {
        return "No folders. Create one with `ferry mkdir NAME`.".into();
    }
    let rows: Vec<[String; 4]> = folders
        .iter()
        .map(|f| {
            [
                f.id.clone(),
                f.name.clone(),
                f.owner.login.clone(),
                match f.retention_days {
                    0 => "none".into(),
                    1 => "1 day".into(),
                    n => format!("{n} days"),
                },
            ]
        })
        .collect();
    table(["ID", "NAME", "OWNER", "RETENTION"], &rows)
}

/// Left-aligned columns, the last one unpadded.
pub(super) fn table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = head.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        s
    };
    let mut lines = vec![line(head.to_vec())];
    for row in rows {
        lines.push(line(row.iter().map(String::as_str).collect()));
    }
    lines.join("\n")
}

pub async fn mkdir(args: MkdirArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let segs = paths::segments(&args.name);
    let Some((last, above)) = segs.split_last() else {
        return Err(CliError::new("invalid_name", "give the new folder's name or path").into());
    };
    let (folder, created) = if args.parents {
        make_parents(&s.client, &segs, args.retention_days).await?
    } else {
        let parent = if above.is_empty() {
            None
        } else {
            let parent_path = paths::join(above);
            match paths::lookup(&s.client, &parent_path).await? {
                Some(Item::Folder(f)) => Some(*f),
                Some(Item::File(f)) => {
                    return Err(CliError::new(
                        "not_a_folder",
                        format!("`{}` is a file ({}), not a folder", f.path, f.id),
                    )
                    .into());
                }
                None => {
                    let missing = paths::first_missing(&s.client, &parent_path).await?;
                    return Err(CliError::new(
                        "parent_missing",
                        format!(
                            "cannot create `{}`: `{missing}` does not exist (`ferry mkdir -p` \
                             creates the missing folders too)",
                            paths::join(&segs)
                        ),
                    )
                    .into());
                }
            }
        };
        let folder = create(&s.client, parent.as_ref(), last, args.retention_days).await?;
        (folder, true)
    };
    // As it was given: a name for a top-level folder made by name, else the path.
    let shown = if paths::is_path(&args.name) {
        folder.path.clone()
    } else {
        folder.name.clone()
    };
    out.result(&folder, || {
        if created {
            format!("Created folder {shown} ({})", folder.id)
        } else {
            format!("Folder {shown} exists ({})", folder.id)
        }
    });
    Ok(())
}

/// `mkdir -p`: every missing level of `segs`, top-level first; the last folder, and whether it
/// was created (an existing one is no error).
pub(super) async fn make_parents(
    client: &Client,
    segs: &[&str],
    retention_days: i64,
) -> Result<(api::Folder, bool)> {
    let mut parent: Option<api::Folder> = None;
    let mut creating = false;
    for (i, name) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let path = paths::join(&segs[..=i]);
        // Below a folder just created there is nothing to look up.
        let found = if creating {
            None
        } else {
            paths::lookup(client, &path).await?
        };
        let folder = match found {
            Some(Item::Folder(f)) => *f,
            Some(Item::File(f)) => {
                return Err(CliError::new(
                    "not_a_folder",
                    format!("`{}` is a file ({}), not a folder", f.path, f.id),
                )
                .into());
            }
            None => {
                let days = if last { retention_days } else { 0 };
                match create(client, parent.as_ref(), name, days).await {
                    Ok(f) => {
                        creating = true;
                        f
                    }
                    // Made meanwhile by someone else: use it.
                    Err(e) if is_name_conflict(&e) => match paths::lookup(client, &path).await? {
                        Some(Item::Folder(f)) => *f,
                        _ => return Err(e),
                    },
                    Err(e) => return Err(e),
                }
            }
        };
        if last {
            return Ok((folder, creating));
        }
        parent = Some(folder);
    }
    unreachable!("segs is not empty")
}

/// A folder named `name` in `parent` (top-level without one), keeping deleted files for
/// `retention_days`.
async fn create(
    client: &Client,
    parent: Option<&api::Folder>,
    name: &str,
    retention_days: i64,
) -> Result<api::Folder> {
    let Some(parent) = parent else {
        return Ok(client.create_folder(name, retention_days).await?);
    };
    let folder = client.create_folder_in(Some(&parent.id), name).await?;
    if retention_days == 0 {
        return Ok(folder);
    }
    let change = api::UpdateFolder {
        retention_days: Some(retention_days),
        ..Default::default()
    };
    client
        .update_folder(&folder.id, &change)
        .await
        .map_err(|e| {
            anyhow::Error::from(e).context(format!(
                "created {} ({}) but could not set its retention",
                folder.path, folder.id
            ))
        })
}

fn is_name_conflict(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ClientError>()
        .is_some_and(|c| c.code() == Some("name_conflict"))
}

pub async fn info(args: InfoArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let given = args.file_id.as_str();
    // An id is asked for at once; a path is looked up first (the listing has no media).
    let id = if !paths::is_path(given) && given.starts_with("fil_") {
        given.to_string()
    } else {
        paths::file(&s.client, given).await?.id
    };
    let f = s.client.get_file_with_media(&id).await?;
    out.result(&f, || {
        let mut text = file_text(&f);
        if let Some(media) = &f.media {
            text.push('\n');
            text.push_str(&media_text(media));
        }
        text
    });
    Ok(())
}

/// A file's media metadata, one line per field it has: dimensions, when and with what a photo
/// was taken and where, an audio file's tags and how long it plays.
pub fn media_text(m: &api::Media) -> String {
    let mut lines = Vec::new();
    if let (Some(w), Some(h)) = (m.width, m.height) {
        lines.push(format!("dimensions: {w} × {h} px"));
    }
    if let Some(t) = &m.taken_at {
        // EXIF `2026:11:22 12:00:00`: the date's colons read as dashes; no zone is known.
        let shown = match t.split_once(' ') {
            Some((date, time)) => format!("{} {time}", date.replace(':', "-")),
            None => t.clone(),
        };
        lines.push(format!("taken:     {shown} (camera's clock)"));
    }
    let camera = match (m.camera_make.as_deref(), m.camera_model.as_deref()) {
        // Many models already start with their make ("Canon" + "Canon EOS R5").
        (Some(make), Some(model)) if model.starts_with(make) => Some(model.to_string()),
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (one, other) => one.or(other).map(str::to_string),
    };
    if let Some(c) = camera {
        lines.push(format!("camera:    {c}"));
    }
    if let Some(gps) = &m.gps {
        lines.push(format!(
            "location:  {:.5}, {:.5} (https://www.openstreetmap.org/?mlat={:.5}&mlon={:.5})",
            gps.latitude, gps.longitude, gps.latitude, gps.longitude
        ));
    }
    for (label, value) in [
        ("title:     ", &m.title),
        ("artist:    ", &m.artist),
        ("album:     ", &m.album),
    ] {
        if let Some(v) = value {
            lines.push(format!("{label}{v}"));
        }
    }
    if let Some(track) = m.track {
        lines.push(format!("track:     {track}"));
    }
    if let Some(year) = m.year {
        lines.push(format!("year:      {year}"));
    }
    if let Some(ms) = m.duration_ms {
        lines.push(format!("duration:  {}", duration_text(ms)));
    }
    lines.join("\n")
}

/// `1.5 s` under a minute, else `3:07` or `1:02:03`.
fn duration_text(ms: u64) -> String {
    if ms < 60_000 {
        return format!("{:.1} s", ms as f64 / 1000.0);
    }
    let secs = (ms + 500) / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

pub async fn thumbnail(args: ThumbnailArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let f = paths::file(&s.client, &args.file_id).await?;
    let jpeg = args
        .output
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"));
    let bytes = s.client.thumbnail(&f.id, &args.size, jpeg).await?;
    std::fs::write(&args.output, &bytes)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let shown = args.output.display().to_string();
    out.result(
        &json!({"id": f.id, "size": args.size, "path": shown, "bytes": bytes.len()}),
        || {
            format!(
                "{shown}: {} thumbnail of {} ({} bytes)",
                args.size,
                f.path,
                bytes.len()
            )
        },
    );
    Ok(())
}

pub fn file_text(f: &api::File) -> String {
    let mut lines = vec![
        format!("id:        {}", f.id),
        format!("name:      {}", f.name),
        format!("path:      {}", f.path),
        format!("folder:    {}", f.folder_id),
        format!(
            "size:      {} ({} bytes)",
            format_size(f.size.max(0) as u64),
            f.size
        ),
        format!("sha256:    {}", f.checksum_sha256),
        format!("type:      {}", f.mime_type),
        format!("version:   {}", f.version),
        format!("owner:     {} ({})", f.owner.login, f.owner.id),
        format!("created:   {}", f.created_at),
        format!("updated:   {}", f.updated_at),
        format!("retention: {}", f.retention.state),
        format!("scan:      {}", scan_text(&f.scan)),
    ];
    if !f.description.is_empty() {
        lines.push(format!("description: {}", f.description));
    }
    if !f.tags.is_empty() {
        lines.push(format!("tags:      {}", f.tags.join(", ")));
    }
    if let Some(h) = &f.retention.held_until {
        lines.push(format!("held until: {h}"));
    }
    if let Some(e) = &f.retention.expires_at {
        lines.push(format!("expires:   {e}"));
    }
    lines.join("\n")
}

/// `clean (2026-11-22T12:00:00Z)`, `infected: <signature> (…)`, `pending`…
fn scan_text(scan: &api::Scan) -> String {
    let mut text = scan.status.clone();
    if let Some(sig) = &scan.signature {
        text.push_str(&format!(": {sig}"));
    }
    if let Some(at) = &scan.scanned_at {
        text.push_str(&format!(" ({at})"));
    }
    text
}

pub async fn rm(args: RmArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let given = args.file_id.as_str();
    // Ids go straight to the delete (no lookup first); paths are looked up.
    let (id, shown) = if paths::is_path(given) {
        match paths::lookup(&s.client, given).await? {
            Some(item) => (
                item.id().to_string(),
                format!("{} ({})", item.path(), item.id()),
            ),
            None => return Err(paths::not_found(&s.client, given, "file or folder").await),
        }
    } else if given.starts_with("fil_") || given.starts_with("fld_") {
        (given.to_string(), given.to_string())
    } else {
        return Err(CliError::new(
            "invalid_item",
            format!(
                "`{given}` is neither an id (fil_…, fld_…) nor a path: for the top-level \
                 folder of that name, give `/{given}`"
            ),
        )
        .into());
    };
    if args.permanent {
        let purged = if id.starts_with("fld_") {
            s.client.delete_folder(&id, true).await
        } else {
            s.client.delete_file_permanently(&id).await
        };
        if let Err(e) = purged {
            let held = e.code() == Some("file_held");
            let e = anyhow::Error::from(e);
            return Err(if held {
                e.context(format!(
                    "cannot delete {shown} for good: a retention rule keeps it (without \
                     --permanent it is held until the rule lets it go)"
                ))
            } else {
                e
            });
        }
        out.result(
            &json!({"id": id, "deleted": true, "permanent": true}),
            || {
                if id.starts_with("fld_") {
                    format!("Deleted {shown} with everything in it, for good")
                } else {
                    format!("Deleted {shown} for good")
                }
            },
        );
        return Ok(());
    }
    if id.starts_with("fld_") {
        s.client.delete_folder(&id, false).await?;
        out.result(&json!({"id": id, "deleted": true}), || {
            format!("Deleted {shown} with everything in it (`ferry trash ls` shows it)")
        });
        return Ok(());
    }
    match s.client.delete_file(&id).await? {
        Some(held) => out.result(&held, || {
            format!(
                "Deleted {} ({}): held until {} by the folder's retention policy",
                held.name,
                held.id,
                held.retention.held_until.as_deref().unwrap_or("?")
            )
        }),
        None => out.result(&json!({"id": id, "deleted": true}), || {
            format!("Deleted {shown}")
        }),
    }
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let f = s.client.restore_file(&args.file_id).await?;
    out.result(&f, || {
        format!("Restored {} ({}) in folder {}", f.name, f.id, f.folder_id)
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_reads_as_lines() {
        let photo = api::Media {
            width: Some(4000),
            height: Some(3000),
            taken_at: Some("2026:11:22 12:00:00".into()),
            camera_make: Some("Canon".into()),
            camera_model: Some("Canon EOS R5".into()),
            gps: Some(api::Gps {
                latitude: 48.8582,
                longitude: -2.2945,
            }),
            ..Default::default()
        };
        let text = media_text(&photo);
        assert!(text.contains("dimensions: 4000 × 3000 px"), "{text}");
        assert!(text.contains("taken:     2026-11-22 12:00:00"), "{text}");
        assert!(text.contains("camera:    Canon EOS R5\n"), "{text}");
        assert!(text.contains("location:  48.85820, -2.29450"), "{text}");
        assert_eq!(duration_text(1500), "1.5 s");
        assert_eq!(duration_text(187_000), "3:07");
        assert_eq!(duration_text(3_723_000), "1:02:03");
    }
}
