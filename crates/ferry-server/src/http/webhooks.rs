//! Webhooks: `/webhooks` — subscriptions, their delivery log, redelivery, ping and secret
//! rotation. A user sees and manages their own webhooks; admins see all. Anyone else's webhook
//! is `404`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_app::webhooks::manage::{self, DeliveryLog, NewWebhookRequest, WebhookUpdate};
use ferry_app::{AppState, Result as AppResult};
use ferry_core::timefmt::rfc3339;
use ferry_store::webhooks::{Attempt, Webhook};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::auth::AuthUser;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(ping))
        .routes(routes!(rotate_secret))
}

fn view(w: &Webhook, owner_login: &str, secret: Option<String>, now: i64) -> api::Webhook {
    api::Webhook {
        id: w.id.to_string(),
        url: w.url.clone(),
        events: w.events(),
        secret,
        active: w.is_active(),
        created_at: rfc3339(w.created_at),
        description: w.description.clone(),
        owner: api::Owner {
            id: w.owner_id.to_string(),
            login: owner_login.to_string(),
        },
        updated_at: rfc3339(w.updated_at),
        disabled_at: w.disabled_at.filter(|_| !w.is_active()).map(rfc3339),
        consecutive_failures: w.consecutive_failures,
        previous_secret_expires_at: w
            .prev_secret_until
            .filter(|until| w.prev_secret.is_some() && *until > now)
            .map(rfc3339),
    }
}

async fn view_one(
    state: &AppState,
    w: &Webhook,
    secret: Option<String>,
) -> AppResult<api::Webhook> {
    let logins = manage::owner_logins(state, std::slice::from_ref(w)).await?;
    let login = logins.get(w.owner_id.as_str()).map_or("", String::as_str);
    Ok(view(w, login, secret, state.now_ms()))
}

fn attempt_view(a: &Attempt) -> api::WebhookAttempt {
    api::WebhookAttempt {
        attempt: a.attempt,
        time: rfc3339(a.time),
        status_code: a.status_code,
        latency_ms: a.latency_ms,
        response_excerpt: a.response_excerpt.clone(),
        error: a.error.clone(),
    }
}

fn delivery_view(log: &DeliveryLog) -> api::WebhookDelivery {
    let d = &log.delivery;
    let waiting = matches!(d.status.as_str(), "pending" | "failed");
    api::WebhookDelivery {
        id: d.id.to_string(),
        webhook_id: d.webhook_id.to_string(),
        event_id: d.event_id.to_string(),
        event_type: d.event_type.clone(),
        status: d.status.clone(),
        attempt_count: d.attempts,
        next_attempt_at: waiting.then(|| rfc3339(d.next_attempt_at)),
        status_code: d.last_status_code,
        latency_ms: d.last_latency_ms,
        response_excerpt: d.last_response.clone(),
        error: d.last_error.clone(),
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
        payload: serde_json::from_str(&d.body).unwrap_or(serde_json::Value::Null),
        attempts: log.attempts.iter().map(attempt_view).collect(),
    }
}

/// A delivery with its attempts.
/// Subscribe a URL to events. The answer carries the signing secret, shown only this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = api::CreateWebhook,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Webhook, description = "The webhook, with its `secret` (shown only here)"),
        (status = 400, description = "`invalid_webhook_url` (not https, no host, does not resolve), `webhook_target_forbidden` (a loopback, private, link-local or other non-public address), `invalid_value` (unknown event type, empty `events`, description)", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateWebhook>,
) -> ApiResult<impl IntoResponse> {
    let new = NewWebhookRequest {
        url: &body.url,
        events: &body.events,
        description: body.description.as_deref(),
    };
    let (webhook, secret) = manage::create(&state, &me.caller(), new).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(view(&webhook, &me.user.login, Some(secret), state.now_ms())),
    ))
}

/// The caller's webhooks (admins: everyone's), oldest first.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", params(Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::WebhookList),
        (status = 400, description = "`invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    me: AuthUser,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::WebhookList>> {
    let limit = page.limit()?;
    let after = page.cursor::<(i64, String)>()?;
    let rows = manage::list(&state, &me.caller(), after, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |w| (w.created_at, w.id.clone()));
    let logins = manage::owner_logins(&state, &rows).await?;
    let now = state.now_ms();
    Ok(axum::Json(api::WebhookList {
        webhooks: rows
            .iter()
            .map(|w| {
                view(
                    w,
                    logins.get(w.owner_id.as_str()).map_or("", String::as_str),
                    None,
                    now,
                )
            })
            .collect(),
        next_cursor,
    }))
}

/// One webhook (without its secret).
#[utoipa::path(get, path = "/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Webhook), (status = 404, body = api::ErrorBody)))]
async fn get(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Webhook>> {
    let w = manage::get(&state, &me.caller(), &id).await?;
    Ok(axum::Json(view_one(&state, &w, None).await?))
}

/// Change a webhook's URL, events or description, or disable / re-enable it. Re-enabling
/// forgets past failures; deliveries waiting meanwhile are sent.
#[utoipa::path(patch, path = "/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    request_body = api::UpdateWebhook,
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Webhook),
        (status = 400, description = "`invalid_webhook_url`, `webhook_target_forbidden`, `invalid_value`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateWebhook>,
) -> ApiResult<axum::Json<api::Webhook>> {
    let changes = WebhookUpdate {
        url: body.url,
        events: body.events,
        description: body.description,
        active: body.active,
    };
    let updated = manage::update(&state, &me.caller(), &id, changes).await?;
    Ok(axum::Json(view_one(&state, &updated, None).await?))
}

/// Delete a webhook with its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204), (status = 404, body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    manage::delete(&state, &me.caller(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's deliveries, newest first, each with its attempts (time, HTTP status, latency,
/// the first KiB of the response, the error).
#[utoipa::path(get, path = "/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("webhook_id" = String, Path), Page),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::WebhookDeliveryList),
        (status = 400, description = "`invalid_value` (limit), `invalid_cursor`", body = api::ErrorBody),
        (status = 404, body = api::ErrorBody)))]
async fn deliveries(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<axum::Json<api::WebhookDeliveryList>> {
    let limit = page.limit()?;
    let before = page.cursor::<(i64, String)>()?;
    let rows = manage::deliveries(&state, &me.caller(), &id, before, limit).await?;
    let (rows, next_cursor) = paginate(rows, limit, |l| {
        (l.delivery.created_at, l.delivery.id.clone())
    });
    Ok(axum::Json(api::WebhookDeliveryList {
        deliveries: rows.iter().map(delivery_view).collect(),
        next_cursor,
    }))
}

/// Send a delivery again, now: the same body, event id and delivery id, with a fresh retry
/// window.
#[utoipa::path(post, path = "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", tag = "webhooks",
    params(("webhook_id" = String, Path), ("delivery_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 202, body = api::WebhookDelivery, description = "Scheduled"),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`webhook_inactive`: enable the webhook first", body = api::ErrorBody)))]
async fn redeliver(
    State(state): State<AppState>,
    me: AuthUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let log = manage::redeliver(&state, &me.caller(), &id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(delivery_view(&log))))
}

/// Queue a `webhook.ping` event to this webhook only (whatever its event filter).
#[utoipa::path(post, path = "/webhooks/{webhook_id}/ping", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 202, body = api::WebhookDelivery, description = "The queued delivery"),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`webhook_inactive`: enable the webhook first", body = api::ErrorBody)))]
async fn ping(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let log = manage::ping(&state, &me.caller(), &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(delivery_view(&log))))
}

/// Replace the signing secret. The new one is in the answer, shown only this once. For
/// `webhooks.rotation_grace_secs` (default a day) deliveries carry both signatures:
/// `x-share-signature: sha256=<new>, sha256=<old>`.
#[utoipa::path(post, path = "/webhooks/{webhook_id}/rotate-secret", tag = "webhooks",
    params(("webhook_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, body = api::Webhook, description = "The webhook with its new `secret`"),
        (status = 404, body = api::ErrorBody)))]
async fn rotate_secret(
    State(state): State<AppState>,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Webhook>> {
    let (updated, secret) = manage::rotate_secret(&state, &me.caller(), &id).await?;
    Ok(axum::Json(view_one(&state, &updated, Some(secret)).await?))
}
