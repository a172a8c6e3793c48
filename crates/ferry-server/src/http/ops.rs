//! Operations endpoints: health, readiness, Prometheus metrics.
//!
//! Who may read `/metrics` on the main listener: with `metrics.token`, a request bearing it
//! (compared in constant time); else, with `metrics.listen`, nobody (the metrics have their own
//! listener, [`metrics_router`]); else, when the main listener is public, loopback clients only.
//! Anyone else gets `404 not_found` or `401 unauthorized`, never the numbers.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use ferry_api as api;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use ferry_app::AppState;
use ferry_app::Error;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The separate metrics listener (`metrics.listen`): `/metrics` and `/healthz`, no token.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(open_metrics))
        .with_state(state)
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

async fn metrics(
    State(state): State<AppState>,
    client: Option<Extension<crate::http::context::ClientIp>>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let config = &state.config;
    match (&config.metrics.token, config.metrics.listen) {
        (Some(token), _) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, t)| t.trim())
                .unwrap_or("");
            if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                return Err(Error::Unauthorized.into());
            }
        }
        (None, Some(_)) => return Err(Error::NotFound.into()),
        (None, None) => {
            let public = !config.server.listen.ip().is_loopback();
            let local = client.is_some_and(|Extension(c)| c.0.is_loopback());
            if public && !local {
                return Err(Error::NotFound.into());
            }
        }
    }
    Ok(open_metrics(State(state)).await)
}

async fn open_metrics(State(state): State<AppState>) -> impl IntoResponse {
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
