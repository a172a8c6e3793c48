//! `ferry download`: streams into `<path>.part`, resumes an existing `.part` with `Range` and
//! `If-Range: "<sha256>"`, verifies the SHA-256, then renames into place. With `--parallel N`,
//! N ranges are fetched at once and written at their offsets; which ranges are done is kept in
//! `<path>.part.state` so that an interrupted parallel download resumes too.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use ferry_api as api;
use ferry_client::Client;
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::output::{FileProgress, Progress};
use super::retry::{RateLimit, TRIES, backoff, retryable};
use super::units::{format_duration, format_rate, format_size, parse_size};
use super::{CliError, Common, Output, config, error_line, session};

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
    /// The file's id (fil_…), or a download link's URL (http(s)://…/d/<token>: no login
    /// needed, no credentials sent).
    #[arg(value_name = "FILE_ID|LINK_URL")]
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
    /// Flush the file to disk before moving it into place, so that it survives a power cut
    /// right after the command ends. Costs the disk's write time (curl and wget do not do it;
    /// the SHA-256 check does not need it).
    #[arg(long)]
    pub fsync: bool,
    #[command(flatten)]
    pub common: Common,
}

/// What `<path>.part.state` holds for a parallel download.
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

pub async fn run(args: DownloadArgs) -> Result<()> {
    if args.file_id.contains("://") {
        return super::link_download::run(args).await;
    }
    let out = Output::new(&args.common);
    let s = session(&args.common)?;
    let file = s.client.get_file(&args.file_id).await?;
    let size = file.size.max(0) as u64;
    let progress = Progress::new(out.progress_mode(), 1, size);
    let bar = Arc::new(progress.file(&file.name, size));
    let started = Instant::now();

    if args.output.as_deref() == Some(Path::new("-")) {
        let got = to_stdout(&s.client, &file, &bar).await;
        bar.finish();
        return got;
    }
    let dest = destination(args.output.as_deref(), &file)?;
    if dest.exists() && !args.force {
        return Err(CliError::new(
            "file_exists",
            format!("{} exists; use --force to replace it", dest.display()),
        )
        .into());
    }
    let part = with_suffix(&dest, ".part");
    let state = with_suffix(&dest, ".part.state");
    let dl = Downloader {
        client: s.client.clone(),
        source: Source::File(&file.id),
        checksum: &file.checksum_sha256,
        size,
        etag: format!("\"{}\"", file.checksum_sha256),
        progress: bar.clone(),
        limiter: args
            .limit_rate
            .filter(|r| *r > 0)
            .map(|r| Arc::new(RateLimit::new(r))),
        fsync: args.fsync,
    };
    let result = if size > 0 && (args.parallel > 1 || state.exists()) {
        dl.ranged(&part, &state, usize::from(args.parallel)).await
    } else {
        dl.sequential(&part).await
    };
    let (resumed_at, hash) = match result {
        Ok(r) => r,
        Err(e) => {
            bar.abandon();
            return Err(e);
        }
    };
    if hash != file.checksum_sha256 {
        config::remove_file(&part)?;
        config::remove_file(&state)?;
        bar.abandon();
        return Err(CliError::new(
            "checksum_mismatch",
            format!(
                "the downloaded bytes have SHA-256 {hash}, the file has {}; the partial file was removed, run the command again",
                file.checksum_sha256
            ),
        )
        .into());
    }
    std::fs::rename(&part, &dest)
        .with_context(|| format!("cannot move {} to {}", part.display(), dest.display()))?;
    if args.fsync {
        sync_dir(&dest);
    }
    config::remove_file(&state)?;
    bar.finish();
    progress.finish();
    let elapsed = started.elapsed();
    let fetched = size - resumed_at;
    out.result(&file, || {
        let resumed = if resumed_at > 0 {
            format!("; resumed at {}", format_size(resumed_at))
        } else {
            String::new()
        };
        format!(
            "Downloaded {} ({}) to {} in {} ({}), SHA-256 verified{resumed}",
            file.id,
            format_size(size),
            dest.display(),
            format_duration(elapsed),
            format_rate(fetched, elapsed)
        )
    });
    Ok(())
}

/// Where the file goes: `PATH`, `PATH/<name>` for a directory, or `./<name>`.
fn destination(output: Option<&Path>, file: &api::File) -> Result<PathBuf> {
    let name = safe_name(&file.name, &file.id);
    Ok(match output {
        Some(p) if p.is_dir() => p.join(name),
        Some(p) => p.to_path_buf(),
        None => PathBuf::from(name),
    })
}

/// The last component of a name, never `..` or empty.
fn safe_name(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if last.is_empty() || last == "." || last == ".." {
        fallback.to_string()
    } else {
        last.to_string()
    }
}

pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

pub(super) fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Where the bytes come from.
pub(super) enum Source<'a> {
    /// `GET /files/{id}/content`, with the session's credentials.
    File(&'a str),
    /// A download link's URL, without credentials.
    Link(&'a str),
}

impl Source<'_> {
    fn key(&self) -> &str {
        match self {
            Source::File(id) => id,
            Source::Link(url) => url,
        }
    }
}

pub(super) struct Downloader<'a> {
    pub client: Client,
    pub source: Source<'a>,
    /// The SHA-256 (hex) the bytes must have.
    pub checksum: &'a str,
    pub size: u64,
    pub etag: String,
    pub progress: Arc<FileProgress>,
    pub limiter: Option<Arc<RateLimit>>,
    pub fsync: bool,
}

impl Downloader<'_> {
    async fn get(&self, headers: &[(&str, &str)]) -> Result<reqwest::Response> {
        Ok(match self.source {
            Source::File(id) => self.client.content(id, headers).await?,
            Source::Link(url) => self.client.link_content(url, headers).await?,
        })
    }

    async fn pace(&self, n: usize) {
        if let Some(l) = &self.limiter {
            l.take(n as u64).await;
        }
    }

    /// One request for everything after what `.part` already holds; on a broken connection,
    /// again from where it stopped. Returns where it resumed and the SHA-256.
    async fn sequential(&self, part: &Path) -> Result<(u64, String)> {
        let mut have = match std::fs::metadata(part) {
            Ok(m) if m.len() <= self.size => m.len(),
            Ok(_) => {
                std::fs::File::create(part)?;
                0
            }
            Err(_) => 0,
        };
        let (prefix, resumed_at) = if have > 0 {
            self.progress
                .event(&format!("resuming at {}", format_size(have)));
            let path = part.to_path_buf();
            let h = tokio::task::spawn_blocking(move || hash_prefix(&path, have))
                .await
                .context("the hashing thread failed")??;
            (h, have)
        } else {
            (Sha256::new(), 0)
        };
        let mut hasher = HashThread::hashing(prefix);
        self.progress.skip(have);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(part)
            .with_context(|| format!("cannot open {}", part.display()))?;
        let mut writer = WriterThread::writing(file);
        let mut attempt = 1;
        while have < self.size {
            let before = have;
            match self.stream_into(&mut writer, &mut hasher, &mut have).await {
                Ok(()) => {}
                Err(e) => {
                    // A failed try that still brought bytes does not count against the limit.
                    if have > before {
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
        Ok((resumed_at, hex::encode(hasher.finish().await?.finalize())))
    }

    /// One request from `*have` to the end, appended to `.part` by `writer`.
    async fn stream_into(
        &self,
        writer: &mut WriterThread,
        hasher: &mut HashThread,
        have: &mut u64,
    ) -> Result<()> {
        let range = format!("bytes={have}-");
        let headers: Vec<(&str, &str)> = if *have > 0 {
            vec![("range", &range), ("if-range", &self.etag)]
        } else {
            vec![]
        };
        let res = self.get(&headers).await?;
        match res.status() {
            StatusCode::PARTIAL_CONTENT => {
                check_content_range(&res, *have, self.size - 1, self.size)?;
            }
            StatusCode::OK => {
                if *have > 0 {
                    // The content changed since the .part was written: start over.
                    self.progress
                        .event("the file changed on the server; starting over");
                    self.progress.dec(*have);
                    writer.truncate().await?;
                    *hasher = HashThread::hashing(Sha256::new());
                    *have = 0;
                }
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
            if *have + chunk.len() as u64 > self.size {
                return Err(CliError::new(
                    "unexpected_length",
                    "the server sent more bytes than the file has",
                )
                .into());
            }
            self.pace(chunk.len()).await;
            writer.update(chunk.clone()).await?;
            hasher.update(chunk.clone()).await?;
            *have += chunk.len() as u64;
            self.progress.inc(chunk.len() as u64);
        }
        if *have != self.size {
            return Err(CliError::new(
                "unexpected_length",
                format!("the download stopped at {} of {} bytes", *have, self.size),
            )
            .into());
        }
        Ok(())
    }

    /// `parallel` ranges at once, written at their offsets into `part`.
    pub(super) async fn ranged(
        &self,
        part: &Path,
        state_path: &Path,
        parallel: usize,
    ) -> Result<(u64, String)> {
        let saved = config::read_json::<RangeState>(state_path)
            .unwrap_or(None)
            .filter(|s| {
                s.source == self.source.key()
                    && s.checksum_sha256 == self.checksum
                    && s.size == self.size
                    && s.chunk_size > 0
            });
        let part_len = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let state = match saved {
            Some(s) if part_len == self.size => s,
            _ => {
                let chunk_size = chunk_size(self.size, parallel);
                // A .part from a sequential run holds a prefix: keep its whole chunks.
                let prefix = if part_len <= self.size { part_len } else { 0 };
                let done = (0..chunks(self.size, chunk_size))
                    .filter(|i| (i + 1) * chunk_size <= prefix)
                    .collect();
                RangeState {
                    source: self.source.key().to_string(),
                    checksum_sha256: self.checksum.to_string(),
                    size: self.size,
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
        f.set_len(self.size)?;
        let f = Arc::new(f);
        let cs = state.chunk_size;
        let done: std::collections::HashSet<u64> = state.done.iter().copied().collect();
        let resumed_at: u64 = done
            .iter()
            .map(|i| (i * cs + cs).min(self.size) - i * cs)
            .sum();
        if resumed_at > 0 {
            self.progress.event(&format!(
                "resuming: {} already here",
                format_size(resumed_at)
            ));
        }
        self.progress.skip(resumed_at);
        config::write_json_private(state_path, &state)?;
        let state = Arc::new(tokio::sync::Mutex::new(state));
        let todo: Vec<u64> = (0..chunks(self.size, cs))
            .filter(|i| !done.contains(i))
            .collect();
        futures::stream::iter(todo)
            .map(|i| {
                let f = f.clone();
                let state = state.clone();
                async move {
                    let start = i * cs;
                    let end = (start + cs).min(self.size);
                    self.fetch_range(&f, start, end).await?;
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
        let size = self.size;
        let hash = tokio::task::spawn_blocking(move || hash_prefix(&path, size))
            .await
            .context("the hashing thread failed")??;
        Ok((resumed_at, hex::encode(hash.finalize())))
    }

    /// Bytes `start..end` into `f`, retried from where a broken try stopped.
    async fn fetch_range(&self, f: &Arc<std::fs::File>, start: u64, end: u64) -> Result<()> {
        let mut at = start;
        let mut attempt = 1;
        while at < end {
            let before = at;
            match self.range_once(f, &mut at, end).await {
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

    async fn range_once(&self, f: &Arc<std::fs::File>, at: &mut u64, end: u64) -> Result<()> {
        let range = format!("bytes={}-{}", *at, end - 1);
        let res = self
            .get(&[("range", &range), ("if-range", &self.etag)])
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
        check_content_range(&res, *at, end - 1, self.size)?;
        let mut body = res.bytes_stream();
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
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
            if buf.len() >= 1 << 20 {
                let n = buf.len() as u64;
                flush(
                    std::mem::replace(&mut buf, Vec::with_capacity(1 << 20)),
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

/// A thread of its own that does something with every chunk of a download as it arrives
/// (hash it, write it): the task reading the socket only hands the chunks over (they are
/// reference-counted, not copied), so receiving, writing and hashing overlap instead of
/// taking turns. SHA-256 is the slowest of the three (about 2 GB/s on one core here), so it
/// gets its own thread, and so does writing.
pub(super) struct ChunkThread<T> {
    chunks: Option<tokio::sync::mpsc::Sender<bytes::Bytes>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<T>>>,
    what: &'static str,
}

/// SHA-256 of a download, continued from a resumed download's prefix.
pub(super) type HashThread = ChunkThread<Sha256>;

impl HashThread {
    pub(super) fn hashing(hasher: Sha256) -> HashThread {
        ChunkThread::start("hashing", hasher, |h, chunk| {
            h.update(chunk);
            Ok(())
        })
    }
}

/// Appends a download's chunks to its `.part` file.
pub(super) type WriterThread = ChunkThread<std::fs::File>;

impl WriterThread {
    pub(super) fn writing(file: std::fs::File) -> WriterThread {
        ChunkThread::start("writing", file, |f, chunk| {
            use std::io::Write;
            f.write_all(chunk)
        })
    }

    /// Waits until every chunk handed over is in the file (so that `.part` holds all that was
    /// received, for a retry or the next run), then goes on writing.
    pub(super) async fn flush(&mut self) -> Result<()> {
        let file = self.finish().await?;
        *self = WriterThread::writing(file);
        Ok(())
    }

    /// Empties the file (it is opened for appending, so writing starts again at 0).
    pub(super) async fn truncate(&mut self) -> Result<()> {
        let file = self.finish().await?;
        file.set_len(0)?;
        *self = WriterThread::writing(file);
        Ok(())
    }
}

impl<T: Send + 'static> ChunkThread<T> {
    fn start(
        what: &'static str,
        state: T,
        each: fn(&mut T, &[u8]) -> std::io::Result<()>,
    ) -> ChunkThread<T> {
        // 256 network chunks (a few MiB) may wait: enough to ride out uneven arrival, small
        // enough that a slow thread holds the download back rather than filling memory.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(256);
        let thread = std::thread::spawn(move || {
            let mut state = state;
            while let Some(chunk) = rx.blocking_recv() {
                each(&mut state, &chunk)?;
            }
            Ok(state)
        });
        ChunkThread {
            chunks: Some(tx),
            thread: Some(thread),
            what,
        }
    }

    /// Hands a chunk over; an error if the thread stopped (its error comes with `finish`).
    pub(super) async fn update(&mut self, chunk: bytes::Bytes) -> Result<()> {
        let sent = match &self.chunks {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if !sent {
            let stopped = self.finish().await.err();
            return Err(
                stopped.unwrap_or_else(|| anyhow::anyhow!("the {} thread stopped", self.what))
            );
        }
        Ok(())
    }

    /// Waits for every chunk handed over so far to be done; returns the state.
    pub(super) async fn finish(&mut self) -> Result<T> {
        drop(self.chunks.take());
        let what = self.what;
        let thread = self
            .thread
            .take()
            .with_context(|| format!("the {what} thread is gone"))?;
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .with_context(|| format!("the {what} thread failed"))?
            .map_err(|_| anyhow::anyhow!("the {what} thread panicked"))?
            .with_context(|| format!("{what} the download failed"))
    }
}

/// Streams the whole file to stdout, then checks its SHA-256 (exit 1 when it differs).
async fn to_stdout(client: &Client, file: &api::File, progress: &FileProgress) -> Result<()> {
    let res = client.content(&file.id, &[]).await?;
    let mut hasher = Sha256::new();
    let mut out = tokio::io::stdout();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        hasher.update(&chunk);
        out.write_all(&chunk).await?;
        progress.inc(chunk.len() as u64);
    }
    out.flush().await?;
    let hash = hex::encode(hasher.finalize());
    if hash != file.checksum_sha256 {
        return Err(CliError::new(
            "checksum_mismatch",
            format!(
                "the bytes written have SHA-256 {hash}, the file has {}",
                file.checksum_sha256
            ),
        )
        .into());
    }
    Ok(())
}

/// Checks `Content-Range: bytes <start>-<end>/<size>`.
fn check_content_range(res: &reqwest::Response, start: u64, end: u64, size: u64) -> Result<()> {
    let want = format!("bytes {start}-{end}/{size}");
    let got = res
        .headers()
        .get(reqwest::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if got != want {
        return Err(CliError::new(
            "unexpected_range",
            format!("asked for {want}, the server sent `{got}`"),
        )
        .into());
    }
    Ok(())
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

/// SHA-256 state over the first `len` bytes of `path`.
pub(super) fn hash_prefix(path: &Path, len: u64) -> std::io::Result<Sha256> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut r = f.take(len);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
    if total != len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("{} is shorter than expected", path.display()),
        ));
    }
    Ok(h)
}

fn write_at(f: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        f.write_all_at(buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            done += f.seek_write(&buf[done..], offset + done as u64)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_in_the_directory() {
        assert_eq!(safe_name("report.pdf", "fil_1"), "report.pdf");
        assert_eq!(safe_name("../../etc/passwd", "fil_1"), "passwd");
        assert_eq!(safe_name("a\\b.txt", "fil_1"), "b.txt");
        assert_eq!(safe_name("..", "fil_1"), "fil_1");
        assert_eq!(safe_name("dir/", "fil_1"), "fil_1");
    }

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
}
