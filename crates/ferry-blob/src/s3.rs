//! Blobs in an S3-compatible bucket (`object_store`'s `AmazonS3`), for any number of nodes.
//!
//! Keys: a simple upload is written to `blobs/s-<random>` and a resumable upload is composed
//! at `blobs/u-<upload id>`; both stay there once published (an object store cannot rename),
//! so the metadata store keeps each blob's key. tus chunks too small to be a multipart part
//! wait in `tmp/<upload id>/<offset>` until enough of them make one.
//!
//! No node keeps state of its own. A resumable upload is one S3 multipart upload whose id is
//! the session's handle (kept in the database). A native part of the upload is written as
//! `k` consecutive S3 parts (about [`TARGET_PART`] each, so a request buffers one S3 part,
//! not a whole native part), at S3 part numbers fixed by its own number: parts may arrive in
//! any order, through any node, and a part sent again overwrites its S3 parts. Their ETags
//! are the part's receipt. A tus upload is written front to back: each append adds S3 parts
//! of at least [`TARGET_PART`]; what is left over (less than a part) waits in a temporary
//! object and is merged into the next part, and the handle (multipart id, ETags, temporary
//! objects) is returned with every append for the caller to store with the new offset.
//! Sealing completes the multipart upload. docs/scale-out.md has the costs.
//!
//! Every multipart upload is recorded in the [`UploadLedger`] given with
//! [`S3BlobStore::with_ledger`] before its first part is sent, and forgotten once completed or
//! aborted, so that the metadata store's sweep can abort what a crash leaves. An abort waits
//! for this node's part writes to the upload still in flight (a part that lands after the
//! abort would stay behind on stores that accept it, as s3s-fs does).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::FuturesOrdered;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{ClientOptions, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use crate::{
    Appended, BlobError, BlobStore, ByteStream, MultipartUpload, Result, Session, SignPayload,
    Staged, UploadLedger, WholeHash, is_session_id,
};

/// S3's smallest part (all parts of a multipart upload but the last are at least this).
pub const MIN_PART: u64 = 5 << 20;
/// The S3 part size aimed at: what a request buffers before sending it on.
pub const TARGET_PART: u64 = 8 << 20;
/// S3's most parts per multipart upload.
pub const MAX_PARTS: u64 = 10_000;
/// S3 parts of one request in flight at once (while the next is being received).
pub const IN_FLIGHT: usize = 2;

/// How to reach the bucket. Unset credentials, region and endpoint come from the usual AWS
/// environment variables.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    pub bucket: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub virtual_hosted_style: bool,
    pub allow_http: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// Whether request bodies are signed; `Auto` decides by the endpoint in effect (this
    /// option's, else `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`). `AWS_UNSIGNED_PAYLOAD` is
    /// not consulted.
    pub sign_payload: SignPayload,
}

/// A [`BlobStore`] in an S3-compatible bucket.
#[derive(Clone)]
pub struct S3BlobStore {
    s3: Arc<AmazonS3>,
    signs_payload: bool,
    ledger: Option<Arc<dyn UploadLedger>>,
    in_flight: Arc<InFlight>,
}

impl std::fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("s3", &self.s3)
            .field("signs_payload", &self.signs_payload)
            .field("ledger", &self.ledger.is_some())
            .finish()
    }
}

/// This node's part writes in flight, by multipart upload id. Each part write holds a read
/// lock of its upload's entry until its request has ended; an abort takes the write lock, so
/// it waits for them, and marks the entry aborted, so that a writer queued behind it fails
/// instead of sending a part to an upload that is gone. Entries nobody holds are dropped.
#[derive(Default)]
struct InFlight(std::sync::Mutex<HashMap<String, Arc<tokio::sync::RwLock<bool>>>>);

impl InFlight {
    fn entry(&self, mpu: &str) -> Arc<tokio::sync::RwLock<bool>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(mpu.to_string()).or_default().clone()
    }

    /// Gives `entry` back, dropping it from the map when nobody else holds it.
    fn release(&self, mpu: &str, entry: Arc<tokio::sync::RwLock<bool>>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        drop(entry);
        if map.get(mpu).is_some_and(|e| Arc::strong_count(e) == 1) {
            map.remove(mpu);
        }
    }
}

/// The handle of an upload session: its multipart upload and, when written front to back
/// (tus), the S3 parts so far and the temporary objects holding the rest.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Handle {
    /// The S3 multipart upload id.
    mpu: String,
    /// Sequential sessions: ETags of the S3 parts written, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    parts: Vec<String>,
    /// Sequential sessions: `(offset, len)` of the temporary objects after the last part.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tail: Vec<(u64, u64)>,
    /// Temporary objects merged into a part may still exist: remove them next time.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    stale: bool,
}

impl Handle {
    fn parse(session: &Session<'_>) -> Result<Handle> {
        let text = session
            .handle
            .ok_or_else(|| BlobError::Remote("the upload session has no S3 handle".into()))?;
        serde_json::from_str(text)
            .map_err(|e| BlobError::Remote(format!("bad S3 session handle: {e}")))
    }

    fn encode(&self) -> String {
        serde_json::to_string(self).expect("a handle serializes")
    }

    fn tail_len(&self) -> u64 {
        self.tail.iter().map(|(_, len)| len).sum()
    }
}

fn remote(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        e => BlobError::Remote(e.to_string()),
    }
}

impl S3BlobStore {
    /// Connects to the bucket (no request is made until [`S3BlobStore::check`]).
    pub fn new(options: &S3Options) -> Result<S3BlobStore> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&options.bucket)
            .with_virtual_hosted_style_request(options.virtual_hosted_style)
            .with_allow_http(options.allow_http)
            // A download streams for as long as its client reads: no overall request timeout
            // (the default 30 s would cut long downloads), but a bounded connect.
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(options.allow_http)
                    .with_timeout_disabled()
                    .with_connect_timeout(Duration::from_secs(10))
                    .with_pool_max_idle_per_host(64),
            );
        if let Some(endpoint) = &options.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(region) = &options.region {
            builder = builder.with_region(region);
        }
        if let Some(key) = &options.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &options.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        if let Some(token) = &options.session_token {
            builder = builder.with_token(token);
        }
        // The endpoint requests will go to, as `build` picks it (an `AWS_ENDPOINT_URL_S3`
        // variable wins over the endpoint).
        let endpoint = builder
            .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
            .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint));
        let signs_payload = options.sign_payload.signs(endpoint.as_deref());
        let s3 = builder
            .with_unsigned_payload(!signs_payload)
            .build()
            .map_err(|e| BlobError::Remote(format!("S3 configuration: {e}")))?;
        Ok(S3BlobStore {
            s3: Arc::new(s3),
            signs_payload,
            ledger: None,
            in_flight: Arc::default(),
        })
    }

    /// Records every multipart upload in `ledger` (see the module documentation).
    pub fn with_ledger(mut self, ledger: Arc<dyn UploadLedger>) -> S3BlobStore {
        self.ledger = Some(ledger);
        self
    }

    /// Whether request bodies are signed (`storage.s3.sign_payload` resolved against the
    /// endpoint in effect).
    pub fn signs_payload(&self) -> bool {
        self.signs_payload
    }

    /// The S3 client, configured as the store uses it (for benchmarks and tools that must
    /// talk to the bucket exactly as the store does).
    pub fn client(&self) -> Arc<AmazonS3> {
        self.s3.clone()
    }

    /// One request that needs the bucket and the credentials: fails at start-up rather than
    /// at the first upload.
    pub async fn check(&self) -> Result<()> {
        let prefix = Path::from("blobs");
        let mut list = self.s3.list(Some(&prefix));
        if let Some(first) = list.next().await {
            first.map_err(remote)?;
        }
        Ok(())
    }

    fn session_path(id: &str) -> Result<Path> {
        if !is_session_id(id) {
            return Err(BlobError::NotFound);
        }
        Ok(Path::from(format!("blobs/u-{id}")))
    }

    fn tmp_prefix(id: &str) -> Path {
        Path::from(format!("tmp/{id}"))
    }

    fn tmp_path(id: &str, offset: u64) -> Path {
        Path::from(format!("tmp/{id}/{offset:020}"))
    }

    async fn get_range(&self, path: &Path, offset: u64, len: u64) -> Result<ByteStream<'static>> {
        if len == 0 {
            return Ok(Box::pin(futures::stream::empty()));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(offset..offset + len)),
            ..GetOptions::default()
        };
        let got = self.s3.get_opts(path, options).await.map_err(remote)?;
        let stream = got
            .into_stream()
            .map_err(|e| Box::new(e) as crate::BoxError);
        Ok(Box::pin(stream))
    }

    /// The temporary objects of a sequential session, read back in order.
    async fn read_tail(&self, id: &str, handle: &Handle) -> Result<Vec<Bytes>> {
        let mut out = Vec::with_capacity(handle.tail.len());
        for (offset, _) in &handle.tail {
            let got = self
                .s3
                .get(&Self::tmp_path(id, *offset))
                .await
                .map_err(remote)?;
            out.push(got.bytes().await.map_err(remote)?);
        }
        Ok(out)
    }

    /// Deletes the session's temporary objects, except `keep`.
    async fn clean_tmp(&self, id: &str, keep: &[(u64, u64)]) -> Result<()> {
        let keep: Vec<Path> = keep.iter().map(|(o, _)| Self::tmp_path(id, *o)).collect();
        let prefix = Self::tmp_prefix(id);
        let listed: Vec<_> = self
            .s3
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(remote)?;
        for meta in listed {
            if !keep.contains(&meta.location) {
                match self.s3.delete(&meta.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(remote(e)),
                }
            }
        }
        Ok(())
    }

    /// Starts a multipart upload at `path` and records it in the ledger before anything is
    /// sent to it; one the ledger cannot record is aborted at once.
    async fn start_multipart(&self, path: &Path, session: Option<&str>) -> Result<String> {
        let mpu = self.s3.create_multipart(path).await.map_err(remote)?;
        if let Some(ledger) = &self.ledger {
            let upload = MultipartUpload {
                key: path.as_ref(),
                upload_id: &mpu,
                session,
            };
            if let Err(e) = ledger.started(&upload).await {
                let _ = self.s3.abort_multipart(path, &mpu).await;
                return Err(BlobError::Remote(format!(
                    "cannot record the multipart upload: {e}"
                )));
            }
        }
        Ok(mpu)
    }

    /// Forgets a completed or aborted upload in the ledger.
    async fn forget(&self, path: &Path, mpu: &str) {
        if let Some(ledger) = &self.ledger
            && let Err(e) = ledger.ended(path.as_ref(), mpu).await
        {
            tracing::warn!(path = %path, error = %e, "forgetting a multipart upload failed");
        }
    }

    /// Aborts a multipart upload once this node's part writes to it have ended, and tells
    /// whether it is gone. One that is gone already (completed or aborted) answers 404 on S3
    /// and 403 on s3s-fs: both count as gone.
    async fn abort_now(&self, path: &Path, mpu: &str) -> object_store::Result<()> {
        let entry = self.in_flight.entry(mpu);
        let result = {
            let mut aborted = entry.write().await;
            *aborted = true;
            self.s3.abort_multipart(path, &mpu.to_string()).await
        };
        self.in_flight.release(mpu, entry);
        match result {
            Err(
                object_store::Error::NotFound { .. } | object_store::Error::PermissionDenied { .. },
            ) => Ok(()),
            other => other,
        }
    }

    /// Aborts a multipart upload and forgets it. A failure is logged and the record kept:
    /// the sweep tries again (and the bucket's lifecycle rule is the backstop).
    async fn abort(&self, path: &Path, mpu: &str) -> Result<()> {
        match self.abort_now(path, mpu).await {
            Ok(()) => self.forget(path, mpu).await,
            Err(e) => {
                tracing::debug!(path = %path, error = %e, "aborting a multipart upload failed");
            }
        }
        Ok(())
    }

    /// Completes the multipart upload, or finds it completed already (a retry after a crash
    /// or a lost answer).
    async fn complete(&self, path: &Path, mpu: &str, parts: Vec<PartId>, size: u64) -> Result<()> {
        match self
            .s3
            .complete_multipart(path, &mpu.to_string(), parts)
            .await
        {
            Ok(_) => {}
            Err(e) => match self.s3.head(path).await {
                Ok(meta) if meta.size == size => {}
                _ => return Err(remote(e)),
            },
        }
        self.forget(path, mpu).await;
        Ok(())
    }

    /// Puts `data` as the whole object (when there is less than one part): the multipart
    /// upload is not needed.
    async fn put_whole(&self, path: &Path, mpu: &str, data: Vec<Bytes>) -> Result<()> {
        self.s3
            .put(path, PutPayload::from_iter(data))
            .await
            .map_err(remote)?;
        self.abort(path, mpu).await
    }
}

/// S3 parts being sent, in order, at most [`IN_FLIGHT`] at once. Each runs in a task of its
/// own, which ends its request even when the request that sent it goes away; an abort waits
/// for it (see [`InFlight`]).
struct Parts {
    s3: Arc<AmazonS3>,
    in_flight: Arc<InFlight>,
    path: Path,
    mpu: String,
    running: FuturesOrdered<JoinHandle<object_store::Result<PartId>>>,
    done: Vec<String>,
}

impl Parts {
    fn new(store: &S3BlobStore, path: &Path, mpu: &str) -> Parts {
        Parts {
            s3: store.s3.clone(),
            in_flight: store.in_flight.clone(),
            path: path.clone(),
            mpu: mpu.to_string(),
            running: FuturesOrdered::new(),
            done: Vec::new(),
        }
    }

    /// Sends S3 part `idx` (0-based), waiting first if too many are in flight.
    async fn send(&mut self, idx: usize, data: Vec<Bytes>) -> Result<()> {
        while self.running.len() >= IN_FLIGHT {
            self.collect_one().await?;
        }
        let entry = self.in_flight.entry(&self.mpu);
        let held = entry.clone().read_owned().await;
        if *held {
            drop(held);
            self.in_flight.release(&self.mpu, entry);
            return Err(BlobError::Remote("the multipart upload was aborted".into()));
        }
        let (s3, path, mpu) = (self.s3.clone(), self.path.clone(), self.mpu.clone());
        let in_flight = self.in_flight.clone();
        self.running.push_back(tokio::spawn(async move {
            let sent = s3
                .put_part(&path, &mpu, idx, PutPayload::from_iter(data))
                .await;
            drop(held);
            in_flight.release(&mpu, entry);
            sent
        }));
        Ok(())
    }

    async fn collect_one(&mut self) -> Result<()> {
        if let Some(joined) = self.running.next().await {
            let part = joined
                .map_err(|e| BlobError::Remote(e.to_string()))?
                .map_err(remote)?;
            self.done.push(part.content_id);
        }
        Ok(())
    }

    /// Waits for every part; their ETags in order.
    async fn finish(mut self) -> Result<Vec<String>> {
        self.wait_all().await
    }

    /// Waits for every part; their ETags in order (the parts stay, for an abort).
    async fn wait_all(&mut self) -> Result<Vec<String>> {
        while !self.running.is_empty() {
            self.collect_one().await?;
        }
        Ok(std::mem::take(&mut self.done))
    }
}

/// How a session's native parts map to S3 parts: every part but the last is written as `k`
/// S3 parts (part `n`, 0-based, at S3 parts `n*k..n*k+k`), so that all of them fit in S3's
/// 10,000 and each is near [`TARGET_PART`].
fn parts_per_part(size: u64, part_size: u64) -> u64 {
    let count = size.div_ceil(part_size.max(1)).max(1);
    (part_size / TARGET_PART).min(MAX_PARTS / count).max(1)
}

/// Lengths of the S3 parts a native part of `len` bytes is written as (at most `k`, each at
/// least [`TARGET_PART`] but the last, which takes the remainder).
fn split(len: u64, k: u64) -> Vec<u64> {
    let k = k.min(len / TARGET_PART).max(1);
    let base = len / k;
    let mut sizes = vec![base; k as usize];
    sizes[k as usize - 1] = len - base * (k - 1);
    sizes
}

/// The S3 part size of a sequential (tus) session of `size` bytes: at least [`TARGET_PART`],
/// and large enough that the file fits in S3's part limit.
fn sequential_part(size: u64) -> u64 {
    TARGET_PART.max(size.div_ceil(MAX_PARTS - 1_000))
}

/// Takes the first `want` bytes of `chunk` into `into`, returning the rest.
fn take(chunk: Bytes, want: u64, into: &mut Vec<Bytes>) -> Bytes {
    let mut chunk = chunk;
    let head = chunk.split_to((want as usize).min(chunk.len()));
    into.push(head);
    chunk
}

fn random_hex() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS RNG unavailable");
    hex::encode(b)
}

/// Aborts a simple upload's multipart upload if it fails or its request goes away mid-body,
/// once the parts still in flight have ended: a part that lands after the abort would stay
/// behind as an orphan on stores that accept it (s3s-fs does; S3 documents that an abort
/// may have to be repeated for the same reason).
struct AbortGuard<'a>(&'a S3BlobStore, Option<Parts>);

impl Drop for AbortGuard<'_> {
    fn drop(&mut self) {
        if let Some(parts) = self.1.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let store = self.0.clone();
            runtime.spawn(async move {
                let (path, mpu) = (parts.path.clone(), parts.mpu.clone());
                // The parts' tasks run on; the abort waits for them.
                drop(parts);
                store.abort(&path, &mpu).await
            });
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn stage(&self, mut body: ByteStream<'_>, max_bytes: u64) -> Result<Staged> {
        let key = format!("blobs/s-{}", random_hex());
        let path = Path::from(key.as_str());
        let mut hasher = Sha256::new();
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        let mut buffered: Vec<Bytes> = Vec::new();
        let mut buffered_len = 0u64;
        // The multipart upload, once the body outgrows one part.
        let mut guard = AbortGuard(self, None);
        let result: Result<()> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(BlobError::Body)?;
                size += chunk.len() as u64;
                if size > max_bytes {
                    return Err(BlobError::TooLarge { limit: max_bytes });
                }
                hasher.update(&chunk);
                crc.update(&chunk);
                buffered_len += chunk.len() as u64;
                buffered.push(chunk);
                if buffered_len >= TARGET_PART {
                    if guard.1.is_none() {
                        let mpu = self.start_multipart(&path, None).await?;
                        guard.1 = Some(Parts::new(self, &path, &mpu));
                    }
                    let p = guard.1.as_mut().expect("created above");
                    let idx = p.done.len() + p.running.len();
                    p.send(idx, std::mem::take(&mut buffered)).await?;
                    buffered_len = 0;
                }
            }
            match guard.1.as_mut() {
                None => {
                    self.s3
                        .put(&path, PutPayload::from_iter(std::mem::take(&mut buffered)))
                        .await
                        .map_err(remote)?;
                }
                Some(p) => {
                    if buffered_len > 0 || p.done.len() + p.running.len() == 0 {
                        let idx = p.done.len() + p.running.len();
                        p.send(idx, std::mem::take(&mut buffered)).await?;
                    }
                    let etags = p.wait_all().await?;
                    let ids = etags
                        .into_iter()
                        .map(|content_id| PartId { content_id })
                        .collect();
                    self.s3
                        .complete_multipart(&path, &p.mpu, ids)
                        .await
                        .map_err(remote)?;
                    self.forget(&path, &p.mpu).await;
                    guard.1 = None;
                }
            }
            Ok(())
        }
        .await;
        result?;
        Ok(Staged {
            sha256: hex::encode(hasher.finalize()),
            crc32: crc.finalize(),
            size,
            handle: key.clone(),
            key,
            content: None,
        })
    }

    async fn publish(&self, staged: Staged) -> Result<()> {
        if staged.content.is_some() {
            return Err(crate::in_memory_error());
        }
        // Already in place: the key is where it was written.
        Ok(())
    }

    async fn discard(&self, staged: Staged) {
        if staged.content.is_some() {
            return;
        }
        let _ = self.remove(&staged.handle).await;
    }

    async fn read(&self, key: &str, offset: u64, len: u64) -> Result<ByteStream<'static>> {
        self.get_range(&Path::from(key), offset, len).await
    }

    async fn remove(&self, key: &str) -> Result<()> {
        match self.s3.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(remote(e)),
        }
    }

    fn list_keys(&self) -> futures::stream::BoxStream<'_, Result<String>> {
        // ListObjectsV2 pages of up to 1,000 keys, fetched as the stream is read.
        Box::pin(
            self.s3
                .list(Some(&Path::from("blobs")))
                .map(|meta| meta.map(|m| m.location.to_string()).map_err(remote)),
        )
    }

    async fn abort_upload(&self, key: &str, upload_id: &str) -> Result<()> {
        self.abort_now(&Path::from(key), upload_id)
            .await
            .map_err(remote)
    }

    async fn direct_get_url(
        &self,
        key: &str,
        ttl: Duration,
        content_type: &str,
        content_disposition: &str,
    ) -> Result<Option<String>> {
        use object_store::signer::{Method, SignedUrlOptions, Signer};
        // The response headers are part of the signature, so the URL cannot be changed into
        // one that serves the bytes as something else (say, HTML inline).
        let options = SignedUrlOptions::new().with_query([
            ("response-content-type", content_type),
            ("response-content-disposition", content_disposition),
        ]);
        let url = self
            .s3
            .signed_url_opts(Method::GET, &Path::from(key), ttl, &options)
            .await
            .map_err(remote)?;
        Ok(Some(url.to_string()))
    }

    async fn sweep_staging(&self, _max_age: Duration) -> Result<usize> {
        // A simple upload writes where it is published, and removes its object (or aborts its
        // multipart upload) when it fails; only a crash mid-request leaves anything, which
        // the bucket's lifecycle rule for incomplete multipart uploads removes (see
        // docs/scale-out.md).
        Ok(0)
    }

    async fn session_create(&self, session: &Session<'_>) -> Result<Option<String>> {
        let path = Self::session_path(session.id)?;
        let mpu = self.start_multipart(&path, Some(session.id)).await?;
        Ok(Some(
            Handle {
                mpu,
                ..Handle::default()
            }
            .encode(),
        ))
    }

    async fn session_append(
        &self,
        session: &Session<'_>,
        offset: u64,
        max_len: u64,
        body: ByteStream<'_>,
        observe: &mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Result<Appended> {
        if session.sequential {
            self.append_sequential(session, offset, max_len, body, observe)
                .await
        } else {
            self.write_part(session, offset, max_len, body, observe)
                .await
        }
    }

    async fn session_seal(&self, session: &Session<'_>, receipts: &[Option<String>]) -> Result<()> {
        let path = Self::session_path(session.id)?;
        let mut handle = Handle::parse(session)?;
        // Sealed before (a retry after a crash, a partial upload joined again).
        if let Ok(meta) = self.s3.head(&path).await
            && meta.size == session.size
        {
            return self.clean_tmp(session.id, &[]).await;
        }
        if session.sequential {
            if handle.stale {
                self.clean_tmp(session.id, &handle.tail).await?;
                handle.stale = false;
            }
            let tail = self.read_tail(session.id, &handle).await?;
            if handle.parts.is_empty() {
                self.put_whole(&path, &handle.mpu, tail).await?;
            } else {
                let mut etags = handle.parts.clone();
                if !tail.is_empty() {
                    let part = self
                        .s3
                        .put_part(&path, &handle.mpu, etags.len(), PutPayload::from_iter(tail))
                        .await
                        .map_err(remote)?;
                    etags.push(part.content_id);
                }
                let ids = etags
                    .into_iter()
                    .map(|content_id| PartId { content_id })
                    .collect();
                self.complete(&path, &handle.mpu, ids, session.size).await?;
            }
            return self.clean_tmp(session.id, &[]).await;
        }
        if session.size == 0 {
            return self.put_whole(&path, &handle.mpu, Vec::new()).await;
        }
        let mut ids = Vec::new();
        for receipt in receipts {
            let receipt = receipt
                .as_deref()
                .ok_or_else(|| BlobError::Remote("a part has no S3 receipt".into()))?;
            ids.extend(receipt.split('\n').map(|etag| PartId {
                content_id: etag.to_string(),
            }));
        }
        self.complete(&path, &handle.mpu, ids, session.size).await
    }

    async fn session_read(
        &self,
        session: &Session<'_>,
        offset: u64,
        len: u64,
    ) -> Result<ByteStream<'static>> {
        let path = Self::session_path(session.id)?;
        match self.get_range(&path, offset, len).await {
            Err(BlobError::NotFound) => Err(BlobError::Unsealed),
            other => other,
        }
    }

    async fn session_hash(
        &self,
        session: &Session<'_>,
        offset: u64,
        len: u64,
        mut hasher: WholeHash,
    ) -> Result<WholeHash> {
        let mut stream = self.session_read(session, offset, len).await?;
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk.map_err(BlobError::Body)?);
        }
        Ok(hasher)
    }

    fn reads_unsealed(&self) -> bool {
        false
    }

    fn session_key(&self, id: &str, _sha256: &str) -> String {
        format!("blobs/u-{id}")
    }

    async fn session_publish(&self, _session: &Session<'_>, _sha256: &str) -> Result<()> {
        // Sealing composed it where it stays.
        Ok(())
    }

    async fn session_delete(&self, session: &Session<'_>) -> Result<()> {
        let path = Self::session_path(session.id)?;
        // Without a handle only the temporary objects are known to be the session's own (the
        // object at its key may be a published blob).
        if let Some(handle) = session.handle {
            if let Ok(handle) = serde_json::from_str::<Handle>(handle) {
                self.abort(&path, &handle.mpu).await?;
            }
            self.remove(path.as_ref()).await?;
        }
        self.clean_tmp(session.id, &[]).await
    }

    async fn session_ids(&self) -> Result<Vec<(String, Duration)>> {
        let listed: Vec<_> = self
            .s3
            .list(Some(&Path::from("tmp")))
            .try_collect()
            .await
            .map_err(remote)?;
        let now = chrono_now();
        let mut ids: Vec<(String, Duration)> = Vec::new();
        for meta in listed {
            let mut segments = meta.location.parts();
            let (Some(_), Some(id)) = (segments.next(), segments.next()) else {
                continue;
            };
            let id = id.as_ref().to_string();
            let age = (now - meta.last_modified.timestamp()).max(0) as u64;
            let age = Duration::from_secs(age);
            match ids.iter_mut().find(|(i, _)| *i == id) {
                Some((_, a)) => *a = (*a).min(age),
                None => ids.push((id, age)),
            }
        }
        Ok(ids)
    }
}

/// Seconds since the Unix epoch.
fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl S3BlobStore {
    /// A native part: `max_len` bytes at `offset` (a part boundary), as S3 parts at numbers
    /// fixed by the part's number. Its receipt is their ETags, one a line.
    async fn write_part(
        &self,
        session: &Session<'_>,
        offset: u64,
        max_len: u64,
        body: ByteStream<'_>,
        observe: &mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Result<Appended> {
        let path = Self::session_path(session.id)?;
        let handle = Handle::parse(session)?;
        let k = parts_per_part(session.size, session.part_size);
        let first = (offset / session.part_size.max(1) * k) as usize;
        let sizes = split(max_len, k);
        let mut parts = Parts::new(self, &path, &handle.mpu);
        let (mut current, mut buffered, mut buffered_len) = (0usize, Vec::new(), 0u64);
        let mut input = crate::AppendBody::new(body, max_len, observe);
        while let Some(mut chunk) = input.next().await? {
            while !chunk.is_empty() {
                let want = sizes[current] - buffered_len;
                let before = chunk.len() as u64;
                chunk = take(chunk, want, &mut buffered);
                buffered_len += before - chunk.len() as u64;
                if buffered_len == sizes[current] {
                    parts
                        .send(first + current, std::mem::take(&mut buffered))
                        .await?;
                    buffered_len = 0;
                    current += 1;
                }
            }
        }
        if max_len == 0 {
            return Ok(Appended {
                written: 0,
                interrupted: input.interrupted,
                receipt: Some(String::new()),
            });
        }
        let etags = parts.finish().await?;
        let complete = input.received == max_len && etags.len() == sizes.len();
        Ok(Appended {
            written: input.received,
            interrupted: input.interrupted,
            receipt: complete.then(|| etags.join("\n")),
        })
    }

    /// A tus append at the session's end: whole S3 parts of [`sequential_part`] bytes (with
    /// the waiting temporary objects in front), and the rest as a new temporary object. The
    /// receipt is the new handle.
    async fn append_sequential(
        &self,
        session: &Session<'_>,
        offset: u64,
        max_len: u64,
        body: ByteStream<'_>,
        observe: &mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Result<Appended> {
        let path = Self::session_path(session.id)?;
        let mut handle = Handle::parse(session)?;
        if handle.stale {
            self.clean_tmp(session.id, &handle.tail).await?;
            handle.stale = false;
        }
        let target = sequential_part(session.size);
        let mut parts = Parts::new(self, &path, &handle.mpu);
        let mut tail_len = handle.tail_len();
        let mut buffered: Vec<Bytes> = Vec::new();
        let mut buffered_len = 0u64;
        let mut next_idx = handle.parts.len();
        let mut input = crate::AppendBody::new(body, max_len, observe);
        while let Some(mut chunk) = input.next().await? {
            while !chunk.is_empty() {
                let want = target - tail_len - buffered_len;
                let before = chunk.len() as u64;
                chunk = take(chunk, want, &mut buffered);
                buffered_len += before - chunk.len() as u64;
                if tail_len + buffered_len == target {
                    let mut data = self.read_tail(session.id, &handle).await?;
                    data.append(&mut buffered);
                    if !handle.tail.is_empty() {
                        handle.tail.clear();
                        handle.stale = true;
                    }
                    parts.send(next_idx, data).await?;
                    next_idx += 1;
                    tail_len = 0;
                    buffered_len = 0;
                }
            }
        }
        handle.parts.extend(parts.finish().await?);
        if buffered_len > 0 {
            let start = offset + input.received - buffered_len;
            self.s3
                .put(
                    &Self::tmp_path(session.id, start),
                    PutPayload::from_iter(buffered),
                )
                .await
                .map_err(remote)?;
            handle.tail.push((start, buffered_len));
        }
        Ok(Appended {
            written: input.received,
            interrupted: input.interrupted,
            receipt: Some(handle.encode()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_parts_map_to_s3_parts_within_the_limits() {
        const MIB: u64 = 1 << 20;
        // 1 GiB in 64 MiB parts: 8 S3 parts of 8 MiB each.
        assert_eq!(parts_per_part(1 << 30, 64 * MIB), 8);
        assert_eq!(split(64 * MIB, 8), vec![8 * MIB; 8]);
        // The last part is shorter: fewer S3 parts, none under 8 MiB but its last.
        assert_eq!(split(20 * MIB, 8), vec![10 * MIB, 10 * MIB]);
        assert_eq!(split(3, 8), vec![3]);
        // 5 MiB parts are one S3 part each.
        assert_eq!(parts_per_part(100 * MIB, 5 * MIB), 1);
        // Never more than 10,000 S3 parts.
        for (size, part) in [(5u64 << 40, 525 * MIB), (10 << 30, 64 * MIB), (1, 64 * MIB)] {
            let k = parts_per_part(size, part);
            assert!(size.div_ceil(part) * k <= MAX_PARTS, "{size} {part}");
        }
        assert!((5u64 << 40).div_ceil(sequential_part(5 << 40)) < MAX_PARTS);
    }
}
