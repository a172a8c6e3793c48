//! Uploading one file with the native resumable protocol (`POST /uploads`, `PATCH` parts,
//! `POST complete`, polling on `202`): parts in parallel, retried, resumable across runs.
//!
//! The file's SHA-256 is computed on a blocking thread while the first parts are already on
//! their way; it is only needed at `complete`, where the server checks it: that is the
//! end-to-end check. Each part streams from the file (a few 256 KiB chunks per part in
//! memory). With `verify_parts` each part is also hashed as it is read and compared with the
//! SHA-256 in the server's answer, and a part the server got otherwise is sent again.
//!
//! Resume: right after an upload is created, `<config>/uploads/<key>.json` records its id, where
//! `key` is the SHA-256 of the file's absolute path, size, modification time, server and folder.
//! Running the same command again asks the server which parts it has and sends only the others.
//! The file is deleted once the upload is complete.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use anyhow::{Context, Result};
use bytes::Bytes;
use ferry_api as api;
use ferry_client::Client;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rate::RateLimit;
use super::retry::{TRIES, retry};
use crate::cli::output::FileProgress;
use crate::cli::units::{format_duration, format_size};
use crate::cli::{CliError, config, error_line};

/// A local file to upload, as it was when the command started.
pub struct LocalFile {
    /// Absolute.
    pub path: PathBuf,
    /// The name it gets on the server.
    pub name: String,
    pub size: u64,
    pub mtime_ns: u128,
}

/// How to upload.
pub struct Options {
    /// Parts sent at once.
    pub parallel: usize,
    /// The part size asked for; `None`: [`part_size`]'s choice.
    pub part_size: Option<u64>,
    /// `rename`, `fail` or `new_version`.
    pub on_conflict: &'static str,
    pub no_resume: bool,
    pub verify_parts: bool,
    /// Through an upload link: the uploader's name and e-mail, kept with the file.
    pub uploader_name: Option<String>,
    pub uploader_email: Option<String>,
}

const MIB: u64 = 1 << 20;
/// At most this many parts per upload (the server's limit; its part sizes: 5 MiB..=5 GiB).
const MAX_PARTS: u64 = 10_000;
/// The default part size, as aws-cli's: an interrupted upload loses at most the parts in
/// flight (4 × 8 MiB by default), where whole 64 MiB parts lost up to 256 MiB.
const DEFAULT_PART_SIZE: u64 = 8 * MIB;

/// The part size for a file of `size` bytes: [`DEFAULT_PART_SIZE`], grown in whole MiB only as
/// far as the server's limit of 10,000 parts needs (from about 78 GiB on).
pub fn part_size(size: u64) -> u64 {
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    DEFAULT_PART_SIZE.max(needed)
}

/// What a resume file holds.
#[derive(Debug, Serialize, Deserialize)]
struct ResumeState {
    upload_id: String,
    server_url: String,
    folder_id: String,
    path: PathBuf,
    size: u64,
    mtime_ns: u128,
    part_size: u64,
    /// What the upload was created with (absent in files of clients before versions, which
    /// only knew `rename` and `fail`).
    #[serde(default)]
    on_conflict: Option<String>,
}

/// One file's upload.
pub struct Uploader<'a> {
    pub client: Client,
    /// The server, for the resume file's key.
    pub server_url: String,
    pub folder_id: String,
    pub options: &'a Options,
    pub progress: Arc<FileProgress>,
    pub limiter: Option<Arc<RateLimit>>,
}

/// How an upload went.
pub struct Stats {
    /// Bytes sent in this run.
    pub sent: u64,
    /// The upload id, when an earlier run's upload was resumed.
    pub resumed: Option<String>,
}

impl Uploader<'_> {
    /// Uploads `source` (or resumes its earlier upload); returns the stored file.
    pub async fn upload(&self, source: &LocalFile) -> Result<(api::File, Stats)> {
        let resume_path = config::uploads_dir()?.join(format!("{}.json", self.resume_key(source)));
        // The whole-file hash, on its own thread, while parts go out.
        let hash_path = source.path.clone();
        let cancel = CancelOnDrop(Arc::new(AtomicBool::new(false)));
        let stop = cancel.0.clone();
        let hashing = tokio::task::spawn_blocking(move || hash_file(&hash_path, &stop));

        let mut resumed = None;
        let mut upload = None;
        if !self.options.no_resume {
            upload = self.resume(&resume_path, source).await?;
            resumed = upload.as_ref().map(|u| u.upload_id.clone());
        }
        let upload = match upload {
            Some(u) => u,
            None => {
                let u = self
                    .client
                    .create_upload(&api::CreateUpload {
                        uploader_name: self.options.uploader_name.clone(),
                        uploader_email: self.options.uploader_email.clone(),
                        folder_id: self.folder_id.clone(),
                        filename: source.name.clone(),
                        size: source.size as i64,
                        checksum_sha256: None,
                        part_size: Some(
                            self.options
                                .part_size
                                .unwrap_or_else(|| part_size(source.size))
                                as i64,
                        ),
                        on_conflict: Some(self.options.on_conflict.into()),
                        relative_path: None,
                        // Kept as the file's `client_modified_at`: what `ferry sync` compares.
                        modified_at: (source.mtime_ns > 0).then(|| {
                            ferry_core::timefmt::rfc3339((source.mtime_ns / 1_000_000) as i64)
                        }),
                    })
                    .await?;
                config::write_json_private(
                    &resume_path,
                    &ResumeState {
                        upload_id: u.upload_id.clone(),
                        server_url: self.server_url.clone(),
                        folder_id: self.folder_id.clone(),
                        path: source.path.clone(),
                        size: source.size,
                        mtime_ns: source.mtime_ns,
                        part_size: u.part_size as u64,
                        on_conflict: Some(self.options.on_conflict.to_string()),
                    },
                )?;
                self.progress.detail(&format!(
                    "upload {} created: {} parts of {}",
                    u.upload_id,
                    u.part_count,
                    format_size(u.part_size as u64)
                ));
                u
            }
        };
        let result = self.finish_upload(source, &upload, hashing).await;
        match &result {
            Ok(_) => {
                config::remove_file(&resume_path)?;
            }
            Err(e) if upload_is_dead(e) => {
                config::remove_file(&resume_path)?;
            }
            Err(_) => {}
        }
        drop(cancel);
        let (file, sent) = result?;
        Ok((file, Stats { sent, resumed }))
    }

    /// The resume file's key: SHA-256 of what identifies this file and this destination.
    fn resume_key(&self, source: &LocalFile) -> String {
        let mut h = Sha256::new();
        h.update(source.path.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(source.size.to_string());
        h.update([0]);
        h.update(source.mtime_ns.to_string());
        h.update([0]);
        h.update(self.server_url.as_bytes());
        h.update([0]);
        h.update(self.folder_id.as_bytes());
        hex::encode(h.finalize())
    }

    /// The upload an earlier run left, if it can go on.
    async fn resume(&self, resume_path: &Path, source: &LocalFile) -> Result<Option<api::Upload>> {
        let Some(state) = config::read_json::<ResumeState>(resume_path).unwrap_or(None) else {
            return Ok(None);
        };
        if state.server_url != self.server_url
            || state.folder_id != self.folder_id
            || state.size != source.size
            || state.mtime_ns != source.mtime_ns
        {
            config::remove_file(resume_path)?;
            return Ok(None);
        }
        match self.client.get_upload(&state.upload_id).await {
            Ok(u)
                if matches!(u.status.as_str(), "open" | "completing" | "completed")
                    && !same_conflict_mode(
                        state.on_conflict.as_deref(),
                        self.options.on_conflict,
                    ) =>
            {
                // An upload made to rename (or fail) on a name conflict would not become a new
                // version, nor the other way round: one of another kind starts over.
                self.progress.event(&format!(
                    "earlier upload {} was made with on_conflict {}, not {}; starting over",
                    u.upload_id,
                    state.on_conflict.as_deref().unwrap_or("rename or fail"),
                    self.options.on_conflict,
                ));
                // Its parts would hold quota until it expires.
                if u.status == "open"
                    && let Err(e) = self.client.abort_upload(&u.upload_id).await
                {
                    self.progress.detail(&format!(
                        "could not abort {}: {}",
                        u.upload_id,
                        error_line(&e.into())
                    ));
                }
                config::remove_file(resume_path)?;
                Ok(None)
            }
            Ok(u) if matches!(u.status.as_str(), "open" | "completing" | "completed") => {
                self.progress.event(&format!(
                    "resuming upload {}: {} of {} parts already on the server",
                    u.upload_id,
                    u.received_parts.len(),
                    u.part_count
                ));
                Ok(Some(u))
            }
            Ok(u) => {
                self.progress.event(&format!(
                    "earlier upload {} is {}; starting over",
                    u.upload_id, u.status
                ));
                config::remove_file(resume_path)?;
                Ok(None)
            }
            Err(e)
                if e.status()
                    .is_some_and(|s| s.as_u16() == 404 || s.as_u16() == 410) =>
            {
                config::remove_file(resume_path)?;
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Sends what is missing, completes, verifies. Returns the file and the bytes sent.
    async fn finish_upload(
        &self,
        source: &LocalFile,
        upload: &api::Upload,
        hashing: tokio::task::JoinHandle<std::io::Result<(String, u64)>>,
    ) -> Result<(api::File, u64)> {
        let sent = Arc::new(AtomicU64::new(0));
        if upload.status == "completed" {
            let id = upload
                .file_id
                .as_deref()
                .context("a completed upload has a file")?;
            return Ok((self.client.get_file(id).await?, 0));
        }
        let received: HashSet<i64> = upload.received_parts.iter().copied().collect();
        let already: u64 = upload
            .parts
            .iter()
            .filter(|p| received.contains(&p.part_no))
            .map(|p| p.size as u64)
            .sum();
        self.progress.skip(already);
        let missing: Vec<api::UploadPart> = if upload.status == "open" {
            upload
                .parts
                .iter()
                .filter(|p| !received.contains(&p.part_no))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        self.send_parts(source, upload, missing, &sent).await?;

        let (checksum, hashed) = hashing
            .await
            .context("the hashing thread failed")?
            .with_context(|| format!("cannot read {}", source.path.display()))?;
        let now = std::fs::metadata(&source.path)
            .with_context(|| format!("cannot read {}", source.path.display()))?;
        if hashed != source.size || now.len() != source.size || mtime_ns(&now) != source.mtime_ns {
            return Err(CliError::new(
                "file_changed",
                "the file changed while it was being uploaded; run the command again",
            )
            .into());
        }
        let all: Vec<i64> = (1..=upload.part_count).collect();
        let mut round = 0;
        let file = loop {
            round += 1;
            let body = api::CompleteUpload {
                parts: Some(all.clone()),
                checksum_sha256: Some(checksum.clone()),
            };
            let outcome = retry(
                |_| async {
                    Ok(self
                        .client
                        .complete_upload(&upload.upload_id, &body)
                        .await?)
                },
                |attempt, e, wait| self.retrying("completing", attempt, e, wait),
            )
            .await;
            match outcome {
                Ok(Ok(file)) => break file,
                Ok(Err(pending)) => break self.wait_for_completion(pending).await?,
                // Parts the server does not have after all: send them, once.
                Err(e) if round == 1 && code_of(&e) == Some("upload_incomplete") => {
                    let missing_nos = missing_parts(&e);
                    let missing: Vec<api::UploadPart> = upload
                        .parts
                        .iter()
                        .filter(|p| missing_nos.contains(&p.part_no))
                        .cloned()
                        .collect();
                    if missing.is_empty() {
                        return Err(e);
                    }
                    let bytes: u64 = missing.iter().map(|p| p.size as u64).sum();
                    self.progress.dec(bytes);
                    self.send_parts(source, upload, missing, &sent).await?;
                }
                Err(e) => return Err(e),
            }
        };
        if file.checksum_sha256 != checksum || file.size as u64 != source.size {
            return Err(CliError::new(
                "checksum_mismatch",
                format!(
                    "the server stored {} bytes with SHA-256 {}, expected {} bytes with {checksum}",
                    file.size, file.checksum_sha256, source.size
                ),
            )
            .into());
        }
        Ok((file, sent.load(Ordering::Relaxed)))
    }

    async fn send_parts(
        &self,
        source: &LocalFile,
        upload: &api::Upload,
        parts: Vec<api::UploadPart>,
        sent: &Arc<AtomicU64>,
    ) -> Result<()> {
        let part_count = upload.part_count;
        futures::stream::iter(parts)
            .map(|part| self.send_part(source, &upload.upload_id, part, part_count, sent.clone()))
            .buffer_unordered(self.options.parallel.max(1))
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn send_part(
        &self,
        source: &LocalFile,
        upload_id: &str,
        part: api::UploadPart,
        part_count: i64,
        sent: Arc<AtomicU64>,
    ) -> Result<()> {
        let size = part.size as u64;
        let part = &part;
        retry(
            |_| {
                let sent = sent.clone();
                async move {
                    let counted = Arc::new(AtomicU64::new(0));
                    let (body, digest) =
                        self.part_body(source, part, counted.clone(), sent.clone());
                    let result = self
                        .client
                        .put_part_sized(upload_id, part.part_no, body, size, None)
                        .await;
                    let receipt = match result {
                        Ok(r) => r,
                        Err(e) => {
                            // What went out must go again.
                            let n = counted.load(Ordering::Relaxed);
                            self.progress.dec(n);
                            sent.fetch_sub(n, Ordering::Relaxed);
                            return Err(e.into());
                        }
                    };
                    // The server answered after the whole body, so the reader is done.
                    let digest = digest
                        .await
                        .context("the reading thread failed")?
                        .with_context(|| format!("cannot read {}", source.path.display()))?;
                    let damaged = digest.is_some_and(|d| receipt.checksum_sha256 != hex::encode(d));
                    if damaged || receipt.size as u64 != size {
                        return Err(anyhow::Error::from(CliError::new(
                            "part_checksum_mismatch",
                            format!(
                                "the server stored part {} with another checksum",
                                part.part_no
                            ),
                        )));
                    }
                    Ok(())
                }
            },
            |attempt, e, wait| self.retrying(&format!("part {}", part.part_no), attempt, e, wait),
        )
        .await
        .with_context(|| format!("part {}", part.part_no))?;
        self.progress.detail(&format!(
            "part {}/{part_count} acknowledged ({})",
            part.part_no,
            format_size(size)
        ));
        Ok(())
    }

    /// A part's body, read from the file by a blocking thread, so a part is never held in
    /// memory whole and its first bytes go out at once. The chunks are counted into the
    /// progress as they go out and paced by `--limit-rate`. With `--verify-parts` the thread
    /// also hashes what it reads: the second value is then the part's SHA-256, there once the
    /// last chunk has been read, for the caller to compare with the one the server computed.
    /// (A `Content-Digest` header would need the hash before the first byte, that is a second
    /// read of the part and its whole latency up front.)
    fn part_body(
        &self,
        source: &LocalFile,
        part: &api::UploadPart,
        counted: Arc<AtomicU64>,
        sent: Arc<AtomicU64>,
    ) -> (
        reqwest::Body,
        tokio::sync::oneshot::Receiver<std::io::Result<Option<[u8; 32]>>>,
    ) {
        let chunk = if self.limiter.is_some() {
            64 << 10
        } else {
            256 << 10
        };
        // A few chunks ahead of the socket: enough to keep it busy, little memory.
        let (chunks, received) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(8);
        let (digest_tx, digest_rx) = tokio::sync::oneshot::channel();
        let path = source.path.clone();
        let (offset, size) = (part.offset as u64, part.size as u64);
        let hash = self.options.verify_parts;
        std::thread::spawn(move || {
            let digest = read_part(&path, offset, size, chunk, hash, &chunks);
            if let Err(e) = &digest {
                let _ = chunks.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
            }
            drop(chunks);
            let _ = digest_tx.send(digest);
        });
        let progress = self.progress.clone();
        let limiter = self.limiter.clone();
        let received = futures::stream::unfold(received, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let stream = received.then(move |item| {
            let progress = progress.clone();
            let limiter = limiter.clone();
            let counted = counted.clone();
            let sent = sent.clone();
            async move {
                let data = item?;
                let n = data.len() as u64;
                if let Some(l) = &limiter {
                    l.take(n).await;
                }
                progress.inc(n);
                counted.fetch_add(n, Ordering::Relaxed);
                sent.fetch_add(n, Ordering::Relaxed);
                Ok::<_, std::io::Error>(data)
            }
        });
        (reqwest::Body::wrap_stream(stream), digest_rx)
    }

    /// Polls a `completing` upload until it is done.
    async fn wait_for_completion(&self, mut upload: api::Upload) -> Result<api::File> {
        self.progress.detail("verifying on the server");
        let started = Instant::now();
        loop {
            match upload.status.as_str() {
                "completed" => {
                    let id = upload
                        .file_id
                        .as_deref()
                        .context("a completed upload has a file")?;
                    return Ok(self.client.get_file(id).await?);
                }
                "completing" | "open" => {}
                "failed" => {
                    return Err(CliError::new(
                        "checksum_mismatch",
                        "the server's verification failed: the file's SHA-256 does not match",
                    )
                    .into());
                }
                other => {
                    return Err(CliError::new(
                        "upload_failed",
                        format!("the upload ended as `{other}`"),
                    )
                    .into());
                }
            }
            let wait = if started.elapsed() < Duration::from_secs(10) {
                Duration::from_millis(250)
            } else {
                Duration::from_secs(2)
            };
            tokio::time::sleep(wait).await;
            upload = retry(
                |_| async { Ok(self.client.get_upload(&upload.upload_id).await?) },
                |attempt, e, wait| self.retrying("checking", attempt, e, wait),
            )
            .await?;
        }
    }

    fn retrying(&self, what: &str, attempt: u32, e: &anyhow::Error, wait: Duration) {
        let msg = error_line(e);
        let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
        self.progress.event(&format!(
            "{what} failed (try {attempt} of {}): {msg}; retrying in {}",
            TRIES,
            format_duration(wait)
        ));
    }
}

fn code_of(e: &anyhow::Error) -> Option<&str> {
    e.chain().find_map(|c| {
        c.downcast_ref::<ferry_client::ClientError>()
            .and_then(|c| c.code())
            .or_else(|| c.downcast_ref::<CliError>().map(|c| c.code))
    })
}

fn missing_parts(e: &anyhow::Error) -> Vec<i64> {
    e.chain()
        .find_map(|c| match c.downcast_ref::<ferry_client::ClientError>() {
            Some(ferry_client::ClientError::Api { body, .. }) => body.error.details.clone(),
            _ => None,
        })
        .and_then(|d| d.get("missing_parts").cloned())
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default()
}

/// Whether an upload created with on_conflict `made_as` (`None`: by a client before versions,
/// which only knew `rename` and `fail`) can go on as one with `wanted`.
fn same_conflict_mode(made_as: Option<&str>, wanted: &str) -> bool {
    match made_as {
        Some(m) => m == wanted,
        None => wanted != "new_version",
    }
}

/// Errors after which the upload cannot go on, so its resume file goes.
fn upload_is_dead(e: &anyhow::Error) -> bool {
    matches!(
        code_of(e),
        Some(
            "upload_session_expired"
                | "upload_aborted"
                | "upload_failed"
                | "checksum_mismatch"
                | "file_changed"
                | "not_found"
        )
    )
}

/// Tells the hashing thread to stop when the upload is over, however it ended.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// SHA-256 (hex) of a file and the number of bytes read; gives up when `stop` is set.
fn hash_file(path: &Path, stop: &AtomicBool) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("hashing cancelled"));
        }
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok((hex::encode(h.finalize()), total));
        }
        h.update(&buf[..n]);
        total += n as u64;
    }
}

/// Reads `len` bytes of `path` from `offset` in `chunk`-sized pieces into `out`; with `hash`,
/// returns their SHA-256. Stops early (with an error) when `out` is closed: the request is over.
fn read_part(
    path: &Path,
    offset: u64,
    len: u64,
    chunk: usize,
    hash: bool,
    out: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) -> std::io::Result<Option<[u8; 32]>> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path)?;
    let mut h = hash.then(Sha256::new);
    let mut at = 0u64;
    while at < len {
        let mut buf = vec![0u8; chunk.min((len - at) as usize)];
        f.read_exact_at(&mut buf, offset + at)?;
        if let Some(h) = h.as_mut() {
            h.update(&buf);
        }
        at += buf.len() as u64;
        if out.blocking_send(Ok(Bytes::from(buf))).is_err() {
            return Err(std::io::Error::other("the request ended"));
        }
    }
    Ok(h.map(|h| h.finalize().into()))
}

/// A file's modification time in nanoseconds since the epoch (0 where there is none).
pub fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_stay_small_within_the_part_limit() {
        assert_eq!(part_size(0), 8 * MIB);
        assert_eq!(part_size(1), 8 * MIB);
        assert_eq!(part_size(1 << 30), 8 * MIB);
        // 10,000 parts of 8 MiB: the largest file at the default size.
        assert_eq!(part_size(MAX_PARTS * 8 * MIB), 8 * MIB);
        assert_eq!(part_size(MAX_PARTS * 8 * MIB + 1), 9 * MIB);
        for size in [100u64 << 30, 1 << 40, 5 << 40] {
            let p = part_size(size);
            assert!(size.div_ceil(p) <= MAX_PARTS, "{size}: {p}");
            assert!(
                p.is_multiple_of(MIB) && p < size.div_ceil(MAX_PARTS) + MIB,
                "{size}: {p}"
            );
        }
    }
}
