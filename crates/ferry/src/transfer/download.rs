//! Downloading, for a file id (or one of its versions) and for a download link alike: one
//! `Downloader` streams into `<path>.part`, resumes an existing `.part` with `Range` and
//! `If-Range: "<sha256>"`, verifies the SHA-256 and renames into place. With several
//! connections, ranges are fetched at once and written at their offsets; which ranges are done
//! is kept in `<path>.part.state`, so that an interrupted parallel download resumes too (also
//! with one connection).
//!
//! What is known before the first byte (size, strong ETag, whether ranges are served) is a
//! [`Remote`]: from the file's metadata for a file id (from its list of versions for an older
//! version), from a `HEAD` for a link (a watermarked copy has neither size nor ETag: it is
//! fetched whole, unverified, and never resumed).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ferry_client::Client;
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, ETAG, HeaderMap};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::files::{HashThread, WriterThread, hash_prefix, sync_dir, with_suffix, write_at};
use super::rate::RateLimit;
use super::retry::{TRIES, backoff, retryable};
use crate::cli::output::FileProgress;
use crate::cli::units::{format_duration, format_size};
use crate::cli::{CliError, config, error_line};

/// Where the bytes come from.
pub enum Source {
    /// `GET /api/v1/files/{id}/content`, with the session's credentials.
    File { client: Client, id: String },
    /// `GET /api/v1/files/{id}/versions/{version}/content`, with the session's credentials.
    /// `key` is what `.part.state` is tied to (`<id>/versions/<version>`).
    Version {
        client: Client,
        id: String,
        version: i64,
        key: String,
    },
    /// A download link's URL (`…/d/<token>`), without credentials.
    Link { client: Client, url: String },
    /// `GET /api/v1/folders/{id}/archive`: a folder as a zip, with the session's credentials.
    Archive { client: Client, folder_id: String },
}

impl Source {
    /// What `.part.state` is tied to.
    fn key(&self) -> &str {
        match self {
            Source::File { id, .. } => id,
            Source::Version { key, .. } => key,
            Source::Link { url, .. } => url,
            Source::Archive { folder_id, .. } => folder_id,
        }
    }

    async fn get(&self, headers: &[(&str, &str)]) -> Result<reqwest::Response> {
        Ok(match self {
            Source::File { client, id } => client.content(id, headers).await?,
            Source::Version {
                client,
                id,
                version,
                ..
            } => client.version_content(id, *version, headers).await?,
            Source::Link { client, url } => client.link_content(url, headers).await?,
            Source::Archive { client, folder_id } => {
                client.folder_archive(folder_id, headers).await?
            }
        })
    }
}

/// What is known of the bytes before they are fetched.
#[derive(Debug, Clone, Default)]
pub struct Remote {
    /// `None` when only the response will tell (a watermarked copy).
    pub size: Option<u64>,
    /// The strong ETag `"<sha256>"` that resumes and ranges are held to, and that the bytes
    /// are checked against. `None`: nothing to resume against or to verify.
    pub etag: Option<String>,
    /// Whether the server answers byte ranges.
    pub ranges: bool,
}

impl Remote {
    /// A stored file: its metadata says it all, and `/content` serves ranges.
    pub fn of_file(file: &ferry_api::File) -> Remote {
        Remote {
            size: Some(file.size.max(0) as u64),
            etag: Some(format!("\"{}\"", file.checksum_sha256)),
            ranges: true,
        }
    }

    /// One version of a stored file: as for the file, from what the list of versions says.
    pub fn of_version(version: &ferry_api::FileVersion) -> Remote {
        Remote {
            size: Some(version.size.max(0) as u64),
            etag: Some(format!("\"{}\"", version.checksum_sha256)),
            ranges: true,
        }
    }

    /// From the headers of a `HEAD` (or of a whole `GET`).
    pub fn from_headers(headers: &HeaderMap) -> Remote {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Remote {
            // Not `content_length()`: a HEAD response has no body to measure.
            size: header(CONTENT_LENGTH).and_then(|v| v.parse().ok()),
            etag: header(ETAG)
                .filter(|t| etag_sha256(t).is_some())
                .map(str::to_string),
            ranges: header(ACCEPT_RANGES) == Some("bytes"),
        }
    }
}

/// What a finished download was.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub size: u64,
    /// Bytes that an earlier run had already fetched.
    pub resumed_at: u64,
    pub sha256: String,
    /// Whether `sha256` was checked against the server's (the ETag).
    pub verified: bool,
}

/// What `<path>.part.state` holds for a ranged download.
#[derive(Debug, Serialize, Deserialize)]
struct RangeState {
    /// The file id, or the download link's URL.
    #[serde(alias = "file_id")]
    source: String,
    checksum_sha256: String,
    size: u64,
    chunk_size: u64,
    done: Vec<u64>,
}

/// Fetches one file's bytes.
pub struct Downloader {
    pub source: Source,
    pub remote: Remote,
    pub progress: Arc<FileProgress>,
    pub limiter: Option<Arc<RateLimit>>,
    /// Flush the file to disk before the rename.
    pub fsync: bool,
}

impl Downloader {
    /// Downloads into `dest` through `<dest>.part`, with `parallel` connections where the
    /// server allows ranges; `replace`: whether an existing `dest` may be replaced.
    pub async fn to_path(&self, dest: &Path, replace: bool, parallel: usize) -> Result<Fetched> {
        if dest.exists() && !replace {
            return Err(file_exists(dest));
        }
        let part = with_suffix(dest, ".part");
        let state = with_suffix(dest, ".part.state");
        let ranged = match (&self.remote, self.remote.checksum()) {
            (
                Remote {
                    size: Some(size),
                    ranges: true,
                    ..
                },
                Some(checksum),
            ) if *size > 0 && (parallel > 1 || state.exists()) => Some((*size, checksum)),
            _ => None,
        };
        let fetched = match ranged {
            Some((size, checksum)) => {
                self.ranged(&part, &state, size, &checksum, parallel.max(1))
                    .await?
            }
            None => {
                if state.exists() {
                    // A ranged run's `.part` has holes, and ranges are not to be had now.
                    config::remove_file(&state)?;
                    config::remove_file(&part)?;
                }
                self.sequential(&part).await?
            }
        };
        if let Some(expected) = fetched.expected.as_deref()
            && expected != fetched.sha256
        {
            config::remove_file(&part)?;
            config::remove_file(&state)?;
            return Err(CliError::new(
                "checksum_mismatch",
                format!(
                    "the downloaded bytes have SHA-256 {}, the server says {expected}; the partial file was removed, run the command again",
                    fetched.sha256
                ),
            )
            .into());
        }
        if dest.exists() && !replace {
            return Err(file_exists(dest));
        }
        std::fs::rename(&part, dest)
            .with_context(|| format!("cannot move {} to {}", part.display(), dest.display()))?;
        if self.fsync {
            sync_dir(dest);
        }
        config::remove_file(&state)?;
        Ok(Fetched {
            size: fetched.size,
            resumed_at: fetched.resumed_at,
            verified: fetched.expected.is_some(),
            sha256: fetched.sha256,
        })
    }

    /// Streams the whole file into `out` (standard output), then checks its SHA-256 (an error
    /// when it differs: the bytes are out by then, so the exit status must say it).
    pub async fn to_writer<W: AsyncWrite + Unpin>(&self, mut out: W) -> Result<Fetched> {
        let res = self.source.get(&[]).await?;
        let expected = response_checksum(res.headers()).or_else(|| self.remote.checksum());
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            self.pace(chunk.len()).await;
            hasher.update(&chunk);
            out.write_all(&chunk).await?;
            size += chunk.len() as u64;
            self.progress.inc(chunk.len() as u64);
        }
        out.flush().await?;
        let sha256 = hex::encode(hasher.finalize());
        if let Some(e) = &expected
            && *e != sha256
        {
            return Err(CliError::new(
                "checksum_mismatch",
                format!("the bytes written have SHA-256 {sha256}, the server says {e}"),
            )
            .into());
        }
        Ok(Fetched {
            size,
            resumed_at: 0,
            sha256,
            verified: expected.is_some(),
        })
    }

    async fn pace(&self, n: usize) {
        if let Some(l) = &self.limiter {
            l.take(n as u64).await;
        }
    }

    /// One request for everything after what `.part` already holds; on a broken connection,
    /// again from where it stopped.
    async fn sequential(&self, part: &Path) -> Result<Unchecked> {
        let mut run = Sequential {
            size: self.remote.size,
            etag: self.remote.etag.clone(),
            have: 0,
            hasher: HashThread::hashing(Sha256::new()),
            resumed_at: 0,
        };
        let len = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        // A prefix is only worth keeping if there is an ETag to hold it to.
        if len > 0 && run.etag.is_some() && run.size.is_none_or(|s| len <= s) {
            self.progress
                .event(&format!("resuming at {}", format_size(len)));
            let path = part.to_path_buf();
            let h = tokio::task::spawn_blocking(move || hash_prefix(&path, len))
                .await
                .context("the hashing thread failed")??;
            run.hasher = HashThread::hashing(h);
            run.have = len;
            run.resumed_at = len;
            self.progress.skip(len);
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .with_context(|| format!("cannot open {}", part.display()))?;
        if run.have == 0 {
            file.set_len(0)?;
        }
        let mut writer = WriterThread::writing(file);
        let mut attempt = 1;
        loop {
            let before = run.have;
            match self.stream_into(&mut run, &mut writer).await {
                Ok(()) => break,
                Err(e) => {
                    // A failed try that still brought bytes does not count against the limit.
                    if run.have > before {
                        attempt = 1;
                    }
                    if writer.flush().await.is_err() || attempt >= TRIES || !retryable(&e) {
                        return Err(e);
                    }
                    let wait = backoff(Duration::from_millis(500), attempt);
                    self.retrying(attempt, &e, wait);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
        let file = writer.finish().await?;
        if self.fsync {
            tokio::task::spawn_blocking(move || file.sync_all())
                .await
                .context("the syncing thread failed")??;
        }
        Ok(Unchecked {
            size: run.have,
            resumed_at: run.resumed_at,
            sha256: hex::encode(run.hasher.finish().await?.finalize()),
            expected: run.etag.as_deref().and_then(etag_sha256),
        })
    }

    /// One request from `run.have` to the end, appended to `.part` by `writer`.
    async fn stream_into(&self, run: &mut Sequential, writer: &mut WriterThread) -> Result<()> {
        if run.have > 0 && run.etag.is_none() {
            // Nothing to check a resumed prefix against: start over.
            self.restart(run, writer).await?;
        }
        let range = format!("bytes={}-", run.have);
        let if_range = run.etag.clone().unwrap_or_default();
        let headers: Vec<(&str, &str)> = if run.have > 0 {
            vec![("range", &range), ("if-range", &if_range)]
        } else {
            vec![]
        };
        let res = self.source.get(&headers).await?;
        let etag = res
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .filter(|t| etag_sha256(t).is_some())
            .map(str::to_string);
        match res.status() {
            StatusCode::PARTIAL_CONTENT => {
                let got = header_str(res.headers(), CONTENT_RANGE);
                let total = content_range_total(got, run.have).ok_or_else(|| {
                    CliError::new(
                        "unexpected_range",
                        format!(
                            "asked for the bytes from {}, the server sent `{got}`",
                            run.have
                        ),
                    )
                })?;
                if run.size.is_some_and(|s| s != total) || etag != run.etag {
                    return Err(CliError::new(
                        "file_changed",
                        "the file changed on the server while resuming; run the command again",
                    )
                    .into());
                }
                run.size = Some(total);
            }
            StatusCode::OK => {
                if run.have > 0 {
                    // What `.part` holds is not what the server has now (If-Range failed).
                    self.progress
                        .event("the file changed on the server; starting over");
                    self.restart(run, writer).await?;
                }
                // The bytes are held to what this response says they are.
                run.etag = etag;
                run.size = res.content_length().or(run.size);
            }
            other => {
                return Err(CliError::new(
                    "unexpected_status",
                    format!("the server answered {other} to a download"),
                )
                .into());
            }
        }
        let mut body = res.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if run.size.is_some_and(|s| run.have + chunk.len() as u64 > s) {
                return Err(CliError::new(
                    "unexpected_length",
                    "the server sent more bytes than the file has",
                )
                .into());
            }
            self.pace(chunk.len()).await;
            writer.update(chunk.clone()).await?;
            run.hasher.update(chunk.clone()).await?;
            run.have += chunk.len() as u64;
            self.progress.inc(chunk.len() as u64);
        }
        if let Some(size) = run.size
            && run.have != size
        {
            return Err(CliError::new(
                "unexpected_length",
                format!("the download stopped at {} of {size} bytes", run.have),
            )
            .into());
        }
        Ok(())
    }

    /// Drops what `.part` holds.
    async fn restart(&self, run: &mut Sequential, writer: &mut WriterThread) -> Result<()> {
        self.progress.dec(run.have);
        writer.truncate().await?;
        run.hasher = HashThread::hashing(Sha256::new());
        run.have = 0;
        run.resumed_at = 0;
        Ok(())
    }

    /// `parallel` ranges at once, written at their offsets into `part`.
    async fn ranged(
        &self,
        part: &Path,
        state_path: &Path,
        size: u64,
        checksum: &str,
        parallel: usize,
    ) -> Result<Unchecked> {
        let etag = format!("\"{checksum}\"");
        let saved = config::read_json::<RangeState>(state_path)
            .unwrap_or(None)
            .filter(|s| {
                s.source == self.source.key()
                    && s.checksum_sha256 == checksum
                    && s.size == size
                    && s.chunk_size > 0
            });
        let part_len = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let state = match saved {
            Some(s) if part_len == size => s,
            _ => {
                let chunk_size = chunk_size(size, parallel);
                // A .part from a sequential run holds a prefix: keep its whole chunks.
                let prefix = if part_len <= size { part_len } else { 0 };
                let done = (0..chunks(size, chunk_size))
                    .filter(|i| (i + 1) * chunk_size <= prefix)
                    .collect();
                RangeState {
                    source: self.source.key().to_string(),
                    checksum_sha256: checksum.to_string(),
                    size,
                    chunk_size,
                    done,
                }
            }
        };
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .read(true)
            .open(part)
            .with_context(|| format!("cannot open {}", part.display()))?;
        f.set_len(size)?;
        let f = Arc::new(f);
        let cs = state.chunk_size;
        let done: HashSet<u64> = state.done.iter().copied().collect();
        let resumed_at: u64 = done.iter().map(|i| (i * cs + cs).min(size) - i * cs).sum();
        if resumed_at > 0 {
            self.progress.event(&format!(
                "resuming: {} already here",
                format_size(resumed_at)
            ));
        }
        self.progress.skip(resumed_at);
        config::write_json_private(state_path, &state)?;
        let state = Arc::new(tokio::sync::Mutex::new(state));
        let todo: Vec<u64> = (0..chunks(size, cs))
            .filter(|i| !done.contains(i))
            .collect();
        let etag = &etag;
        futures::stream::iter(todo)
            .map(|i| {
                let f = f.clone();
                let state = state.clone();
                async move {
                    let start = i * cs;
                    let end = (start + cs).min(size);
                    self.fetch_range(&f, etag, start, end, size).await?;
                    let mut s = state.lock().await;
                    s.done.push(i);
                    config::write_json_private(state_path, &*s)?;
                    drop(s);
                    self.progress
                        .detail(&format!("bytes {start}-{} received", end - 1));
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(parallel)
            .try_collect::<Vec<()>>()
            .await?;
        if self.fsync {
            let f2 = f.clone();
            tokio::task::spawn_blocking(move || f2.sync_all())
                .await
                .context("the syncing thread failed")??;
        }
        self.progress.detail("verifying");
        let path = part.to_path_buf();
        let hash = tokio::task::spawn_blocking(move || hash_prefix(&path, size))
            .await
            .context("the hashing thread failed")??;
        Ok(Unchecked {
            size,
            resumed_at,
            sha256: hex::encode(hash.finalize()),
            expected: Some(checksum.to_string()),
        })
    }

    /// Bytes `start..end` into `f`, retried from where a broken try stopped.
    async fn fetch_range(
        &self,
        f: &Arc<std::fs::File>,
        etag: &str,
        start: u64,
        end: u64,
        size: u64,
    ) -> Result<()> {
        let mut at = start;
        let mut attempt = 1;
        while at < end {
            let before = at;
            match self.range_once(f, etag, &mut at, end, size).await {
                Ok(()) => {}
                Err(e) => {
                    if at > before {
                        attempt = 1;
                    }
                    if attempt >= TRIES || !retryable(&e) {
                        return Err(e);
                    }
                    let wait = backoff(Duration::from_millis(500), attempt);
                    self.retrying(attempt, &e, wait);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
        Ok(())
    }

    async fn range_once(
        &self,
        f: &Arc<std::fs::File>,
        etag: &str,
        at: &mut u64,
        end: u64,
        size: u64,
    ) -> Result<()> {
        let range = format!("bytes={}-{}", *at, end - 1);
        let res = self
            .source
            .get(&[("range", &range), ("if-range", etag)])
            .await?;
        if res.status() != StatusCode::PARTIAL_CONTENT {
            return Err(CliError::new(
                "file_changed",
                format!(
                    "the server answered {} to a range request: the file changed; delete the .part file and download again",
                    res.status()
                ),
            )
            .into());
        }
        let want = format!("bytes {}-{}/{size}", *at, end - 1);
        let got = header_str(res.headers(), CONTENT_RANGE);
        if got != want {
            return Err(CliError::new(
                "unexpected_range",
                format!("asked for {want}, the server sent `{got}`"),
            )
            .into());
        }
        // Written in pieces of 1 MiB: few system calls, little memory per connection.
        const PIECE: usize = 1 << 20;
        let mut body = res.bytes_stream();
        let mut buf: Vec<u8> = Vec::with_capacity(PIECE);
        let mut buf_at = *at;
        let flush = |buf: Vec<u8>, offset: u64| {
            let f = f.clone();
            async move {
                tokio::task::spawn_blocking(move || write_at(&f, &buf, offset))
                    .await
                    .context("the writing thread failed")?
                    .context("cannot write the .part file")
            }
        };
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    // Keep what arrived, so the retry asks only for the rest.
                    let n = buf.len() as u64;
                    flush(std::mem::take(&mut buf), buf_at).await?;
                    *at = buf_at + n;
                    return Err(e.into());
                }
            };
            if buf_at + (buf.len() + chunk.len()) as u64 > end {
                return Err(CliError::new(
                    "unexpected_length",
                    "the server sent more bytes than asked for",
                )
                .into());
            }
            self.pace(chunk.len()).await;
            buf.extend_from_slice(&chunk);
            self.progress.inc(chunk.len() as u64);
            if buf.len() >= PIECE {
                let n = buf.len() as u64;
                flush(
                    std::mem::replace(&mut buf, Vec::with_capacity(PIECE)),
                    buf_at,
                )
                .await?;
                buf_at += n;
                *at = buf_at;
            }
        }
        let n = buf.len() as u64;
        flush(buf, buf_at).await?;
        *at = buf_at + n;
        if *at != end {
            return Err(CliError::new(
                "unexpected_length",
                format!("a range stopped at byte {} of {}", *at, end),
            )
            .into());
        }
        Ok(())
    }

    fn retrying(&self, attempt: u32, e: &anyhow::Error, wait: Duration) {
        let msg = error_line(e);
        let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
        self.progress.event(&format!(
            "download failed (try {attempt} of {TRIES}): {msg}; retrying in {}",
            format_duration(wait)
        ));
    }
}

/// Where a sequential download stands.
struct Sequential {
    size: Option<u64>,
    /// The strong ETag of what `.part` holds.
    etag: Option<String>,
    /// Bytes in `.part`, all given to `hasher`.
    have: u64,
    hasher: HashThread,
    resumed_at: u64,
}

/// A download in `.part`, not yet checked.
struct Unchecked {
    size: u64,
    resumed_at: u64,
    sha256: String,
    /// The SHA-256 the server says the bytes have.
    expected: Option<String>,
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

fn header_str(headers: &HeaderMap, name: reqwest::header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The SHA-256 a response's strong ETag carries.
fn response_checksum(headers: &HeaderMap) -> Option<String> {
    etag_sha256(header_str(headers, ETAG))
}

impl Remote {
    /// The SHA-256 in the ETag.
    pub fn checksum(&self) -> Option<String> {
        self.etag.as_deref().and_then(etag_sha256)
    }
}

/// The SHA-256 in an ETag of the form `"<64 hex>"`.
fn etag_sha256(etag: &str) -> Option<String> {
    let inner = etag.strip_prefix('"')?.strip_suffix('"')?;
    (inner.len() == 64 && inner.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| inner.to_ascii_lowercase())
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

fn chunks(size: u64, chunk_size: u64) -> u64 {
    size.div_ceil(chunk_size).max(1)
}

/// About four ranges per connection, 1..=64 MiB each.
fn chunk_size(size: u64, parallel: usize) -> u64 {
    const MIB: u64 = 1 << 20;
    size.div_ceil(parallel as u64 * 4)
        .div_ceil(MIB)
        .clamp(1, 64)
        * MIB
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes() {
        const MIB: u64 = 1 << 20;
        assert_eq!(chunk_size(0, 4), MIB);
        assert_eq!(chunk_size(12 * MIB, 4), MIB);
        assert_eq!(chunk_size(160 * MIB, 4), 10 * MIB);
        assert_eq!(chunk_size(100_000 * MIB, 4), 64 * MIB);
        assert_eq!(chunks(0, MIB), 1);
        assert_eq!(chunks(12 * MIB + 1, MIB), 13);
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
