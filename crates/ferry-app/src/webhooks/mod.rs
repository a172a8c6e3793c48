//! Webhooks: every audit event, delivered by HTTP POST to the webhooks that subscribe to it.
//!
//! The outbox rows are written by `ferry_store::audit::append` in the event's transaction;
//! [`dispatch`] is the worker that sends them, [`ssrf`] keeps targets on public addresses.
//! A request carries the event as JSON and these headers:
//!
//! - `x-share-event`: the event type (the audit action, or `webhook.ping`);
//! - `x-share-delivery`: the delivery id (`dlv_…`), one per event and webhook;
//! - `x-share-timestamp`: Unix seconds when this attempt was signed;
//! - `x-share-signature`: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`, and
//!   during the grace period after a secret rotation `sha256=<new>, sha256=<old>`.

pub mod dispatch;
pub mod manage;
pub mod transport;

use ferry_core::audit::Action;
use ferry_core::ids::random_bytes;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::Error;
use transport::TargetError;

/// Prefix of webhook secrets (so that secret scanners recognise them).
pub const SECRET_PREFIX: &str = "whsec_";

/// The event type of `POST /webhooks/{id}/ping`.
pub const PING: &str = "webhook.ping";

/// Subscribes to every event.
pub const ALL_EVENTS: &str = "*";

/// Longest description, in bytes.
const MAX_DESCRIPTION: usize = 1000;

/// A new signing secret: `whsec_` and 32 random bytes in hex. The HMAC key is this whole
/// string, exactly as shown to the user.
pub fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", hex::encode(random_bytes::<32>()))
}

/// `hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The `x-share-signature` value: `sha256=<sig>`, or `sha256=<new>, sha256=<old>` while the
/// previous secret is still in its grace period.
pub fn signature_header(
    secret: &str,
    previous: Option<&str>,
    timestamp: i64,
    body: &[u8],
) -> String {
    let current = format!("sha256={}", sign(secret, timestamp, body));
    match previous {
        Some(old) => format!("{current}, sha256={}", sign(old, timestamp, body)),
        None => current,
    }
}

/// Checks and normalises a subscription list: known audit actions (or `webhook.ping`, which
/// every webhook gets anyway) or `*`; duplicates removed; `*` absorbs everything else.
pub fn normalize_events(events: &[String]) -> Result<Vec<String>, Error> {
    if events.is_empty() {
        return Err(Error::invalid(
            "events",
            "invalid_value",
            "events must name at least one event type, or be [\"*\"].",
        ));
    }
    if events.len() > 100 {
        return Err(Error::invalid(
            "events",
            "invalid_value",
            "events may name at most 100 event types.",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let e = e.trim();
        if e == ALL_EVENTS {
            return Ok(vec![ALL_EVENTS.to_string()]);
        }
        if Action::parse(e).is_none() && e != PING {
            let shown: String = e.chars().take(64).collect();
            return Err(Error::invalid(
                "events",
                "invalid_value",
                format!(
                    "Unknown event type `{shown}`. Use audit actions such as `upload.completed`, or \"*\"."
                ),
            ));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_string());
        }
    }
    Ok(out)
}

/// A description: at most 1000 bytes, no control characters other than newlines and tabs.
pub fn check_description(d: &str) -> Result<(), Error> {
    if d.len() > MAX_DESCRIPTION || d.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(
            "description",
            "invalid_value",
            "description must be at most 1000 bytes without control characters.",
        ));
    }
    Ok(())
}

/// Checks a target URL for registration: `400 invalid_webhook_url` or
/// `400 webhook_target_forbidden`. Returns the normalised URL.
pub async fn check_url(app: &crate::AppState, url: &str) -> Result<String, Error> {
    match app.webhook_transport.check_target(url.trim()).await {
        Ok(u) => Ok(u),
        Err(TargetError::Invalid(m)) => Err(Error::invalid("url", "invalid_webhook_url", m)),
        Err(TargetError::Forbidden(m)) => Err(Error::invalid("url", "webhook_target_forbidden", m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_an_independent_vector() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        let h = signature_header("new", Some("old"), 5, b"x");
        assert_eq!(
            h,
            format!(
                "sha256={}, sha256={}",
                sign("new", 5, b"x"),
                sign("old", 5, b"x")
            )
        );
    }

    #[test]
    fn secrets_are_prefixed_and_random() {
        let s = new_secret();
        assert!(s.starts_with(SECRET_PREFIX) && s.len() == SECRET_PREFIX.len() + 64);
        assert_ne!(s, new_secret());
    }

    #[test]
    fn event_lists_are_checked_and_normalised() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            normalize_events(&v(&[
                "upload.completed",
                "upload.completed",
                "link.downloaded"
            ]))
            .unwrap(),
            v(&["upload.completed", "link.downloaded"])
        );
        assert_eq!(
            normalize_events(&v(&["file.deleted", "*"])).unwrap(),
            v(&["*"])
        );
        assert!(normalize_events(&v(&[])).is_err());
        assert!(normalize_events(&v(&["upload.done"])).is_err());
        assert!(normalize_events(&v(&["webhook.ping"])).is_ok());
    }
}
