//! Webhooks: `/webhooks` — subscriptions, their delivery log, redelivery, ping and secret
//! rotation. A user sees and manages their own webhooks; admins see all. Anyone else's webhook
//! is `404`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ferry_api as api;
use ferry_core::IdKind;
use ferry_core::audit::Action;
use ferry_core::timefmt::{now_ms, rfc3339};
use ferry_store::audit::NewEvent;
use ferry_store::users::User;
use ferry_store::webhooks::{Attempt, Delivery, NewWebhook, Webhook, WebhookChanges};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::AuthUser;
use crate::http::context::Ctx;
use crate::http::extract::{ApiJson, ApiQuery, Page, paginate};
use ferry_app::AppState;
use ferry_app::Error;
use ferry_app::audit;
use ferry_app::webhooks::{self as hooks, PING};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(ping))
        .routes(routes!(rotate_secret))
}

/// Loads a webhook the caller may manage (its owner, or an admin); anything else is `404`.
async fn load(state: &AppState, me: &User, id: &str) -> ApiResult<Webhook> {
    if !IdKind::Webhook.matches(id) {
        return Err(ApiError::App(Error::NotFound));
    }
    let mut conn = state.store.conn().await?;
    match ferry_store::webhooks::get(&mut conn, id).await? {
        Some(w) if w.owner_id == me.id || me.is_admin() => Ok(w),
        _ => Err(ApiError::App(Error::NotFound)),
    }
}

/// Owner logins by id, for views.
async fn owner_logins(state: &AppState, hooks: &[Webhook]) -> ApiResult<HashMap<String, String>> {
    let mut logins = HashMap::new();
    let mut conn = state.store.conn().await?;
    for w in hooks {
        if !logins.contains_key(&w.owner_id) {
            let login = ferry_store::users::get(&mut conn, &w.owner_id)
                .await?
                .map(|u| u.login)
                .unwrap_or_default();
            logins.insert(w.owner_id.clone(), login);
        }
    }
    Ok(logins)
}

fn view(w: &Webhook, owner_login: &str, secret: Option<String>, now: i64) -> api::Webhook {
    api::Webhook {
        id: w.id.clone(),
        url: w.url.clone(),
        events: w.events(),
        secret,
        active: w.is_active(),
        created_at: rfc3339(w.created_at),
        description: w.description.clone(),
        owner: api::Owner {
            id: w.owner_id.clone(),
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
) -> ApiResult<api::Webhook> {
    let logins = owner_logins(state, std::slice::from_ref(w)).await?;
    Ok(view(w, &logins[&w.owner_id], secret, now_ms()))
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

fn delivery_view(d: &Delivery, attempts: &[&Attempt]) -> api::WebhookDelivery {
    let waiting = matches!(d.status.as_str(), "pending" | "failed");
    api::WebhookDelivery {
        id: d.id.clone(),
        webhook_id: d.webhook_id.clone(),
        event_id: d.event_id.clone(),
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
        attempts: attempts.iter().map(|a| attempt_view(a)).collect(),
    }
}

/// A delivery with its attempts.
async fn delivery_with_attempts(
    state: &AppState,
    webhook_id: &str,
    id: &str,
) -> ApiResult<api::WebhookDelivery> {
    let mut conn = state.store.conn().await?;
    let d = ferry_store::webhooks::get_delivery(&mut conn, webhook_id, id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    let attempts = ferry_store::webhooks::attempts(&mut conn, std::slice::from_ref(&d.id)).await?;
    Ok(delivery_view(&d, &attempts.iter().collect::<Vec<_>>()))
}

/// A URL for the audit log: without a password in it.
fn loggable_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

/// Subscribe a URL to events. The answer carries the signing secret, shown only this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = api::CreateWebhook,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 201, body = api::Webhook, description = "The webhook, with its `secret` (shown only here)"),
        (status = 400, description = "`invalid_webhook_url` (not https, no host, does not resolve), `webhook_target_forbidden` (a loopback, private, link-local or other non-public address), `invalid_value` (unknown event type, empty `events`, description)", body = api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    ApiJson(body): ApiJson<api::CreateWebhook>,
) -> ApiResult<impl IntoResponse> {
    let events = hooks::normalize_events(&body.events)?;
    if let Some(d) = &body.description {
        hooks::check_description(d)?;
    }
    let url = hooks::check_url(&state, &body.url).await?;
    let id = IdKind::Webhook.generate();
    let secret = hooks::new_secret();
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    // Recorded before the webhook exists, so it is not its own first delivery.
    audit::success(
        &ctx,
        Some(&me.user),
        Action::WebhookCreated,
        ("webhook", &id),
    )
    .details(json!({"url": loggable_url(&url), "events": events}))
    .append(&mut tx)
    .await?;
    ferry_store::webhooks::insert(
        &mut tx,
        &NewWebhook {
            id: &id,
            owner_id: &me.user.id,
            url: &url,
            events: &events,
            description: body.description.as_deref(),
            secret: &secret,
            now,
        },
    )
    .await?;
    let webhook = ferry_store::webhooks::get(&mut tx, &id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(view(&webhook, &me.user.login, Some(secret), now)),
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
    let owner = (!me.user.is_admin()).then_some(me.user.id.as_str());
    let rows = {
        let mut conn = state.store.conn().await?;
        ferry_store::webhooks::list(
            &mut conn,
            owner,
            after.as_ref().map(|(t, id)| (*t, id.as_str())),
            limit + 1,
        )
        .await?
    };
    let (rows, next_cursor) = paginate(rows, limit, |w| (w.created_at, w.id.clone()));
    let logins = owner_logins(&state, &rows).await?;
    let now = now_ms();
    Ok(axum::Json(api::WebhookList {
        webhooks: rows
            .iter()
            .map(|w| view(w, &logins[&w.owner_id], None, now))
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
    let w = load(&state, &me.user, &id).await?;
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
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<api::UpdateWebhook>,
) -> ApiResult<axum::Json<api::Webhook>> {
    let w = load(&state, &me.user, &id).await?;
    let mut changes = WebhookChanges::default();
    let mut changed = serde_json::Map::new();
    if let Some(events) = &body.events {
        let events = hooks::normalize_events(events)?;
        changed.insert("events".into(), json!(events));
        changes.events = Some(events);
    }
    if let Some(Some(d)) = &body.description {
        hooks::check_description(d)?;
    }
    if let Some(d) = &body.description {
        changed.insert("description".into(), json!(d));
        changes.description = Some(d.clone());
    }
    if let Some(url) = &body.url {
        let url = hooks::check_url(&state, url).await?;
        changed.insert("url".into(), json!(loggable_url(&url)));
        changes.url = Some(url);
    }
    if let Some(active) = body.active {
        changed.insert("active".into(), json!(active));
        changes.active = Some(active);
    }
    let mut tx = state.store.begin().await?;
    let updated = ferry_store::webhooks::update(&mut tx, &w.id, &changes, now_ms())
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    if !changed.is_empty() {
        audit::success(
            &ctx,
            Some(&me.user),
            Action::WebhookUpdated,
            ("webhook", &w.id),
        )
        .details(serde_json::Value::Object(changed))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(axum::Json(view_one(&state, &updated, None).await?))
}

/// Delete a webhook with its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/webhooks/{webhook_id}", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204), (status = 404, body = api::ErrorBody)))]
async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let w = load(&state, &me.user, &id).await?;
    let mut tx = state.store.begin().await?;
    if ferry_store::webhooks::delete(&mut tx, &w.id).await? {
        audit::success(
            &ctx,
            Some(&me.user),
            Action::WebhookDeleted,
            ("webhook", &w.id),
        )
        .details(json!({"url": loggable_url(&w.url), "owner_id": w.owner_id}))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
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
    let w = load(&state, &me.user, &id).await?;
    let limit = page.limit()?;
    let before = page.cursor::<(i64, String)>()?;
    let mut conn = state.store.conn().await?;
    let rows = ferry_store::webhooks::deliveries(
        &mut conn,
        &w.id,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?;
    let (rows, next_cursor) = paginate(rows, limit, |d| (d.created_at, d.id.clone()));
    let ids: Vec<String> = rows.iter().map(|d| d.id.clone()).collect();
    let attempts = ferry_store::webhooks::attempts(&mut conn, &ids).await?;
    let mut by_delivery: HashMap<&str, Vec<&Attempt>> = HashMap::new();
    for a in &attempts {
        by_delivery
            .entry(a.delivery_id.as_str())
            .or_default()
            .push(a);
    }
    Ok(axum::Json(api::WebhookDeliveryList {
        deliveries: rows
            .iter()
            .map(|d| delivery_view(d, by_delivery.get(d.id.as_str()).map_or(&[], |v| v)))
            .collect(),
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
    let w = load(&state, &me.user, &id).await?;
    if !IdKind::Delivery.matches(&delivery_id) {
        return Err(ApiError::App(Error::NotFound));
    }
    if !w.is_active() {
        return Err(ApiError::App(Error::WebhookInactive));
    }
    let mut conn = state.store.conn().await?;
    if !ferry_store::webhooks::redeliver(&mut conn, &w.id, &delivery_id, now_ms()).await? {
        return Err(ApiError::App(Error::NotFound));
    }
    drop(conn);
    let d = delivery_with_attempts(&state, &w.id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(d)))
}

/// Queue a `webhook.ping` event to this webhook only (whatever its event filter).
#[utoipa::path(post, path = "/webhooks/{webhook_id}/ping", tag = "webhooks", params(("webhook_id" = String, Path)),
    security(("bearer" = []), ("basic" = [])),
    responses((status = 202, body = api::WebhookDelivery, description = "The queued delivery"),
        (status = 404, body = api::ErrorBody),
        (status = 409, description = "`webhook_inactive`: enable the webhook first", body = api::ErrorBody)))]
async fn ping(
    State(state): State<AppState>,
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let w = load(&state, &me.user, &id).await?;
    if !w.is_active() {
        return Err(ApiError::App(Error::WebhookInactive));
    }
    let now = now_ms();
    let event = NewEvent {
        id: IdKind::Event.generate(),
        time: now,
        actor_id: Some(me.user.id.clone()),
        actor_login: Some(me.user.login.clone()),
        action: PING.into(),
        target_type: "webhook".into(),
        target_id: w.id.clone(),
        folder_id: None,
        ip: ctx.ip.clone(),
        user_agent: ctx.user_agent.clone(),
        request_id: Some(ctx.request_id.clone()),
        outcome: "success".into(),
        details: json!({"webhook_id": w.id, "events": w.events()}),
    };
    let body = ferry_store::webhooks::event_body(&event);
    let mut conn = state.store.conn().await?;
    let delivery_id =
        ferry_store::webhooks::enqueue_one(&mut conn, &w.id, &event.id, PING, &body, now).await?;
    drop(conn);
    let d = delivery_with_attempts(&state, &w.id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(d)))
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
    ctx: Ctx,
    me: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<api::Webhook>> {
    let w = load(&state, &me.user, &id).await?;
    let secret = hooks::new_secret();
    let now = now_ms();
    let grace_until = now + state.config.webhooks.rotation_grace_secs.max(0) * 1000;
    let mut tx = state.store.begin().await?;
    if !ferry_store::webhooks::rotate_secret(&mut tx, &w.id, &secret, grace_until, now).await? {
        return Err(ApiError::App(Error::NotFound));
    }
    audit::success(
        &ctx,
        Some(&me.user),
        Action::WebhookSecretRotated,
        ("webhook", &w.id),
    )
    .details(json!({"previous_secret_valid_until": rfc3339(grace_until)}))
    .append(&mut tx)
    .await?;
    let updated = ferry_store::webhooks::get(&mut tx, &w.id)
        .await?
        .ok_or(ApiError::App(Error::NotFound))?;
    tx.commit().await?;
    Ok(axum::Json(view_one(&state, &updated, Some(secret)).await?))
}
