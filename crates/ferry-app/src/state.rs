//! The application: what every use case can reach.

use std::sync::Arc;

use ferry_blob::BlobStore;
use ferry_store::Store;

use crate::clock::Clock;
use crate::coherence::Coherence;
use crate::config::Config;
use crate::locks::KeyedLocks;
use crate::mail::Mailer;
use crate::token_cache::TokenCache;
use crate::webhooks::transport::Transport;

/// The locks that order a resumable upload's part writers, hasher and completion.
#[derive(Default)]
pub struct UploadLocks {
    /// Part writers share it; completion takes it exclusively, so no byte changes under it.
    pub sessions: KeyedLocks<tokio::sync::RwLock<()>>,
    /// One whole-file hasher per upload at a time.
    pub hashers: KeyedLocks<tokio::sync::Mutex<()>>,
    /// One writer (or the hasher) per part at a time.
    pub parts: KeyedLocks<tokio::sync::Mutex<()>>,
}

/// Shared application state; cheap to clone. The doors hold one and pass it to every use
/// case.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub blobs: Arc<dyn BlobStore>,
    pub upload_locks: Arc<UploadLocks>,
    /// Signs download links; shared by every node through the database.
    pub link_key: Arc<Vec<u8>>,
    /// Sends webhook requests (the server's HTTP client with its SSRF guard).
    pub webhook_transport: Arc<dyn Transport>,
    /// Where time comes from (the system clock; a manual one in tests).
    pub clock: Arc<dyn Clock>,
    /// Sends mail; `None` without `mail.smtp_url` (then no mail is queued).
    pub mail: Option<Arc<Mailer>>,
    /// What bearer tokens resolved to, kept coherent across nodes.
    pub tokens: Arc<TokenCache>,
    /// Chains of folders this node keeps, checked against the tree's generation on use.
    pub tree: Arc<crate::tree_cache::TreeCache>,
    /// This node's part in keeping every node's caches coherent.
    pub coherence: Arc<Coherence>,
    /// Renders thumbnails: this node's bounded pool and the tools found at start.
    pub renderer: Arc<crate::thumbnails::Renderer>,
}

impl AppState {
    /// Now, in milliseconds since the Unix epoch, by the application's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
