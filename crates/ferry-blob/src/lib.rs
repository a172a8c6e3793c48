//! Ferry's blob storage: file contents, addressed by their SHA-256 and written durably.
//!
//! Writing is two steps so the metadata store can decide in between: [`BlobStore::stage`]
//! streams a body to a private staging file while hashing it, then [`BlobStore::publish`] moves
//! it under its hash (a rename, never a copy). Reference counting lives in the metadata store;
//! this crate only stores, reads and removes bytes.
#![forbid(unsafe_code)]

mod local;

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

pub use local::LocalBlobStore;

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
}

pub type Result<T, E = BlobError> = std::result::Result<T, E>;

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
    handle: String,
}

/// What [`BlobStore::session_append`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Bytes written (and durable).
    pub written: u64,
    /// The body ended with an error after `written` bytes.
    pub interrupted: bool,
}

/// Where file contents live.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Streams `body` to staging, computing its SHA-256, and makes it durable. Stops with
    /// [`BlobError::TooLarge`] (and keeps nothing) as soon as more than `max_bytes` arrive.
    async fn stage(&self, body: ByteStream<'_>, max_bytes: u64) -> Result<Staged>;

    /// Makes staged bytes readable under their hash. If identical content is already stored
    /// the staged copy is dropped (deduplication). Durable when it returns.
    async fn publish(&self, staged: Staged) -> Result<()>;

    /// Drops staged bytes that will not be published.
    async fn discard(&self, staged: Staged);

    /// Streams `len` bytes of the blob from `offset`.
    async fn read(&self, sha256: &str, offset: u64, len: u64) -> Result<ByteStream<'static>>;

    /// Removes a blob; removing a missing blob is not an error.
    async fn remove(&self, sha256: &str) -> Result<()>;

    /// Deletes staging files older than `max_age` (left by a crash). Returns how many.
    async fn sweep_staging(&self, max_age: std::time::Duration) -> Result<usize>;

    /// Creates the data file of a resumable upload session of `size` bytes (idempotent).
    async fn session_create(&self, id: &str, size: u64) -> Result<()>;

    /// Appends `body` at `offset` of the session's data, at most `max_len` bytes, showing each
    /// chunk to `observe`, and makes what was written durable. If the body fails half way,
    /// what arrived is kept and [`Appended::interrupted`] is set. More than `max_len` bytes is
    /// [`BlobError::LengthMismatch`].
    async fn session_append(
        &self,
        id: &str,
        offset: u64,
        max_len: u64,
        body: ByteStream<'_>,
        observe: &mut (dyn for<'b> FnMut(&'b [u8]) + Send),
    ) -> Result<Appended>;

    /// Streams `len` bytes of the session's data from `offset`.
    async fn session_read(&self, id: &str, offset: u64, len: u64) -> Result<ByteStream<'static>>;

    /// Feeds `len` bytes of the session's data at `offset` into `hasher`.
    async fn session_hash(
        &self,
        id: &str,
        offset: u64,
        len: u64,
        hasher: WholeHash,
    ) -> Result<WholeHash>;

    /// Makes the session's data the blob `sha256` (a rename; dropped if the blob exists).
    async fn session_publish(&self, id: &str, sha256: &str) -> Result<()>;

    /// Deletes the session's data; deleting a missing session is not an error.
    async fn session_delete(&self, id: &str) -> Result<()>;

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
