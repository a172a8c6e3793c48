//! `ferry download`: a file by its id (logged in), or whatever a download link's URL serves
//! (no login, no credentials sent). This command finds out what is to be fetched (the file's
//! metadata, or a `HEAD` of the link, which counts nothing) and where it goes, hands it to the
//! transfer engine (`transfer::download`), and prints the outcome.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use ferry_api as api;
use reqwest::header::CONTENT_DISPOSITION;
use serde::Serialize;

use super::output::Progress;
use super::units::{format_duration, format_rate, format_size, parse_size};
use super::{CliError, Common, Output, http_client, interrupt, session};
use crate::transfer::download::{Downloader, Fetched, Remote, Source};
use crate::transfer::rate::RateLimit;

#[derive(Debug, Args)]
#[command(
    after_help = "An interrupted download resumes when the same command is run again: the \
bytes already in <PATH>.part are kept if the file on the server is still the same (If-Range). \
The same holds for a download link's URL: there the file's SHA-256 is checked when the server \
sends it (as the ETag), the file name comes from the server's Content-Disposition, and \
--parallel needs a link that offers ranges (a watermarked copy is fetched with one connection). \
Ranges fetched through a link count as one download together."
)]
pub struct DownloadArgs {
    /// The file's id (fil_…) or path (Top/sub/report.pdf), or a link's URL (http(s)://…/d/<token>,
    /// or a folder link's http(s)://…/s/<token>: no login needed, no credentials sent). A
    /// folder link is downloaded file by file into a directory (-o DIR, default: the folder's
    /// name), keeping its tree; run it again to finish an interrupted one.
    #[arg(value_name = "FILE|LINK_URL")]
    pub file_id: String,
    /// Where to write it: a file, an existing directory, or - for standard output. Default: the
    /// file's name (for a link: the name the server gives) in the current directory.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Ranges downloaded at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Receive at most this many bytes per second in all (e.g. 10MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub limit_rate: Option<u64>,
    /// Replace PATH if it exists.
    #[arg(long)]
    pub force: bool,
    /// The link has a password: ask for it (or take it from $FERRY_LINK_PASSWORD). It is
    /// exchanged for a link access token for this link; only that token goes with the download.
    #[arg(long)]
    pub password: bool,
    /// Read the link's password from the first line of standard input.
    #[arg(long, conflicts_with = "password")]
    pub password_stdin: bool,
    /// Flush the file to disk before moving it into place, so that it survives a power cut
    /// right after the command ends. Costs the disk's write time (curl and wget do not do it;
    /// the SHA-256 check does not need it).
    #[arg(long)]
    pub fsync: bool,
    /// The argument is a folder (id or path) or a folder link: download it and everything
    /// live under it as one zip (stored, not compressed; zip64 when needed), named
    /// `<folder>.zip` by default. A folder's archive is fetched in one pass (an interrupted
    /// one starts over); a folder link's resumes.
    #[arg(long)]
    pub zip: bool,
    #[command(flatten)]
    pub common: Common,
}

/// What is downloaded: a stored file, one of its versions, or a link's content.
pub(super) enum Target {
    File(Box<api::File>),
    Version {
        file: Box<api::File>,
        version: api::FileVersion,
    },
    Link {
        url: String,
        name: String,
    },
    /// A folder as a zip.
    Archive(Box<api::Folder>),
}

/// What `--json` prints for a folder's archive.
#[derive(Debug, Serialize)]
struct ArchiveDownloaded<'a> {
    folder_id: &'a str,
    /// The folder's name on the server.
    name: &'a str,
    path: &'a Path,
    size: u64,
    sha256: &'a str,
}

/// What `--json` prints for a link download.
#[derive(Debug, Serialize)]
struct LinkDownloaded<'a> {
    url: &'a str,
    path: &'a Path,
    name: String,
    size: u64,
    checksum_sha256: &'a str,
    /// Whether the SHA-256 was checked against the one the server sent (the ETag).
    verified: bool,
    resumed_at: u64,
}

/// What `--json` prints for a version's download: the version, whose file, and where it went.
#[derive(Debug, Serialize)]
struct VersionDownloaded<'a> {
    file_id: &'a str,
    /// The file's name on the server.
    name: &'a str,
    #[serde(flatten)]
    version: &'a api::FileVersion,
    path: &'a Path,
    verified: bool,
    resumed_at: u64,
}

/// Where and how a download is written: the options `download` and `versions get` share.
pub(super) struct Saving<'a> {
    /// A file, an existing directory, or `-` (standard output); `None`: `name` here.
    pub output: Option<&'a Path>,
    pub parallel: u16,
    pub limit_rate: Option<u64>,
    pub force: bool,
    pub fsync: bool,
}

pub async fn run(args: DownloadArgs) -> Result<()> {
    let out = Output::new(&args.common);
    let (source, remote, target) = if args.file_id.contains("://") {
        if let Some(tree) = folder_link(&args).await? {
            return download_tree(&out, &args, tree).await;
        }
        link(&args).await?
    } else if args.zip {
        let s = session(&args.common)?;
        let folder = super::paths::folder(&s.client, &args.file_id).await?;
        let source = Source::Archive {
            client: s.client,
            folder_id: folder.id.clone(),
        };
        // The archive's length and ETag come with the response; no checksum to verify.
        let remote = Remote {
            size: None,
            etag: None,
            ranges: false,
        };
        (source, remote, Target::Archive(Box::new(folder)))
    } else {
        let s = session(&args.common)?;
        let file = super::paths::file(&s.client, &args.file_id).await?;
        let source = Source::File {
            client: s.client,
            id: file.id.clone(),
        };
        (source, Remote::of_file(&file), Target::File(Box::new(file)))
    };
    let saving = Saving {
        output: args.output.as_deref(),
        parallel: args.parallel,
        limit_rate: args.limit_rate,
        force: args.force,
        fsync: args.fsync,
    };
    fetch(&out, source, remote, &target, &saving).await
}

/// Downloads `source` as `saving` says (resumably, verified against `remote`'s ETag) and
/// prints what was downloaded.
pub(super) async fn fetch(
    out: &Output,
    source: Source,
    remote: Remote,
    target: &Target,
    saving: &Saving<'_>,
) -> Result<()> {
    let name = match target {
        Target::File(f) => sanitize(&f.name).unwrap_or_else(|| f.id.clone()),
        Target::Version { file, version } => versioned(
            &sanitize(&file.name).unwrap_or_else(|| file.id.clone()),
            version.version,
        ),
        Target::Link { name, .. } => name.clone(),
        Target::Archive(f) => format!("{}.zip", sanitize(&f.name).unwrap_or_else(|| f.id.clone())),
    };
    let size = remote.size.unwrap_or(0);
    let progress = Progress::new(out.progress_mode(), 1, size);
    let bar = Arc::new(progress.file(&name, size));
    let dl = Downloader {
        source,
        remote,
        progress: bar.clone(),
        limiter: RateLimit::shared(saving.limit_rate),
        fsync: saving.fsync,
    };
    let started = Instant::now();
    if saving.output == Some(Path::new("-")) {
        // What went to standard output cannot be resumed.
        interrupt::set_rerun(None);
        let got = dl.to_writer(tokio::io::stdout()).await;
        bar.finish();
        return got.map(|_| ());
    }
    let dest = match saving.output {
        Some(p) if p.is_dir() => p.join(&name),
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(&name),
    };
    let fetched = match dl
        .to_path(&dest, saving.force, usize::from(saving.parallel))
        .await
    {
        Ok(f) => f,
        Err(e) => {
            bar.abandon();
            return Err(e);
        }
    };
    bar.finish();
    progress.finish();
    report(out, target, &dest, &fetched, started.elapsed());
    Ok(())
}

/// The name a version is saved under by default: `report.v2.pdf` for version 2 of
/// `report.pdf` (`notes.v2` without an extension), so that it does not take the place of the
/// current one.
fn versioned(name: &str, version: i64) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => {
            format!("{stem}.v{version}.{ext}")
        }
        _ => format!("{name}.v{version}"),
    }
}

/// A folder link about to be downloaded as a tree: its client (unlocked if it has a
/// password), its URL and its folder's name.
struct FolderLink {
    client: ferry_client::Client,
    url: String,
    name: String,
}

/// Whether the URL is a folder link's (asked of its info, which counts nothing): then it is
/// downloaded file by file into a directory, unless `--zip` asks for the one zip.
async fn folder_link(args: &DownloadArgs) -> Result<Option<FolderLink>> {
    if args.zip {
        return Ok(None);
    }
    let url = args.file_id.trim().to_string();
    let origin = link_origin(&ferry_client::download_url(&url))?.to_string();
    let mut client = http_client(&origin, &args.common)?;
    let info = match client.link_info(&url).await {
        Ok(info) if info.kind == "folder" => info,
        // Anything else (a file link, or an error a download will explain) goes the usual way.
        _ => return Ok(None),
    };
    if let Some(password) = link_password(args)? {
        let access = client.unlock_link(&url, &password).await?;
        client = client.with_link_access(access.link_access_token);
    }
    Ok(Some(FolderLink {
        client,
        url,
        name: info.name,
    }))
}

/// `ferry download <folder-link>`: every live file under the link's folder into a directory
/// (`-o DIR`, default: the folder's name), keeping the tree, each file fetched as a link
/// download is (resumable from its `.part`, verified against its SHA-256). A file already
/// there with the listed SHA-256 is skipped, so running the command again finishes an
/// interrupted tree; one there with other content needs `--force`.
async fn download_tree(out: &Output, args: &DownloadArgs, link: FolderLink) -> Result<()> {
    let root = match &args.output {
        Some(dir) => dir.clone(),
        None => PathBuf::from(sanitize(&link.name).unwrap_or_else(|| "download".to_string())),
    };
    let mut files = Vec::new();
    let mut folders = vec![String::new()];
    while let Some(dir) = folders.pop() {
        let mut cursor: Option<String> = None;
        loop {
            let page = link
                .client
                .link_items(&link.url, &dir, cursor.as_deref())
                .await?;
            folders.extend(page.folders.into_iter().map(|f| f.path));
            files.extend(page.files);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    let (mut fetched, mut skipped) = (0usize, 0usize);
    for file in &files {
        let Some(relative) = local_path(&file.path) else {
            return Err(CliError::new(
                "invalid_name",
                format!(
                    "the server listed `{}`, which is no safe local path",
                    file.path
                ),
            )
            .into());
        };
        let dest = root.join(relative);
        if !args.force && same_content(&dest, &file.checksum_sha256).await? {
            skipped += 1;
            continue;
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let head = link.client.link_head(&file.url).await?;
        let remote = Remote::from_headers(head.headers());
        let source = Source::Link {
            client: link.client.clone(),
            url: file.url.clone(),
        };
        let target = Target::Link {
            url: file.url.clone(),
            name: file.name.clone(),
        };
        let saving = Saving {
            output: Some(&dest),
            parallel: args.parallel,
            limit_rate: args.limit_rate,
            force: args.force,
            fsync: args.fsync,
        };
        fetch(out, source, remote, &target, &saving).await?;
        fetched += 1;
    }
    if !out.json && !out.quiet {
        say!(
            "{} of {} files downloaded into {}{}",
            fetched,
            files.len(),
            root.display(),
            if skipped > 0 {
                format!(" ({skipped} already there)")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// A path a folder link lists (`a/b/c.txt`) as a relative local path, each segment
/// sanitised; `None` when a segment has nothing left (`..`, empty).
fn local_path(path: &str) -> Option<PathBuf> {
    let mut local = PathBuf::new();
    for segment in path.split('/') {
        if segment.contains('\\') {
            return None;
        }
        local.push(sanitize(segment)?);
    }
    (!local.as_os_str().is_empty()).then_some(local)
}

/// Whether `path` is a file whose SHA-256 is `sha256`.
async fn same_content(path: &Path, sha256: &str) -> Result<bool> {
    let path = path.to_path_buf();
    let sha256 = sha256.to_string();
    tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        use std::io::Read;
        let Ok(mut file) = std::fs::File::open(&path) else {
            return Ok(false);
        };
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file
                .read(&mut buf)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex::encode(hasher.finalize()) == sha256)
    })
    .await?
}

/// A link's source, what its `HEAD` says, and the name the server gives the file.
async fn link(args: &DownloadArgs) -> Result<(Source, Remote, Target)> {
    // A landing page's URL (a folder link's) downloads from `/d/`: the zip.
    let url = ferry_client::download_url(args.file_id.trim());
    let origin = link_origin(&url)?;
    // No session: a link needs no login, and no token is ever sent with it.
    let mut client = http_client(origin, &args.common)?;
    if let Some(password) = link_password(args)? {
        let access = client.unlock_link(&url, &password).await?;
        client = client.with_link_access(access.link_access_token);
    }
    let head = match client.link_head(&url).await {
        Ok(res) => res,
        Err(e) if e.status().is_some() => {
            // A HEAD answer has no body: ask again with a GET, whose error says why.
            return Err(match client.link_content(&url, &[]).await {
                Err(e) if e.code() == Some("link_password_required") => CliError::new(
                    "link_password_required",
                    "the link has a password: give it with --password, --password-stdin or \
                     $FERRY_LINK_PASSWORD",
                )
                .into(),
                Err(e) => e.into(),
                Ok(_) => e.into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let name = head
        .headers()
        .get(CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(ferry_client::disposition::filename)
        .and_then(|n| sanitize(&n))
        .unwrap_or_else(|| "download".to_string());
    let remote = Remote::from_headers(head.headers());
    let source = Source::Link {
        client,
        url: url.clone(),
    };
    Ok((source, remote, Target::Link { url, name }))
}

/// Prints what was downloaded (the file's or the link download's JSON object, or a line).
fn report(out: &Output, target: &Target, dest: &Path, fetched: &Fetched, elapsed: Duration) {
    let resumed = if fetched.resumed_at > 0 {
        format!("; resumed at {}", format_size(fetched.resumed_at))
    } else {
        String::new()
    };
    let line = |what: &str| {
        format!(
            "Downloaded {what} ({}) to {} in {} ({}), {}{resumed}",
            format_size(fetched.size),
            dest.display(),
            format_duration(elapsed),
            format_rate(fetched.size - fetched.resumed_at, elapsed),
            if fetched.verified {
                "SHA-256 verified"
            } else {
                "not verified (the server sent no checksum)"
            }
        )
    };
    match target {
        Target::File(file) => out.result(&**file, || line(&file.id)),
        Target::Version { file, version } => {
            let shown = VersionDownloaded {
                file_id: &file.id,
                name: &file.name,
                version,
                path: &absolute(dest).unwrap_or_else(|_| dest.to_path_buf()),
                verified: fetched.verified,
                resumed_at: fetched.resumed_at,
            };
            out.result(&shown, || {
                line(&format!("version {} of {}", version.version, file.id))
            });
        }
        Target::Archive(folder) => {
            let shown = ArchiveDownloaded {
                folder_id: &folder.id,
                name: &folder.name,
                path: &absolute(dest).unwrap_or_else(|_| dest.to_path_buf()),
                size: fetched.size,
                sha256: &fetched.sha256,
            };
            out.result(&shown, || line(&format!("archive of {}", folder.id)));
        }
        Target::Link { url, .. } => {
            let name = dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let shown = LinkDownloaded {
                url,
                path: &absolute(dest).unwrap_or_else(|_| dest.to_path_buf()),
                name,
                size: fetched.size,
                checksum_sha256: &fetched.sha256,
                verified: fetched.verified,
                resumed_at: fetched.resumed_at,
            };
            out.result(&shown, || line(&shown.name));
        }
    }
}

/// `scheme://host[:port]` of a download link URL, which must have a `/d/<token>` path.
/// The link's password, if one is given: `--password-stdin`, `$FERRY_LINK_PASSWORD`, or asked
/// for with `--password`.
fn link_password(args: &DownloadArgs) -> Result<Option<String>> {
    if args.password_stdin {
        return super::links::read_link_password(true, false).map(Some);
    }
    if let Ok(password) = std::env::var("FERRY_LINK_PASSWORD")
        && !password.is_empty()
    {
        return Ok(Some(password));
    }
    if args.password {
        return super::links::read_link_password(false, false).map(Some);
    }
    Ok(None)
}

fn link_origin(url: &str) -> Result<&str> {
    let bad = || -> anyhow::Error {
        CliError::new(
            "invalid_url",
            format!("`{url}` is not a download link: expected http(s)://host/d/<token>"),
        )
        .into()
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(bad)?;
    let host_len = rest.find('/').ok_or_else(bad)?;
    if host_len == 0 {
        return Err(bad());
    }
    let path = &rest[host_len..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    // The token: what follows the last `/d/`, one non-empty path segment.
    path.rsplit_once("/d/")
        .map(|(_, t)| t)
        .filter(|t| !t.is_empty() && !t.contains('/'))
        .ok_or_else(bad)?;
    Ok(&url[..url.len() - rest.len() + host_len])
}

/// `p` made absolute, without `.` components or a trailing slash.
fn absolute(p: &Path) -> Result<PathBuf> {
    let abs = std::path::absolute(p).with_context(|| format!("cannot resolve {}", p.display()))?;
    Ok(abs.components().collect())
}

/// A name that stays in the directory: its last path component, without control characters or
/// characters Windows refuses, not `.`/`..`, at most 255 bytes. `None` if nothing is left.
fn sanitize(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_end_matches('.').trim_end();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        return None;
    }
    let mut end = cleaned.len().min(255);
    while !cleaned.is_char_boundary(end) {
        end -= 1;
    }
    Some(cleaned[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitize("report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(sanitize("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize("..\\..\\boot.ini").as_deref(), Some("boot.ini"));
        assert_eq!(sanitize("a\\b.txt").as_deref(), Some("b.txt"));
        assert_eq!(
            local_path("a/b c/d.txt"),
            Some(PathBuf::from("a/b c/d.txt"))
        );
        assert_eq!(local_path("a/../d.txt"), None);
        assert_eq!(local_path("a\\..\\d.txt"), None);
        assert_eq!(local_path(""), None);
        assert_eq!(sanitize("a\u{0}b\nc.txt").as_deref(), Some("abc.txt"));
        assert_eq!(sanitize("what?.txt").as_deref(), Some("what_.txt"));
        assert_eq!(sanitize("..").as_deref(), None);
        assert_eq!(sanitize("dir/").as_deref(), None);
        assert_eq!(sanitize("   ").as_deref(), None);
        assert_eq!(sanitize(&"é".repeat(200)).map(|s| s.len()), Some(254));
    }

    #[test]
    fn versions_get_their_own_names() {
        assert_eq!(versioned("report.pdf", 2), "report.v2.pdf");
        assert_eq!(versioned("archive.tar.gz", 3), "archive.tar.v3.gz");
        assert_eq!(versioned("notes", 1), "notes.v1");
        assert_eq!(versioned(".bashrc", 4), ".bashrc.v4");
    }

    #[test]
    fn link_urls() {
        assert_eq!(
            link_origin("http://127.0.0.1:8080/d/abc").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            link_origin("https://files.example.com/ferry/d/abc?x=1").unwrap(),
            "https://files.example.com"
        );
        for bad in [
            "http://host",
            "http://host/",
            "http:///d/abc",
            "http://host/d/",
            "ftp://host/d/abc",
            "http://host/files/abc",
        ] {
            assert!(link_origin(bad).is_err(), "{bad}");
        }
    }
}
