//! `ferry download <link-url>`: a download through a download link (`…/d/<token>`), without
//! credentials.
//!
//! The bytes go to `<path>.part`, then are renamed into place. The file name comes from the
//! response's `Content-Disposition` (`filename*`, else `filename`), reduced to a plain name.
//! The link's `ETag` is `"<sha256>"`: when it is there, the result is checked against it and an
//! interrupted download resumes with `Range` and `If-Range`. Since the name is only known from
//! the response, `<config>/downloads/<key>.json` (key: SHA-256 of the URL) remembers where an
//! unfinished download of that URL was going, with its ETag and size; it is deleted on
//! success. With `--parallel N`, a `HEAD` (which counts nothing) gives size, ETag and name
//! first, then N ranges go at once as for a file id (see `ranged`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, ETAG};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::download::{
    DownloadArgs, Downloader, HashThread, Source, WriterThread, hash_prefix, sync_dir, with_suffix,
};
use super::output::{FileProgress, Progress};
use super::retry::{RateLimit, TRIES, backoff, retryable};
use super::units::{format_duration, format_rate, format_size};
use super::{CliError, Output, config, error_line, http_client};

/// What `<config>/downloads/<key>.json` holds.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    url: String,
    /// The destination, absolute.
    path: PathBuf,
    etag: String,
    size: u64,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Downloaded {
    url: String,
    path: PathBuf,
    name: String,
    size: u64,
    checksum_sha256: String,
    /// Whether the SHA-256 was checked against the one the server sent (the ETag).
    verified: bool,
    resumed_at: u64,
}

pub async fn run(args: DownloadArgs) -> Result<()> {
    let url = args.file_id.trim().to_string();
    let origin = link_origin(&url)?;
    let out = Output::new(&args.common);
    // No session: a link needs no login, and no token is ever sent with it.
    let client = http_client(origin, &args.common)?;
    let limiter = args
        .limit_rate
        .filter(|r| *r > 0)
        .map(|r| Arc::new(RateLimit::new(r)));
    if args.output.as_deref() == Some(Path::new("-")) {
        return to_stdout(&client, &url, &out).await;
    }

    let record_path = record_path(&url);
    let record = record_path
        .as_deref()
        .and_then(|p| config::read_json::<Record>(p).ok().flatten())
        .filter(|r| r.url == url);
    // Where the file goes, when that is known before asking: `-o FILE`, or an unfinished
    // download of this URL into the same directory.
    let (dir, dest) = match args.output.as_deref() {
        Some(p) if p.is_dir() => (absolute(p)?, None),
        Some(p) => {
            let p = absolute(p)?;
            (
                p.parent().map(Path::to_path_buf).unwrap_or_default(),
                Some(p),
            )
        }
        None => (absolute(Path::new("."))?, None),
    };
    let resumable = record.filter(|r| match &dest {
        Some(d) => r.path == *d,
        None => r.path.parent() == Some(dir.as_path()),
    });
    let dest = dest.or_else(|| resumable.as_ref().map(|r| r.path.clone()));
    if let Some(d) = &dest
        && d.exists()
        && !args.force
    {
        return Err(file_exists(d));
    }
    let started = Instant::now();
    // An interrupted parallel run left `<dest>.part.state`: go on with ranges.
    let ranges_begun = dest
        .as_ref()
        .map(|d| with_suffix(d, ".part.state"))
        .filter(|p| p.exists());
    if args.parallel > 1 || ranges_begun.is_some() {
        let target = RangedTarget {
            client: &client,
            url: &url,
            dir: &dir,
            dest: dest.clone(),
            record_path: record_path.as_deref(),
        };
        match ranged(&args, target, limiter.clone()).await? {
            Ranged::Done(done) => {
                report(&out, &done, started.elapsed());
                return Ok(());
            }
            Ranged::NotOffered => {
                // What the ranges fetched cannot be used by one connection: start over.
                if let (Some(state), Some(d)) = (&ranges_begun, &dest) {
                    config::remove_file(state)?;
                    config::remove_file(&with_suffix(d, ".part"))?;
                }
            }
            // The GET below gets the server's error with its body (a HEAD answer has none).
            Ranged::Refused => {}
        }
    }
    let mut dl = LinkDownload {
        client,
        url: url.clone(),
        dir,
        force: args.force,
        record_path,
        dest,
        etag: None,
        size: None,
        have: 0,
        hasher: HashThread::hashing(Sha256::new()),
        part: None,
        resumed_at: 0,
        progress: None,
        bar: None,
        mode: out.progress_mode(),
        limiter,
    };
    if let Some(r) = resumable {
        let part = with_suffix(&r.path, ".part");
        if let Ok(m) = std::fs::metadata(&part)
            && m.len() > 0
            && m.len() <= r.size
        {
            let len = m.len();
            let h = tokio::task::spawn_blocking(move || hash_prefix(&part, len))
                .await
                .context("the hashing thread failed")??;
            dl.hasher = HashThread::hashing(h);
            dl.have = len;
            dl.resumed_at = len;
            dl.etag = Some(r.etag.clone());
            dl.size = Some(r.size);
        }
    }

    let mut attempt = 1;
    loop {
        let before = dl.have;
        match dl.once().await {
            Ok(()) => break,
            Err(e) => {
                if dl.have > before {
                    attempt = 1;
                }
                if let Some(w) = dl.part.as_mut()
                    && w.flush().await.is_err()
                {
                    return Err(e);
                }
                if attempt >= TRIES || !retryable(&e) {
                    if let Some(bar) = &dl.bar {
                        bar.abandon();
                    }
                    return Err(e);
                }
                let wait = backoff(Duration::from_millis(500), attempt);
                if let Some(bar) = &dl.bar {
                    let msg = error_line(&e);
                    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
                    bar.event(&format!(
                        "download failed (try {attempt} of {TRIES}): {msg}; retrying in {}",
                        format_duration(wait)
                    ));
                }
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        }
    }
    let dest = dl
        .dest
        .clone()
        .context("the destination is known after a response")?;
    if let Some(mut w) = dl.part.take() {
        let file = w.finish().await?;
        if args.fsync {
            tokio::task::spawn_blocking(move || file.sync_all())
                .await
                .context("the syncing thread failed")??;
        }
    }
    let hash = hex::encode(dl.hasher.finish().await?.finalize());
    let expected = dl.etag.as_deref().and_then(etag_sha256);
    let placed = put_in_place(
        &args,
        &dest,
        &hash,
        expected.as_deref(),
        dl.record_path.as_deref(),
    );
    if let Err(e) = placed {
        if let Some(bar) = &dl.bar {
            bar.abandon();
        }
        return Err(e);
    }
    if let Some(bar) = &dl.bar {
        bar.finish();
    }
    if let Some(p) = &dl.progress {
        p.finish();
    }
    let shown = Downloaded {
        url,
        name: dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        path: dest.clone(),
        size: dl.have,
        checksum_sha256: hash,
        verified: expected.is_some(),
        resumed_at: dl.resumed_at,
    };
    report(&out, &shown, started.elapsed());
    Ok(())
}

/// Prints what was downloaded (the JSON object, or a line).
fn report(out: &Output, shown: &Downloaded, elapsed: Duration) {
    out.result(shown, || {
        let resumed = if shown.resumed_at > 0 {
            format!("; resumed at {}", format_size(shown.resumed_at))
        } else {
            String::new()
        };
        format!(
            "Downloaded {} ({}) to {} in {} ({}), {}{resumed}",
            shown.name,
            format_size(shown.size),
            shown.path.display(),
            format_duration(elapsed),
            format_rate(shown.size - shown.resumed_at, elapsed),
            if shown.verified {
                "SHA-256 verified"
            } else {
                "not verified (the server sent no checksum)"
            }
        )
    });
}

/// Where a ranged link download comes from and may go.
struct RangedTarget<'a> {
    client: &'a ferry_client::Client,
    url: &'a str,
    /// Where a file named by the server goes.
    dir: &'a Path,
    /// Where it goes, when already known (`-o FILE`, or an unfinished download).
    dest: Option<PathBuf>,
    record_path: Option<&'a Path>,
}

/// How a ranged link download went.
enum Ranged {
    Done(Downloaded),
    /// The link offers no ranges, or no checksum to hold them to (a watermarked copy, another
    /// server): one connection then.
    NotOffered,
    /// The server answered the `HEAD` with an error status.
    Refused,
}

/// `--parallel` through a link: a `HEAD` (which counts nothing) gives the size, the ETag and
/// the name; then the ranges go as for a file id (`Downloader::ranged`: `.part.state`,
/// resume, SHA-256 check). The server charges each range's bytes to the link's budget, so
/// all of them together count as one download. A network error is an error (what was
/// fetched stays for the next run).
async fn ranged(
    args: &DownloadArgs,
    target: RangedTarget<'_>,
    limiter: Option<Arc<RateLimit>>,
) -> Result<Ranged> {
    let res = match target.client.link_head(target.url).await {
        Ok(res) => res,
        Err(e) if e.status().is_some() => return Ok(Ranged::Refused),
        Err(e) => return Err(e.into()),
    };
    let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok());
    let offers_ranges = header(ACCEPT_RANGES) == Some("bytes");
    let etag = header(ETAG).map(str::to_string);
    let checksum = etag.as_deref().and_then(etag_sha256);
    // Not `content_length()`: a HEAD response has no body to measure.
    let size = header(CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    let (true, Some(etag), Some(checksum), Some(size)) = (offers_ranges, etag, checksum, size)
    else {
        return Ok(Ranged::NotOffered);
    };
    if size == 0 {
        return Ok(Ranged::NotOffered);
    }
    let dest = match target.dest {
        Some(d) => d,
        None => {
            let name = header(CONTENT_DISPOSITION)
                .and_then(disposition_filename)
                .and_then(|n| sanitize(&n))
                .unwrap_or_else(|| "download".to_string());
            target.dir.join(name)
        }
    };
    if dest.exists() && !args.force {
        return Err(file_exists(&dest));
    }
    if let Some(p) = target.record_path {
        let record = Record {
            url: target.url.to_string(),
            path: dest.clone(),
            etag: etag.clone(),
            size,
        };
        // Failing to write it only costs the ability to resume.
        let _ = config::write_json_private(p, &record);
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let progress = Progress::new(Output::new(&args.common).progress_mode(), 1, size);
    let bar = Arc::new(progress.file(&name, size));
    let part = with_suffix(&dest, ".part");
    let state = with_suffix(&dest, ".part.state");
    let dl = Downloader {
        client: target.client.clone(),
        source: Source::Link(target.url),
        checksum: &checksum,
        size,
        etag,
        progress: bar.clone(),
        limiter,
        fsync: args.fsync,
    };
    let (resumed_at, hash) = match dl.ranged(&part, &state, usize::from(args.parallel)).await {
        Ok(r) => r,
        Err(e) => {
            bar.abandon();
            return Err(e);
        }
    };
    if let Err(e) = put_in_place(args, &dest, &hash, Some(&checksum), target.record_path) {
        bar.abandon();
        return Err(e);
    }
    bar.finish();
    progress.finish();
    Ok(Ranged::Done(Downloaded {
        url: target.url.to_string(),
        path: dest,
        name,
        size,
        checksum_sha256: hash,
        verified: true,
        resumed_at,
    }))
}

/// Puts a finished `<dest>.part` in place: checks `hash` against the server's `expected`
/// (when it sent one; on a mismatch the partial files go), then renames it to `dest`. The
/// resume record goes either way.
fn put_in_place(
    args: &DownloadArgs,
    dest: &Path,
    hash: &str,
    expected: Option<&str>,
    record_path: Option<&Path>,
) -> Result<()> {
    let part = with_suffix(dest, ".part");
    let state = with_suffix(dest, ".part.state");
    let forget = || {
        if let Some(p) = record_path {
            let _ = config::remove_file(p);
        }
    };
    if let Some(expected) = expected
        && expected != hash
    {
        config::remove_file(&part)?;
        config::remove_file(&state)?;
        forget();
        return Err(CliError::new(
            "checksum_mismatch",
            format!(
                "the downloaded bytes have SHA-256 {hash}, the server's ETag says {expected}; the partial file was removed, run the command again"
            ),
        )
        .into());
    }
    if dest.exists() && !args.force {
        return Err(file_exists(dest));
    }
    std::fs::rename(&part, dest)
        .with_context(|| format!("cannot move {} to {}", part.display(), dest.display()))?;
    if args.fsync {
        sync_dir(dest);
    }
    config::remove_file(&state)?;
    forget();
    Ok(())
}

/// `scheme://host[:port]` of a download link URL, which must have a `/d/<token>` path.
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

fn file_exists(path: &Path) -> anyhow::Error {
    CliError::new(
        "file_exists",
        format!(
            "{} exists; use --force to replace it, or -o to choose another name",
            path.display()
        ),
    )
    .into()
}

/// `<config>/downloads/<sha256(url)>.json`; `None` where there is no config directory.
fn record_path(url: &str) -> Option<PathBuf> {
    let key = hex::encode(Sha256::digest(url.as_bytes()));
    config::config_dir()
        .ok()
        .map(|d| d.join("downloads").join(format!("{}.json", &key[..32])))
}

struct LinkDownload {
    client: ferry_client::Client,
    url: String,
    /// Where a file named by the server goes.
    dir: PathBuf,
    force: bool,
    record_path: Option<PathBuf>,
    dest: Option<PathBuf>,
    /// The strong ETag of what `.part` holds.
    etag: Option<String>,
    size: Option<u64>,
    /// Bytes in `.part`, all given to `hasher`.
    have: u64,
    hasher: HashThread,
    /// Writes `.part`.
    part: Option<WriterThread>,
    resumed_at: u64,
    progress: Option<Progress>,
    bar: Option<FileProgress>,
    mode: super::output::ProgressMode,
    limiter: Option<Arc<RateLimit>>,
}

impl LinkDownload {
    /// One request from `have` (with `Range` and `If-Range` when there is something to resume
    /// and an ETag to hold it to) to the end.
    async fn once(&mut self) -> Result<()> {
        if self.have > 0 && self.etag.is_none() {
            // Nothing to check the bytes against: start over.
            self.restart().await?;
        }
        let range = format!("bytes={}-", self.have);
        let if_range = self.etag.clone().unwrap_or_default();
        let headers: Vec<(&str, &str)> = if self.have > 0 {
            vec![("range", &range), ("if-range", &if_range)]
        } else {
            vec![]
        };
        let res = self.client.link_content(&self.url, &headers).await?;
        let etag = res
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|t| t.starts_with('"'))
            .map(str::to_string);
        let size = match res.status() {
            StatusCode::PARTIAL_CONTENT => {
                let got = res
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let total = content_range_total(got, self.have).ok_or_else(|| {
                    CliError::new(
                        "unexpected_range",
                        format!(
                            "asked for the bytes from {}, the server sent `{got}`",
                            self.have
                        ),
                    )
                })?;
                if self.size.is_some_and(|s| s != total) || etag != self.etag {
                    return Err(CliError::new(
                        "file_changed",
                        "the file behind the link changed while resuming; run the command again",
                    )
                    .into());
                }
                Some(total)
            }
            StatusCode::OK => {
                if self.have > 0 {
                    // What `.part` holds is not what the link serves now.
                    if let Some(bar) = &self.bar {
                        bar.event("the file changed on the server; starting over");
                    }
                    self.restart().await?;
                }
                res.content_length()
            }
            other => {
                return Err(CliError::new(
                    "unexpected_status",
                    format!("the server answered {other} to a download"),
                )
                .into());
            }
        };
        self.etag = etag;
        self.size = size;
        if self.dest.is_none() {
            let name = res
                .headers()
                .get(CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .and_then(disposition_filename)
                .and_then(|n| sanitize(&n))
                .unwrap_or_else(|| "download".to_string());
            let dest = self.dir.join(name);
            if dest.exists() && !self.force {
                return Err(file_exists(&dest));
            }
            self.dest = Some(dest);
        }
        let dest = self.dest.clone().expect("set above");
        self.remember(&dest);
        if self.part.is_none() {
            let part = with_suffix(&dest, ".part");
            // Append mode always: after a `restart` truncates it, writes go to the start.
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&part)
                .with_context(|| format!("cannot open {}", part.display()))?;
            if self.have == 0 {
                f.set_len(0)?;
            }
            self.part = Some(WriterThread::writing(f));
        }
        if self.bar.is_none() {
            let name = dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let total = self.size.unwrap_or(0);
            let progress = Progress::new(self.mode, 1, total);
            let bar = progress.file(&name, total);
            if self.have > 0 {
                bar.event(&format!("resuming at {}", format_size(self.have)));
                bar.skip(self.have);
            }
            self.progress = Some(progress);
            self.bar = Some(bar);
        }
        let f = self.part.as_mut().expect("opened above");
        let bar = self.bar.as_ref().expect("made above");
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if self
                .size
                .is_some_and(|s| self.have + chunk.len() as u64 > s)
            {
                return Err(CliError::new(
                    "unexpected_length",
                    "the server sent more bytes than the file has",
                )
                .into());
            }
            if let Some(l) = &self.limiter {
                l.take(chunk.len() as u64).await;
            }
            f.update(chunk.clone()).await?;
            self.hasher.update(chunk.clone()).await?;
            self.have += chunk.len() as u64;
            bar.inc(chunk.len() as u64);
        }
        if let Some(size) = self.size
            && self.have != size
        {
            return Err(CliError::new(
                "unexpected_length",
                format!("the download stopped at {} of {size} bytes", self.have),
            )
            .into());
        }
        Ok(())
    }

    /// Drops what `.part` holds.
    async fn restart(&mut self) -> Result<()> {
        if let Some(bar) = &self.bar {
            bar.dec(self.have);
        }
        if let Some(w) = self.part.as_mut() {
            w.truncate().await?;
        } else if let Some(d) = &self.dest {
            let part = with_suffix(d, ".part");
            if part.exists() {
                std::fs::File::create(&part)
                    .with_context(|| format!("cannot truncate {}", part.display()))?;
            }
        }
        self.have = 0;
        self.resumed_at = 0;
        self.hasher = HashThread::hashing(Sha256::new());
        Ok(())
    }

    /// Records where this URL is being downloaded, so that running the command again resumes
    /// (only when there is an ETag to resume against).
    fn remember(&self, dest: &Path) {
        let (Some(path), Some(etag), Some(size)) = (&self.record_path, &self.etag, self.size)
        else {
            self.forget();
            return;
        };
        let record = Record {
            url: self.url.clone(),
            path: dest.to_path_buf(),
            etag: etag.clone(),
            size,
        };
        // Failing to write it only costs the ability to resume.
        let _ = config::write_json_private(path, &record);
    }

    fn forget(&self) {
        if let Some(p) = &self.record_path {
            let _ = config::remove_file(p);
        }
    }
}

/// The total size from `Content-Range: bytes <start>-<end>/<size>`, when `start` is the one
/// asked for and the range runs to the end.
fn content_range_total(value: &str, start: u64) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, total): (u64, u64, u64) = (a.parse().ok()?, b.parse().ok()?, total.parse().ok()?);
    (a == start && b + 1 == total).then_some(total)
}

/// The SHA-256 in an ETag of the form `"<64 hex>"`.
fn etag_sha256(etag: &str) -> Option<String> {
    let inner = etag.strip_prefix('"')?.strip_suffix('"')?;
    (inner.len() == 64 && inner.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| inner.to_ascii_lowercase())
}

/// Streams the file to stdout, checking its SHA-256 when the ETag carries it.
async fn to_stdout(client: &ferry_client::Client, url: &str, out: &Output) -> Result<()> {
    let res = client.link_content(url, &[]).await?;
    let expected = res
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(etag_sha256);
    let size = res.content_length().unwrap_or(0);
    let progress = Progress::new(out.progress_mode(), 1, size);
    let bar = progress.file("-", size);
    let mut hasher = Sha256::new();
    let mut stdout = tokio::io::stdout();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        stdout.write_all(&chunk).await?;
        bar.inc(chunk.len() as u64);
    }
    stdout.flush().await?;
    bar.finish();
    let hash = hex::encode(hasher.finalize());
    match expected {
        Some(e) if e != hash => Err(CliError::new(
            "checksum_mismatch",
            format!("the bytes written have SHA-256 {hash}, the server's ETag says {e}"),
        )
        .into()),
        _ => Ok(()),
    }
}

/// The file name in a `Content-Disposition` value: `filename*` (RFC 6266 / RFC 8187,
/// percent-decoded UTF-8 or ISO-8859-1) if present and decodable, else `filename`.
fn disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (key, val) in params(value) {
        match key.to_ascii_lowercase().as_str() {
            "filename*" => extended = extended.or_else(|| decode_ext_value(&val)),
            "filename" => plain = plain.or(Some(val)),
            _ => {}
        }
    }
    extended.or(plain)
}

/// The `key=value` parameters after the disposition type, quoted strings unquoted.
fn params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_quotes {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == ';' {
            parts.push(std::mem::take(&mut current));
        } else {
            if c == '"' {
                in_quotes = true;
            }
            current.push(c);
        }
    }
    parts.push(current);
    // The first part is the type (`attachment`).
    for part in parts.into_iter().skip(1) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => {
                let mut s = String::new();
                let mut chars = inner.chars();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            s.push(n);
                        }
                    } else {
                        s.push(c);
                    }
                }
                s
            }
            None => v.to_string(),
        };
        out.push((k.trim().to_string(), v));
    }
    out
}

/// `charset'language'percent-encoded` (RFC 8187).
fn decode_ext_value(value: &str) -> Option<String> {
    let mut it = value.splitn(3, '\'');
    let charset = it.next()?.trim().to_ascii_lowercase();
    let _language = it.next()?;
    let encoded = it.next()?;
    let bytes = percent_decode(encoded)?;
    match charset.as_str() {
        "utf-8" => String::from_utf8(bytes).ok(),
        "iso-8859-1" => Some(bytes.into_iter().map(char::from).collect()),
        _ => None,
    }
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
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
    fn file_names_from_content_disposition() {
        assert_eq!(
            disposition_filename(
                "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
            )
            .as_deref(),
            Some("résumé \"final\".pdf")
        );
        assert_eq!(
            disposition_filename("attachment; filename=\"a \\\"b\\\"; c.txt\"").as_deref(),
            Some("a \"b\"; c.txt")
        );
        assert_eq!(
            disposition_filename("attachment; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        assert_eq!(
            disposition_filename("attachment; FILENAME*=iso-8859-1'en'%E9t%E9.txt").as_deref(),
            Some("été.txt")
        );
        // An undecodable filename* falls back to filename.
        assert_eq!(
            disposition_filename("attachment; filename*=UTF-8''%FF%FE; filename=\"x.bin\"")
                .as_deref(),
            Some("x.bin")
        );
        assert_eq!(disposition_filename("attachment"), None);
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitize("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize("..\\..\\boot.ini").as_deref(), Some("boot.ini"));
        assert_eq!(sanitize("a\u{0}b\nc.txt").as_deref(), Some("abc.txt"));
        assert_eq!(sanitize("what?.txt").as_deref(), Some("what_.txt"));
        assert_eq!(sanitize("..").as_deref(), None);
        assert_eq!(sanitize("dir/").as_deref(), None);
        assert_eq!(sanitize("   ").as_deref(), None);
        assert_eq!(sanitize(&"é".repeat(200)).map(|s| s.len()), Some(254));
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

    #[test]
    fn etags_and_ranges() {
        let sha = "a".repeat(64);
        assert_eq!(etag_sha256(&format!("\"{sha}\"")), Some(sha.clone()));
        assert_eq!(etag_sha256(&format!("W/\"{sha}\"")), None);
        assert_eq!(etag_sha256("\"abc\""), None);
        assert_eq!(content_range_total("bytes 10-99/100", 10), Some(100));
        assert_eq!(content_range_total("bytes 10-98/100", 10), None);
        assert_eq!(content_range_total("bytes 0-99/100", 10), None);
    }
}
