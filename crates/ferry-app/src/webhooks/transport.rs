//! The one part of webhook delivery that speaks HTTP, supplied by the server: checking a
//! target when a webhook is registered, and sending one signed POST. Keeping it behind a
//! trait leaves ferry-app free of HTTP crates, and lets tests hand in their own sender.

use futures::future::BoxFuture;

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not a usable URL (syntax, scheme, no host, does not resolve).
    #[error("{0}")]
    Invalid(String),
    /// A loopback, private, link-local or otherwise non-public address.
    #[error("{0}")]
    Forbidden(String),
}

/// One delivery attempt's request.
pub struct Outgoing<'a> {
    pub url: &'a str,
    /// `x-share-*` headers (and nothing the sender must add itself but the content type).
    pub headers: Vec<(&'static str, String)>,
    pub body: &'a str,
}

/// What came of one request.
pub enum Sent {
    /// The receiver answered: its status and the first bytes of its body.
    Answered { status: u16, excerpt: Vec<u8> },
    /// No answer: refused, timed out, a forbidden target (the sender says why).
    Failed(String),
}

/// Sends webhook requests.
pub trait Transport: Send + Sync + 'static {
    /// The registration check of a target URL; the normalised URL when it is acceptable.
    fn check_target<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<String, TargetError>>;

    /// Sends one POST with a JSON body; reads at most `excerpt_bytes` of the answer.
    fn post<'a>(&'a self, request: Outgoing<'a>, excerpt_bytes: usize) -> BoxFuture<'a, Sent>;
}
