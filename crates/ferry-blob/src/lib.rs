//! Ferry's blob storage: file contents, written durably, read back by opaque keys.
//!
//! Writing is two steps so the metadata store can decide in between: [`BlobStore::stage`]
//! streams a body to private storage while hashing it, then [`BlobStore::publish`] makes it a
//! blob under [`Staged::key`] (on local disk a rename under its hash, never a copy; on S3 the
//! object stays where it was written, since an object store cannot rename). Which content
//! lives under which key, reference counting and deduplication live in the metadata store;
//! this crate only stores, reads and removes bytes. Backends: [`LocalBlobStore`] (one
//! machine) and, with the `s3` feature, `S3BlobStore` (any number of nodes sharing an
//! S3-compatible bucket).
#![forbid(unsafe_code)]

mod local;
mod parts;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "testing")]
pub mod testing;

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use futures::stream::BoxStream;

pub use local::LocalBlobStore;
pub use parts::{Part, Parts};
#[cfg(feature = "s3")]
pub use s3::{S3BlobStore, S3Options};

/// A boxed error from the body being streamed in (a client disconnect, a body limit...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A stream of body chunks, as the HTTP layer provides them.
pub type ByteStream<'a> = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send + 'a>>;

/// Errors from blob storage.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The body was longer than the limit given to [`BlobStore::stage`].
    #[error("body exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// The body stream failed (the client went away or sent something unreadable).
    #[error("reading the body failed: {0}")]
    Body(#[source] BoxError),
    /// No blob with that hash is stored.
    #[error("blob not found")]
    NotFound,
    /// A part carried a different number of bytes than it must.
    #[error("expected {expected} bytes, received {received}")]
    LengthMismatch { expected: u64, received: u64 },
    /// The storage itself failed.
    #[error("storage I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The object store answered with an error (after its own retries).
    #[error("object storage failed: {0}")]
    Remote(String),
    /// The session's data cannot be read back yet: on S3, parts of an unfinished multipart
    /// upload are not readable until [`BlobStore::session_seal`] composed them.
    #[error("the upload's data is not readable before it is sealed")]
    Unsealed,
}

pub type Result<T, E = BlobError> = std::result::Result<T, E>;

/// The body of a session append, read chunk by chunk the way every backend must: each chunk
/// counted against the most the append may bring (more is `LengthMismatch`) and shown to the
/// caller's `observe` (the running SHA-256) before it is stored; a body that breaks off ends
/// the append early, marked `interrupted`.
pub(crate) struct AppendBody<'a, 'o> {
    body: ByteStream<'a>,
    max_len: u64,
    observe: &'o mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    /// Bytes received so far.
    pub received: u64,
    /// Whether the body broke off before its end.
    pub interrupted: bool,
}

impl<'a, 'o> AppendBody<'a, 'o> {
    pub fn new(
        body: ByteStream<'a>,
        max_len: u64,
        observe: &'o mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Self {
        AppendBody {
            body,
            max_len,
            observe,
            received: 0,
            interrupted: false,
        }
    }

    /// The next chunk, or `None` at the end of the body (or where it broke off).
    pub async fn next(&mut self) -> Result<Option<Bytes>> {
        use futures::StreamExt;
        let Some(chunk) = self.body.next().await else {
            return Ok(None);
        };
        let Ok(chunk) = chunk else {
            self.interrupted = true;
            return Ok(None);
        };
        self.received += chunk.len() as u64;
        if self.received > self.max_len {
            return Err(BlobError::LengthMismatch {
                expected: self.max_len,
                received: self.received,
            });
        }
        (self.observe)(&chunk);
        Ok(Some(chunk))
    }
}

/// Bytes written to staging, hashed, durable, not yet visible under their hash.
#[derive(Debug)]
pub struct Staged {
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// CRC-32 (IEEE) of the content, computed in the same pass as the hash: what a zip
    /// archive's headers need before any byte of it is sent.
    pub crc32: u32,
    /// Content length in bytes.
    pub size: u64,
    /// The key it will have once published.
    pub key: String,
    handle: String,
    /// The whole content, when it was kept in memory rather than written to staging (see
    /// [`Staged::in_memory`]).
    content: Option<Bytes>,
}

impl Staged {
    /// Content small enough to be kept in memory and stored by the caller itself (Ferry keeps
    /// small files in its database, in the transaction that records them: one durable write
    /// instead of a staging file, a rename and their fsyncs). It is known under `key`, which
    /// the caller chose from its SHA-256; a blob store neither publishes nor discards it.
    pub fn in_memory(content: Bytes, key: impl FnOnce(&str) -> String) -> Staged {
        let mut hash = WholeHash::new();
        hash.update(&content);
        let crc32 = hash.crc32().unwrap_or_default();
        let sha256 = hex::encode(hash.finalize());
        Staged {
            key: key(&sha256),
            sha256,
            crc32,
            size: content.len() as u64,
            handle: String::new(),
            content: Some(content),
        }
    }

    /// The content, for staged bytes kept in memory ([`Staged::in_memory`]).
    pub fn content(&self) -> Option<&Bytes> {
        self.content.as_ref()
    }
}

/// What a blob store says when asked to publish content kept in memory: the caller stores it.
fn in_memory_error() -> BlobError {
    BlobError::Io(std::io::Error::other(
        "content kept in memory is stored by the caller, not published to a blob store",
    ))
}

/// What [`BlobStore::session_append`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Bytes written (and durable).
    pub written: u64,
    /// The body ended with an error after `written` bytes.
    pub interrupted: bool,
    /// What the caller keeps for the store (None on local disk). For a part write: the
    /// part's receipt, passed back to [`BlobStore::session_seal`]. For a sequential session:
    /// its new handle, stored with the new offset (the old one stays valid until then).
    pub receipt: Option<String>,
}

/// An upload session as the blob store sees it: built by the caller from its stored row.
#[derive(Debug, Clone, Copy)]
pub struct Session<'a> {
    /// 1..=64 of `[a-z0-9_]` (see [`is_session_id`]).
    pub id: &'a str,
    /// The file's size in bytes.
    pub size: u64,
    /// Parts start at multiples of this (the native protocol's part size).
    pub part_size: u64,
    /// Written front to back in chunks of any size (tus) rather than in parts.
    pub sequential: bool,
    /// The handle [`BlobStore::session_create`] gave (or the latest sequential append).
    pub handle: Option<&'a str>,
}

impl<'a> Session<'a> {
    /// A session known only by its id (to delete what is left of it).
    pub fn by_id(id: &'a str) -> Session<'a> {
        Session {
            id,
            size: 0,
            part_size: 0,
            sequential: false,
            handle: None,
        }
    }
}

/// A multipart upload a store started, as [`UploadLedger`] records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartUpload<'a> {
    /// The key the upload writes to.
    pub key: &'a str,
    /// The object store's id of the upload.
    pub upload_id: &'a str,
    /// The upload session it belongs to ([`Session::id`]); `None` for a simple upload.
    pub session: Option<&'a str>,
}

/// Where a store that keeps unfinished multipart uploads (S3) records each one before its
/// first part is sent, and forgets it once the upload is completed or aborted. Parts of an
/// upload nobody finishes are stored (and billed) until someone aborts it; the record is how
/// the metadata store's sweep finds the uploads a crash or an abandoned request left, on
/// object stores that cannot list their unfinished uploads (s3s-fs) as on those that can.
#[async_trait]
pub trait UploadLedger: Send + Sync + 'static {
    /// Records `upload` durably. An error fails the upload (it is aborted at once).
    async fn started(&self, upload: &MultipartUpload<'_>) -> Result<(), BoxError>;

    /// Forgets the upload. An error only leaves the record behind: the sweep then aborts an
    /// upload that is gone already, which is harmless.
    async fn ended(&self, key: &str, upload_id: &str) -> Result<(), BoxError>;
}

/// Where file contents live. Keys are opaque to callers: they come from [`Staged::key`] and
/// [`BlobStore::session_key`] and are kept by the metadata store next to the content's hash.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Streams `body` to staging, computing its SHA-256, and makes it durable. Stops with
    /// [`BlobError::TooLarge`] (and keeps nothing) as soon as more than `max_bytes` arrive.
    async fn stage(&self, body: ByteStream<'_>, max_bytes: u64) -> Result<Staged>;

    /// Makes staged bytes readable under [`Staged::key`]. Durable when it returns. On local
    /// disk, identical content already stored is kept and the staged copy dropped.
    async fn publish(&self, staged: Staged) -> Result<()>;

    /// Drops staged bytes that will not be published.
    async fn discard(&self, staged: Staged);

    /// Streams `len` bytes of the blob `key` from `offset`.
    async fn read(&self, key: &str, offset: u64, len: u64) -> Result<ByteStream<'static>>;

    /// Streams the concatenation of `parts` (generated bytes and blob ranges: an archive), in
    /// chunks that may span parts. By default through [`BlobStore::read`], each blob opened
    /// while the one before it streams; a missing blob is [`BlobError::NotFound`] in the
    /// stream when its turn comes.
    fn read_parts(self: Arc<Self>, parts: Parts) -> ByteStream<'static> {
        parts::chained(self, parts)
    }

    /// Removes a blob; removing a missing blob is not an error.
    async fn remove(&self, key: &str) -> Result<()>;

    /// Every blob key the store holds (what [`BlobStore::read`] and [`BlobStore::remove`]
    /// take), streamed as the backend lists them: page by page, in no particular order, never
    /// all at once. Session data and staging are not blobs and are not listed (see
    /// [`BlobStore::session_ids`]). On local disk a file under `blobs/` that cannot be a blob
    /// there is listed by its path under the store's root (`blobs/…`), which no key equals.
    fn list_keys(&self) -> BoxStream<'_, Result<String>>;

    /// Aborts the multipart upload `upload_id` writing `key` (one an [`UploadLedger`]
    /// recorded and nobody finished), once this node's part writes to it have ended; one that
    /// is gone already (completed or aborted) is not an error. The ledger is not told: the
    /// caller holds the record. Nothing to do on a store without multipart uploads.
    async fn abort_upload(&self, _key: &str, _upload_id: &str) -> Result<()> {
        Ok(())
    }

    /// A URL from which anyone may `GET` the blob `key` directly for `ttl` (with `Range` too),
    /// answered with these `Content-Type` and `Content-Disposition`: an S3 presigned URL.
    /// `None` where the store has no such thing (local disk).
    async fn direct_get_url(
        &self,
        _key: &str,
        _ttl: std::time::Duration,
        _content_type: &str,
        _content_disposition: &str,
    ) -> Result<Option<String>> {
        Ok(None)
    }

    /// Deletes staging files older than `max_age` (left by a crash). Returns how many.
    async fn sweep_staging(&self, max_age: std::time::Duration) -> Result<usize>;

    /// Creates the storage of a resumable upload session (idempotent on local disk) and
    /// returns the handle to keep with it, if the store needs one (S3: its multipart upload).
    async fn session_create(&self, session: &Session<'_>) -> Result<Option<String>>;

    /// Writes `body` at `offset` of the session's data, at most `max_len` bytes, showing each
    /// chunk to `observe`, and makes what was written durable. A part write (not sequential)
    /// starts at a part boundary and must be the whole part to count; a sequential write
    /// starts at the current end. If the body fails half way, what arrived is kept and
    /// [`Appended::interrupted`] is set. More than `max_len` bytes is
    /// [`BlobError::LengthMismatch`].
    async fn session_append(
        &self,
        session: &Session<'_>,
        offset: u64,
        max_len: u64,
        body: ByteStream<'_>,
        observe: &mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Result<Appended>;

    /// Composes everything received into the session's data (S3: completes the multipart
    /// upload with `receipts`, the parts' receipts in part order); afterwards the data can be
    /// read and published, and no longer written. A no-op on local disk; idempotent.
    async fn session_seal(&self, session: &Session<'_>, receipts: &[Option<String>]) -> Result<()>;

    /// Whether unsealed session data can be read back ([`BlobStore::session_read`],
    /// [`BlobStore::session_hash`]) before [`BlobStore::session_seal`]: yes on local disk, no
    /// on S3.
    fn reads_unsealed(&self) -> bool {
        true
    }

    /// Streams `len` bytes of the session's data from `offset` ([`BlobError::Unsealed`] on a
    /// store that cannot read unsealed data).
    async fn session_read(
        &self,
        session: &Session<'_>,
        offset: u64,
        len: u64,
    ) -> Result<ByteStream<'static>>;

    /// Feeds `len` bytes of the session's data at `offset` into `hasher` (or
    /// [`BlobError::Unsealed`], as [`BlobStore::session_read`]).
    async fn session_hash(
        &self,
        session: &Session<'_>,
        offset: u64,
        len: u64,
        hasher: WholeHash,
    ) -> Result<WholeHash>;

    /// The key the session's data will have once published as the content `sha256`.
    fn session_key(&self, id: &str, sha256: &str) -> String;

    /// Makes the (sealed) session's data the blob [`BlobStore::session_key`] (a rename on
    /// local disk, dropped if that blob exists; nothing to do on S3).
    async fn session_publish(&self, session: &Session<'_>, sha256: &str) -> Result<()>;

    /// Deletes the session's data and anything the store kept for it (S3: aborts the
    /// multipart upload, removes temporary objects); deleting a missing session is not an
    /// error.
    async fn session_delete(&self, session: &Session<'_>) -> Result<()>;

    /// Ids of all sessions with data and how long ago each was last written (to find orphans).
    async fn session_ids(&self) -> Result<Vec<(String, std::time::Duration)>>;
}

use sha2::Digest;
pub use sha2::Sha256;
use sha2::digest::common::hazmat::{SerializableState, SerializedState};

/// The whole-file hash of an upload advanced part by part: its SHA-256 and, for zip archives,
/// its CRC-32, fed the same bytes in the same pass. Persisted between parts as the SHA-256
/// midstate followed by the CRC (4 bytes); a state saved before CRCs were kept has none, and
/// the file's CRC is then computed by its first archive.
#[derive(Clone)]
pub struct WholeHash {
    sha256: Sha256,
    crc32: Option<crc32fast::Hasher>,
}

impl Default for WholeHash {
    fn default() -> Self {
        WholeHash::new()
    }
}

impl WholeHash {
    /// A hash of nothing yet.
    pub fn new() -> WholeHash {
        WholeHash {
            sha256: Sha256::new(),
            crc32: Some(crc32fast::Hasher::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        if let Some(c) = self.crc32.as_mut() {
            c.update(data);
        }
    }

    /// The state to persist.
    pub fn serialize(&self) -> Vec<u8> {
        let mut out = self.sha256.serialize().as_slice().to_vec();
        if let Some(c) = &self.crc32 {
            out.extend_from_slice(&c.clone().finalize().to_le_bytes());
        }
        out
    }

    /// A state from [`WholeHash::serialize`] (or a bare SHA-256 midstate of older releases).
    pub fn restore(bytes: &[u8]) -> Option<WholeHash> {
        let sha_len = Sha256::new().serialize().as_slice().len();
        let (sha, crc) = match bytes.len() {
            n if n == sha_len => (bytes, None),
            n if n == sha_len + 4 => {
                let (sha, crc) = bytes.split_at(sha_len);
                (sha, Some(u32::from_le_bytes(crc.try_into().ok()?)))
            }
            _ => return None,
        };
        let serialized = SerializedState::<Sha256>::try_from(sha).ok()?;
        Some(WholeHash {
            sha256: Sha256::deserialize(&serialized).ok()?,
            crc32: crc.map(crc32fast::Hasher::new_with_initial),
        })
    }

    /// The CRC-32 so far, if this state has one.
    pub fn crc32(&self) -> Option<u32> {
        self.crc32.as_ref().map(|c| c.clone().finalize())
    }

    /// The SHA-256 digest.
    pub fn finalize(self) -> impl AsRef<[u8]> {
        self.sha256.finalize()
    }
}

/// Whether S3 requests carry the SHA-256 of their body in their signature
/// (`storage.s3.sign_payload`). Signing costs a SHA-256 pass over every byte sent, on the
/// node and again on the server that verifies it; over TLS the body is already protected
/// in transit, so `Auto` follows the AWS SDKs (botocore): it signs only over plain
/// `http://` and sends `UNSIGNED-PAYLOAD` over `https://`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignPayload {
    /// Sign over an `http://` endpoint, not over `https://` (nor AWS, which is `https://`).
    #[default]
    Auto,
    /// Always sign the body.
    Always,
    /// Never sign the body (`UNSIGNED-PAYLOAD`).
    Never,
}

impl SignPayload {
    /// Whether requests to `endpoint` (unset: AWS itself, over `https://`) sign their body.
    pub fn signs(self, endpoint: Option<&str>) -> bool {
        match self {
            SignPayload::Always => true,
            SignPayload::Never => false,
            SignPayload::Auto => endpoint.is_some_and(|e| {
                e.trim_start()
                    .get(..7)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
            }),
        }
    }
}

impl std::str::FromStr for SignPayload {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(SignPayload::Auto),
            "always" => Ok(SignPayload::Always),
            "never" => Ok(SignPayload::Never),
            other => Err(format!(
                "`{other}` is not a payload signing mode: `auto`, `always` or `never`"
            )),
        }
    }
}

/// Whether `id` can name a session's data file: 1..=64 of `[a-z0-9_]`, so never a path.
pub fn is_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether `s` is a lowercase hex SHA-256, the only form a blob name may take. This is what
/// keeps user input from ever forming a path.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
