//! Operations endpoints: health, readiness, Prometheus metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use ferry_api as api;

use crate::error::ApiError;
use ferry_app::AppState;
use ferry_app::Error;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> Json<api::Health> {
    Json(api::Health {
        status: "ok".into(),
        details: None,
    })
}

/// The process can serve requests: the database answers. The details tell of clamd (which
/// does not decide readiness: content waits for it, the rest is served) and of what
/// thumbnails can be made.
async fn readyz(State(state): State<AppState>) -> Result<Json<api::Health>, ApiError> {
    if state.store.ping().await {
        Ok(Json(api::Health {
            status: "ready".into(),
            details: Some(api::ReadyDetails {
                clamd: ferry_app::scan::readiness(&state.config.scan).await,
                thumbnails: state.renderer.available(),
            }),
        }))
    } else {
        Err(Error::Unavailable.into())
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // First: it installs the recorder the gauges below go to.
    let handle = crate::metrics_handle();
    // The outbox is shared by every node: read at scrape time, so each node reports the same.
    match ferry_app::mail::backlog(&state).await {
        Ok((waiting, failed)) => {
            metrics::gauge!("ferry_mail_outbox_backlog").set(waiting as f64);
            metrics::gauge!("ferry_mail_outbox_failed").set(failed as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot count the mail outbox for the metrics"),
    }
    match ferry_app::stats::totals(&state).await {
        Ok(totals) => {
            metrics::gauge!("ferry_stored_bytes").set(totals.stored_bytes as f64);
            metrics::gauge!("ferry_files").set(totals.files as f64);
            metrics::gauge!("ferry_users").set(totals.users as f64);
            metrics::gauge!("ferry_uploads_in_flight").set(totals.uploads_in_flight as f64);
            metrics::gauge!("ferry_webhook_backlog").set(totals.webhook_backlog as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the totals for the metrics"),
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}
