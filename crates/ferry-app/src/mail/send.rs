//! The mail worker. Every node runs one: each pass claims due mails from the outbox with a
//! lease (each row goes to exactly one node; a dead node's lease lapses and another node takes
//! the mail over), sends them one after the other, and records each attempt under its claim.
//! A failed attempt is retried with exponential backoff and full jitter; after
//! `mail.max_attempts` attempts, or when the SMTP server refuses the mail for good, the mail is
//! `failed`. State lives only in the database, so nothing is lost across restarts.

use std::time::{Duration, Instant};

use ferry_core::ids::random_bytes;
use ferry_store::mail::{ClaimedMail, MailOutcome};
use futures::future::BoxFuture;

use super::Mailer;
use crate::config::MailConfig;
use crate::state::AppState;
use crate::workers::{Pass, Worker, backoff_ms};

/// Mails claimed per pass.
const BATCH: usize = 10;
/// A claim outlives a pass of `BATCH` attempts by this much, so it only lapses if the node
/// died.
const CLAIM_MARGIN_MS: i64 = 30_000;
/// Sent and failed mails are kept this long after their last change (without their bodies).
const KEEP_FINISHED_MS: i64 = 30 * 86_400_000;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Longest error text kept per mail.
const MAX_ERROR: usize = 500;

/// The mail worker.
pub struct Sender {
    interval: Duration,
    /// The claim token of the pass in progress, kept from before its claim is asked for until
    /// every mail it claimed is recorded: a pass cut short by shutdown, even while the claim
    /// itself was on its way (the database may have made it without this node hearing the
    /// answer), leaves it here for [`Worker::stop`] to hand back.
    held: Option<String>,
    last_prune: Option<Instant>,
}

impl Sender {
    pub fn new(app: &AppState) -> Self {
        Sender {
            interval: Duration::from_millis(app.config.mail.send_interval_ms.max(1)),
            held: None,
            last_prune: None,
        }
    }

    async fn send_due(&mut self, app: &AppState) -> anyhow::Result<Pass> {
        let Some(mailer) = app.mail.clone() else {
            return Ok(Pass::Idle);
        };
        if self.last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            self.last_prune = Some(Instant::now());
            let mut conn = app.store.conn().await?;
            let removed =
                ferry_store::mail::prune(&mut conn, app.now_ms() - KEEP_FINISHED_MS).await?;
            if removed > 0 {
                tracing::info!(mails = removed, "pruned finished mails");
            }
            // Sign-ups whose confirmation mail went unanswered keep a password hash: gone too.
            ferry_store::registrations::prune(&mut conn, app.now_ms() - KEEP_FINISHED_MS).await?;
        }
        let cfg = &app.config.mail;
        // A pass that failed half way left its claims: hand them back rather than let them
        // wait for the lease.
        self.hand_back(app).await;
        let token = hex::encode(random_bytes::<12>());
        self.held = Some(token.clone());
        let now = app.now_ms();
        let lease = (cfg.timeout_secs.max(1) as i64) * 2000 * BATCH as i64 + CLAIM_MARGIN_MS;
        let batch = {
            let mut conn = app.store.conn().await?;
            ferry_store::mail::claim(&mut conn, now, now + lease, &token, BATCH as i64).await?
        };
        let full = batch.len() == BATCH;
        for m in batch {
            attempt(app, &mailer, cfg, m, &token).await?;
        }
        self.held = None;
        Ok(if full { Pass::Busy } else { Pass::Idle })
    }

    /// Hands back the claims a cut-short or failed pass left, so that the next pass, the next
    /// start or another node sends those mails at once instead of after the lease.
    async fn hand_back(&mut self, app: &AppState) {
        let Some(token) = self.held.take() else {
            return;
        };
        let released = async {
            let mut conn = app.store.conn().await?;
            ferry_store::mail::release(&mut conn, &token).await?;
            anyhow::Ok(())
        };
        if let Err(e) = released.await {
            tracing::warn!(
                error = format!("{e:#}"),
                "handing back claimed mails failed; their claims will lapse"
            );
        }
    }
}

impl Worker for Sender {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(self.send_due(app))
    }

    fn stop<'a>(&'a mut self, app: &'a AppState, _deadline: Duration) -> BoxFuture<'a, ()> {
        Box::pin(self.hand_back(app))
    }
}

/// What follows a failed attempt: another one later, or giving up.
fn after_failure(cfg: &MailConfig, attempts_before: i64, permanent: bool, now: i64) -> MailOutcome {
    let attempt = attempts_before + 1;
    if permanent || attempt >= cfg.max_attempts.max(1) {
        return MailOutcome::Failed;
    }
    let random = u64::from_le_bytes(random_bytes::<8>());
    MailOutcome::RetryAt(now + backoff_ms(cfg.retry_base_ms, cfg.retry_max_ms, attempt, random))
}

/// One attempt of one mail, recorded under the claim `token`.
async fn attempt(
    app: &AppState,
    mailer: &Mailer,
    cfg: &MailConfig,
    m: ClaimedMail,
    token: &str,
) -> anyhow::Result<()> {
    let sent = mailer
        .send(&m.recipient, &m.subject, &m.text_body, &m.html_body)
        .await;
    let now = app.now_ms();
    let (outcome, error) = match &sent {
        Ok(()) => (MailOutcome::Sent, None),
        Err(e) => (
            after_failure(cfg, m.attempts, e.permanent, now),
            Some(clip(&e.message)),
        ),
    };
    let mut conn = app.store.conn().await?;
    let recorded =
        ferry_store::mail::finish(&mut conn, &m.id, token, outcome, error.as_deref(), now).await?;
    let label = match outcome {
        MailOutcome::Sent => "sent",
        MailOutcome::RetryAt(_) => "retrying",
        MailOutcome::Failed => "failed",
    };
    metrics::counter!("ferry_mail_attempts_total", "outcome" => label).increment(1);
    // The recipient and the bodies stay out of the log: the id finds the row.
    match (&sent, recorded) {
        (_, false) => tracing::warn!(
            mail = %m.id,
            "a mail's claim lapsed while it was being sent; another node owns it now"
        ),
        (Ok(()), true) => tracing::debug!(mail = %m.id, kind = %m.kind, "mail sent"),
        (Err(e), true) => tracing::info!(
            mail = %m.id, kind = %m.kind, attempt = m.attempts + 1, error = %clip(&e.message),
            outcome = label, "mail attempt failed"
        ),
    }
    Ok(())
}

/// At most [`MAX_ERROR`] bytes, cut at a character boundary.
fn clip(s: &str) -> String {
    ferry_core::validate::clip(s, MAX_ERROR).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_retry_until_the_last_attempt_and_permanent_ones_at_once() {
        let cfg = MailConfig {
            max_attempts: 3,
            retry_base_ms: 1000,
            retry_max_ms: 10_000,
            ..MailConfig::default()
        };
        for before in [0, 1] {
            match after_failure(&cfg, before, false, 5_000) {
                MailOutcome::RetryAt(at) => assert!((5_000..=5_000 + 2_000).contains(&at)),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(after_failure(&cfg, 2, false, 0), MailOutcome::Failed);
        assert_eq!(after_failure(&cfg, 0, true, 0), MailOutcome::Failed);
    }

    #[test]
    fn errors_are_clipped_at_a_char_boundary() {
        let long = "é".repeat(400);
        let c = clip(&long);
        assert!(c.len() <= MAX_ERROR && c.len() >= MAX_ERROR - 1);
    }
}
