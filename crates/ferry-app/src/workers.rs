//! Background work: one [`Worker`] trait, one runner with one shutdown deadline, and
//! [`run_jobs`], which tests call to drain every worker instead of sleeping.
//!
//! A worker does its work in passes; each pass claims what it handles in the database, so
//! several nodes can run the same workers safely.

use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::AppState;

/// What a pass found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Nothing more is due now: wait for the interval.
    Idle,
    /// More is waiting: run again at once.
    Busy,
}

/// One kind of background work.
pub trait Worker: Send + 'static {
    /// For the log.
    fn name(&self) -> &'static str;

    /// How long to wait after an idle pass.
    fn interval(&self) -> Duration;

    /// Does what is due.
    fn pass<'a>(&'a mut self, app: &'a AppState) -> BoxFuture<'a, anyhow::Result<Pass>>;

    /// Waits until the work a pass started in the background has finished (tests).
    fn settle<'a>(&'a mut self) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// At shutdown, after the last pass: hands back what it holds, within `deadline`.
    fn stop<'a>(&'a mut self, _app: &'a AppState, _deadline: Duration) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// The workers every node runs.
pub fn standard(app: &AppState) -> Vec<Box<dyn Worker>> {
    vec![
        Box::new(crate::jobs::Collector::new(app)),
        Box::new(crate::webhooks::dispatch::Dispatcher::new(app)),
        Box::new(crate::tasks::Runner::new(app)),
        Box::new(crate::mail::send::Sender::new(app)),
        Box::new(crate::scan::worker::Scanner::new(app)),
        Box::new(crate::thumbnails::Prerenderer),
        Box::new(crate::link_receipts::ReceiptFiler::new(app)),
        Box::new(crate::scrub::Scrubber::new(app)),
    ]
}

/// The wait before the retry that follows failed attempt `n` (1-based): uniformly random in
/// `[0, min(max, base × 2^(n-1))]` ("full jitter"), so that failures do not retry in step.
pub fn backoff_ms(base: i64, max: i64, n: i64, random: u64) -> i64 {
    let base = base.max(1);
    let max = max.max(base);
    let shift = (n - 1).clamp(0, 40) as u32;
    let bound = base.saturating_mul(1i64 << shift).min(max);
    (random % (bound as u64 + 1)) as i64
}

/// Runs `workers` until `shutdown` fires; then each gets `deadline` to finish its pass and
/// hand back what it holds.
pub async fn run(
    app: AppState,
    workers: Vec<Box<dyn Worker>>,
    shutdown: watch::Receiver<bool>,
    deadline: Duration,
) {
    let mut tasks = JoinSet::new();
    for worker in workers {
        tasks.spawn(run_one(app.clone(), worker, shutdown.clone(), deadline));
    }
    while tasks.join_next().await.is_some() {}
}

async fn run_one(
    app: AppState,
    mut worker: Box<dyn Worker>,
    mut shutdown: watch::Receiver<bool>,
    deadline: Duration,
) {
    loop {
        let pass = tokio::select! {
            pass = worker.pass(&app) => pass,
            _ = shutdown.changed() => break,
        };
        let wait = match pass {
            Ok(Pass::Busy) => Duration::ZERO,
            Ok(Pass::Idle) => worker.interval(),
            Err(e) => {
                tracing::warn!(
                    worker = worker.name(),
                    error = format!("{e:#}"),
                    "background pass failed; will retry"
                );
                worker.interval()
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => break,
        }
    }
    let _ = tokio::time::timeout(deadline, worker.stop(&app, deadline)).await;
}

/// Runs every standard worker until nothing is due and nothing it started is still running:
/// what tests call instead of sleeping until a background pass has happened.
pub async fn run_jobs(app: &AppState) -> anyhow::Result<()> {
    for mut worker in standard(app) {
        loop {
            let pass = worker.pass(app).await?;
            worker.settle().await;
            if pass == Pass::Idle {
                break;
            }
        }
        // A second pass sees what the first one's background work left due (a retry).
        worker.pass(app).await?;
        worker.settle().await;
        worker.stop(app, Duration::from_secs(5)).await;
    }
    Ok(())
}
