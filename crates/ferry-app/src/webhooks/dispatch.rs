//! The delivery worker. Every node runs one: it claims due deliveries from the outbox (each
//! row goes to exactly one node), POSTs them, and records the attempt. A failed attempt is
//! retried with exponential backoff and full jitter until the retry window (24 h by default)
//! has passed; then the delivery is `dead`. Too many dead deliveries in a row (without a
//! success in between) disable the webhook.
//! State lives only in the database, so retries survive restarts and move between nodes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_core::DeliveryId;
use ferry_core::audit::{Action, TargetKind};
use ferry_core::ids::random_bytes;
use ferry_store::webhooks::{AttemptResult, Claimed, Outcome, Webhook};
use futures::future::BoxFuture;
use serde_json::json;
use tokio::task::JoinSet;

use super::transport::{Outgoing, Sent, Transport};
use crate::audit;
use crate::caller::Origin;
use crate::config::WebhooksConfig;
use crate::state::AppState;
use crate::workers::{Pass, Worker};

/// Deliveries claimed per statement.
const BATCH: usize = 20;
/// Deliveries in flight per node.
const MAX_IN_FLIGHT: usize = 64;
/// A claim outlives the request timeout by this much, so it only lapses if the node died.
const CLAIM_MARGIN_MS: i64 = 30_000;
/// Response bytes kept per attempt.
pub const EXCERPT_BYTES: usize = 1024;
/// On shutdown, attempts in flight get this long before they are abandoned (and their claims
/// released, so another node or the next start sends them).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Finished deliveries (and those waiting on a disabled webhook) are kept this long after
/// their last change, for `GET /webhooks/{id}/deliveries`.
const KEEP_FINISHED_MS: i64 = 30 * 86_400_000;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Claims held by this worker: delivery id → claim token.
type Held = Arc<Mutex<HashMap<DeliveryId, String>>>;

/// The delivery worker: each pass claims what is due (up to the free in-flight slots) and
/// starts the attempts in the background.
pub struct Dispatcher {
    client: Arc<dyn Transport>,
    interval: Duration,
    held: Held,
    in_flight: JoinSet<()>,
    last_prune: Option<Instant>,
}

impl Dispatcher {
    pub fn new(app: &AppState) -> Self {
        Dispatcher {
            client: app.webhook_transport.clone(),
            interval: Duration::from_millis(app.config.webhooks.dispatch_interval_ms.max(1)),
            held: Arc::default(),
            in_flight: JoinSet::new(),
            last_prune: None,
        }
    }

    async fn dispatch(&mut self, state: &AppState) -> anyhow::Result<Pass> {
        let cfg = &state.config.webhooks;
        while self.in_flight.try_join_next().is_some() {}
        let free = MAX_IN_FLIGHT.saturating_sub(self.in_flight.len());
        let mut full = false;
        if free > 0 {
            let limit = free.min(BATCH);
            let (token, batch) = claim(state, cfg, limit).await?;
            full = batch.len() == limit;
            for d in batch {
                self.held
                    .lock()
                    .expect("claims lock")
                    .insert(d.id.clone(), token.clone());
                let (state, client, held, token) = (
                    state.clone(),
                    self.client.clone(),
                    self.held.clone(),
                    token.clone(),
                );
                self.in_flight.spawn(async move {
                    let id = d.id.clone();
                    if let Err(e) = deliver(&state, &client, d, &token).await {
                        tracing::warn!(delivery = %id, error = format!("{e:#}"), "recording a webhook delivery failed; it will be retried");
                    }
                    held.lock().expect("claims lock").remove(&id);
                });
            }
        }
        if self.last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            self.last_prune = Some(Instant::now());
            if let Err(e) = prune(state).await {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "pruning old webhook deliveries failed"
                );
            }
        }
        Ok(if full && free > BATCH {
            Pass::Busy
        } else {
            Pass::Idle
        })
    }

    /// Lets quick attempts finish; abandons the rest and hands their claims back.
    async fn hand_back(&mut self, state: &AppState, grace: Duration) {
        let in_flight = &mut self.in_flight;
        let _ = tokio::time::timeout(grace, async {
            while in_flight.join_next().await.is_some() {}
        })
        .await;
        self.in_flight.shutdown().await;
        let left: Vec<(DeliveryId, String)> =
            self.held.lock().expect("claims lock").drain().collect();
        if left.is_empty() {
            return;
        }
        match release(state, &left).await {
            Ok(()) => tracing::info!(
                deliveries = left.len(),
                "released webhook deliveries in flight at shutdown"
            ),
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "releasing webhook deliveries failed; their claims will lapse"
            ),
        }
    }
}

impl Worker for Dispatcher {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>> {
        Box::pin(self.dispatch(app))
    }

    fn settle<'a>(&'a mut self) -> BoxFuture<'a, ()> {
        Box::pin(async move { while self.in_flight.join_next().await.is_some() {} })
    }

    fn stop<'a>(&'a mut self, app: &'a AppState, deadline: Duration) -> BoxFuture<'a, ()> {
        Box::pin(self.hand_back(app, deadline.min(SHUTDOWN_GRACE)))
    }
}

async fn claim(
    state: &AppState,
    cfg: &WebhooksConfig,
    limit: usize,
) -> anyhow::Result<(String, Vec<Claimed>)> {
    let token = hex::encode(random_bytes::<12>());
    let now = state.now_ms();
    let until = now + (cfg.timeout_secs.max(1) as i64) * 1000 + CLAIM_MARGIN_MS;
    let mut conn = state.store.conn().await?;
    let batch = ferry_store::webhooks::claim(&mut conn, now, until, &token, limit as i64).await?;
    Ok((token, batch))
}

async fn release(state: &AppState, left: &[(DeliveryId, String)]) -> anyhow::Result<()> {
    let mut conn = state.store.conn().await?;
    for (id, token) in left {
        ferry_store::webhooks::release(&mut conn, std::slice::from_ref(id), token).await?;
    }
    Ok(())
}

async fn prune(state: &AppState) -> anyhow::Result<()> {
    let mut conn = state.store.conn().await?;
    let removed =
        ferry_store::webhooks::prune(&mut conn, state.now_ms() - KEEP_FINISHED_MS).await?;
    if removed > 0 {
        tracing::info!(deliveries = removed, "pruned finished webhook deliveries");
    }
    Ok(())
}

/// The wait before the retry that follows failed attempt `n` (1-based) of a retry window:
/// uniformly random in `[0, min(max, base × 2^(n-1))]` ("full jitter").
pub fn backoff_ms(cfg: &WebhooksConfig, n: i64, random: u64) -> i64 {
    crate::workers::backoff_ms(cfg.retry_base_ms, cfg.retry_max_ms, n, random)
}

/// One attempt of one delivery, recorded with its consequences in one transaction.
async fn deliver(
    state: &AppState,
    client: &Arc<dyn Transport>,
    d: Claimed,
    token: &str,
) -> anyhow::Result<()> {
    let cfg = &state.config.webhooks;
    let webhook = {
        let mut conn = state.store.conn().await?;
        ferry_store::webhooks::get(&mut conn, &d.webhook_id).await?
    };
    let Some(webhook) = webhook else {
        return Ok(()); // Deleted meanwhile; its deliveries went with it.
    };
    if !webhook.is_active() {
        let mut conn = state.store.conn().await?;
        ferry_store::webhooks::release(&mut conn, std::slice::from_ref(&d.id), token).await?;
        return Ok(());
    }
    let result = attempt(client.as_ref(), &webhook, &d, state.now_ms()).await;
    let ok = result.status_code.is_some_and(|s| (200..300).contains(&s));
    let now = result.time;
    let outcome = if ok {
        Outcome::Succeeded
    } else if now - d.retry_since >= cfg.retry_for_secs.saturating_mul(1000) {
        Outcome::Dead
    } else {
        let random = u64::from_le_bytes(random_bytes::<8>());
        Outcome::RetryAt(now + backoff_ms(cfg, d.window_attempts + 1, random))
    };
    let mut tx = state.store.begin().await?;
    let finished = ferry_store::webhooks::finish(&mut tx, &d.id, token, &result, outcome).await?;
    let Some((attempt_no, held)) = finished else {
        return Ok(());
    };
    match outcome {
        // Any success shows the receiver is alive.
        Outcome::Succeeded => ferry_store::webhooks::record_success(&mut tx, &webhook.id).await?,
        // Only a delivery given up (by this worker's own claim) counts towards disabling.
        Outcome::Dead if held => {
            if let Some(failures) = ferry_store::webhooks::record_failure(
                &mut tx,
                &webhook.id,
                cfg.max_consecutive_failures.max(1),
                now,
            )
            .await?
            {
                let ctx = Origin::system("webhooks");
                audit::success(
                    &ctx,
                    None,
                    Action::WebhookDisabled,
                    (TargetKind::Webhook, &webhook.id),
                )
                .at(state.now_ms())
                .details(json!({
                    "owner_id": webhook.owner_id,
                    "consecutive_failures": failures,
                    "last_delivery_id": d.id,
                }))
                .append(&mut tx)
                .await?;
                tracing::warn!(webhook = %webhook.id, failures, "webhook disabled after consecutive failed deliveries");
            }
        }
        Outcome::Dead | Outcome::RetryAt(_) => {}
    }
    tx.commit().await?;
    let label = match outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::RetryAt(_) => "failed",
        Outcome::Dead => "dead",
    };
    metrics::counter!("ferry_webhook_attempts_total", "outcome" => label).increment(1);
    if ok {
        tracing::debug!(delivery = %d.id, webhook = %webhook.id, attempt = attempt_no, "webhook delivered");
    } else {
        tracing::info!(
            delivery = %d.id, webhook = %webhook.id, attempt = attempt_no,
            status = ?result.status_code, error = result.error.as_deref().unwrap_or(""),
            outcome = label, "webhook delivery attempt failed"
        );
    }
    Ok(())
}

/// Sends the delivery once. Never fails: whatever happened is in the result.
async fn attempt(
    client: &dyn Transport,
    webhook: &Webhook,
    d: &Claimed,
    time: i64,
) -> AttemptResult {
    let started = Instant::now();
    let mut result = AttemptResult {
        time,
        ..AttemptResult::default()
    };
    let timestamp = time.div_euclid(1000);
    let previous = webhook
        .prev_secret
        .as_deref()
        .filter(|_| webhook.prev_secret_until.is_some_and(|until| until > time));
    let signature =
        super::signature_header(&webhook.secret, previous, timestamp, d.body.as_bytes());
    let request = Outgoing {
        url: &webhook.url,
        headers: vec![
            ("x-share-event", d.event_type.clone()),
            ("x-share-delivery", d.id.to_string()),
            ("x-share-timestamp", timestamp.to_string()),
            ("x-share-signature", signature),
        ],
        body: &d.body,
    };
    let sent = client.post(request, EXCERPT_BYTES).await;
    result.latency_ms = started.elapsed().as_millis() as i64;
    match sent {
        Sent::Answered { status, excerpt } => {
            result.status_code = Some(i64::from(status));
            if !excerpt.is_empty() {
                result.response_excerpt = Some(clip(&String::from_utf8_lossy(&excerpt)));
            }
            if !(200..300).contains(&status) {
                result.error = Some(format!("HTTP {status}"));
            }
        }
        Sent::Failed(why) => result.error = Some(clip(&why)),
    }
    result
}

/// At most [`EXCERPT_BYTES`] bytes, cut at a character boundary.
fn clip(s: &str) -> String {
    ferry_core::validate::clip(s, EXCERPT_BYTES).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let cfg = WebhooksConfig::default();
        // The largest draw gives the bound itself.
        assert_eq!(backoff_ms(&cfg, 1, 30_000), 30_000);
        assert_eq!(backoff_ms(&cfg, 2, 60_000), 60_000);
        assert_eq!(backoff_ms(&cfg, 3, 120_000), 120_000);
        assert_eq!(backoff_ms(&cfg, 7, 1_920_000), 1_920_000);
        assert_eq!(backoff_ms(&cfg, 8, 3_600_000), 3_600_000, "capped at 1 h");
        assert_eq!(backoff_ms(&cfg, 60, 3_600_000), 3_600_000);
        for n in 1..100 {
            for r in [0, 1, 12_345, u64::MAX] {
                let d = backoff_ms(&cfg, n, r);
                assert!((0..=3_600_000).contains(&d), "{n} {r} {d}");
                if n == 1 {
                    assert!(d <= 30_000);
                }
            }
        }
        // Retries at the cap keep going for the whole 24 h window: at least 24 attempts.
        assert!(cfg.retry_for_secs * 1000 / cfg.retry_max_ms >= 24);
    }

    #[test]
    fn excerpts_are_cut_at_a_char_boundary() {
        let s = "é".repeat(600);
        let c = clip(&s);
        assert!(c.len() <= EXCERPT_BYTES && c.len() >= EXCERPT_BYTES - 1);
        assert_eq!(clip("short"), "short");
    }
}
