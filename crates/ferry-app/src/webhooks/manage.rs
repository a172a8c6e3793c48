//! Managing webhooks: subscriptions, their delivery log, redelivery, ping and secret
//! rotation. A user manages their own webhooks; admins all of them ([`access::webhook`]).

use std::collections::HashMap;

use ferry_core::audit::{Action, TargetKind};
use ferry_core::timefmt::rfc3339;
use ferry_core::{DeliveryId, IdKind};
use ferry_store::audit::NewEvent;
use ferry_store::webhooks::{Attempt, Delivery, NewWebhook, Webhook, WebhookChanges};
use serde_json::json;

use super::{PING, check_description, check_url, new_secret, normalize_events};
use crate::access;
use crate::audit;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

/// What a new webhook asks for.
pub struct NewWebhookRequest<'a> {
    pub url: &'a str,
    pub events: &'a [String],
    pub description: Option<&'a str>,
}

/// Changes to a webhook; `None` leaves a field as it is (`description: Some(None)` removes it).
#[derive(Default)]
pub struct WebhookUpdate {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub active: Option<bool>,
}

/// A delivery with its attempts, oldest first.
pub struct DeliveryLog {
    pub delivery: Delivery,
    pub attempts: Vec<Attempt>,
}

/// A URL fit for the audit log: a password in it is masked.
pub fn loggable_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return String::new();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The login of each webhook's owner, in one query.
pub async fn owner_logins(app: &AppState, hooks: &[Webhook]) -> Result<HashMap<String, String>> {
    let ids: Vec<&str> = hooks.iter().map(|w| w.owner_id.as_str()).collect();
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::users::logins_of(&mut conn, &ids).await?)
}

/// Subscribes the caller to events; returns the webhook and its secret (shown only now).
pub async fn create(
    app: &AppState,
    caller: &Caller,
    new: NewWebhookRequest<'_>,
) -> Result<(Webhook, String)> {
    let owner = caller.user_ref().ok_or(Error::Unauthorized)?;
    let events = normalize_events(new.events)?;
    if let Some(d) = new.description {
        check_description(d)?;
    }
    let url = check_url(app, new.url).await?;
    let id = IdKind::Webhook.generate();
    let secret = new_secret();
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    // Recorded before the webhook exists, so it is not its own first delivery.
    audit::success(
        &caller.origin,
        Some(owner),
        Action::WebhookCreated,
        (TargetKind::Webhook, &id),
    )
    .at(app.now_ms())
    .details(json!({"url": loggable_url(&url), "events": events}))
    .append(&mut tx)
    .await?;
    ferry_store::webhooks::insert(
        &mut tx,
        &NewWebhook {
            id: &id,
            owner_id: &owner.id,
            url: &url,
            events: &events,
            description: new.description,
            secret: &secret,
            now,
        },
    )
    .await?;
    let webhook = ferry_store::webhooks::get(&mut tx, &id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok((webhook, secret))
}

/// The caller's webhooks (admins: all) in creation order after `after`; `limit + 1` rows.
pub async fn list(
    app: &AppState,
    caller: &Caller,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Webhook>> {
    let owner = access::webhook_scope(caller);
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::webhooks::list(
        &mut conn,
        owner.as_deref(),
        after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?)
}

pub async fn get(app: &AppState, caller: &Caller, id: &str) -> Result<Webhook> {
    access::webhook(app, caller, id).await
}

/// Changes a webhook; only what changed is audited.
pub async fn update(
    app: &AppState,
    caller: &Caller,
    id: &str,
    body: WebhookUpdate,
) -> Result<Webhook> {
    let w = access::webhook(app, caller, id).await?;
    let mut changes = WebhookChanges::default();
    let mut changed = serde_json::Map::new();
    if let Some(events) = &body.events {
        let events = normalize_events(events)?;
        changed.insert("events".into(), json!(events));
        changes.events = Some(events);
    }
    if let Some(Some(d)) = &body.description {
        check_description(d)?;
    }
    if let Some(d) = &body.description {
        changed.insert("description".into(), json!(d));
        changes.description = Some(d.clone());
    }
    if let Some(url) = &body.url {
        let url = check_url(app, url).await?;
        changed.insert("url".into(), json!(loggable_url(&url)));
        changes.url = Some(url);
    }
    if let Some(active) = body.active {
        changed.insert("active".into(), json!(active));
        changes.active = Some(active);
    }
    let mut tx = app.store.begin().await?;
    let updated = ferry_store::webhooks::update(&mut tx, &w.id, &changes, app.now_ms())
        .await?
        .ok_or(Error::NotFound)?;
    if !changed.is_empty() {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::WebhookUpdated,
            (TargetKind::Webhook, &w.id),
        )
        .at(app.now_ms())
        .details(serde_json::Value::Object(changed))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(updated)
}

pub async fn delete(app: &AppState, caller: &Caller, id: &str) -> Result<()> {
    let w = access::webhook(app, caller, id).await?;
    let mut tx = app.store.begin().await?;
    if ferry_store::webhooks::delete(&mut tx, &w.id).await? {
        audit::success(
            &caller.origin,
            caller.user_ref(),
            Action::WebhookDeleted,
            (TargetKind::Webhook, &w.id),
        )
        .at(app.now_ms())
        .details(json!({"url": loggable_url(&w.url), "owner_id": w.owner_id}))
        .append(&mut tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A webhook's deliveries, newest first, before `before`; `limit + 1` rows, with attempts.
pub async fn deliveries(
    app: &AppState,
    caller: &Caller,
    id: &str,
    before: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<DeliveryLog>> {
    let w = access::webhook(app, caller, id).await?;
    let mut conn = app.store.conn().await?;
    let rows = ferry_store::webhooks::deliveries(
        &mut conn,
        &w.id,
        before.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit + 1,
    )
    .await?;
    let ids: Vec<DeliveryId> = rows.iter().map(|d| d.id.clone()).collect();
    let attempts = ferry_store::webhooks::attempts(&mut conn, &ids).await?;
    let mut by_delivery: HashMap<DeliveryId, Vec<Attempt>> = HashMap::new();
    for a in attempts {
        by_delivery
            .entry(a.delivery_id.clone())
            .or_default()
            .push(a);
    }
    Ok(rows
        .into_iter()
        .map(|d| DeliveryLog {
            attempts: by_delivery.remove(&d.id).unwrap_or_default(),
            delivery: d,
        })
        .collect())
}

async fn delivery_log(app: &AppState, webhook_id: &str, id: &str) -> Result<DeliveryLog> {
    let mut conn = app.store.conn().await?;
    delivery_log_in(&mut conn, webhook_id, id).await
}

async fn delivery_log_in(
    conn: &mut ferry_store::Conn,
    webhook_id: &str,
    id: &str,
) -> Result<DeliveryLog> {
    let delivery = ferry_store::webhooks::get_delivery(conn, webhook_id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let attempts =
        ferry_store::webhooks::attempts(conn, std::slice::from_ref(&delivery.id)).await?;
    Ok(DeliveryLog { delivery, attempts })
}

/// Queues a delivery again, as a new retry window.
pub async fn redeliver(
    app: &AppState,
    caller: &Caller,
    id: &str,
    delivery_id: &str,
) -> Result<DeliveryLog> {
    let w = access::webhook(app, caller, id).await?;
    if !IdKind::Delivery.matches(delivery_id) {
        return Err(Error::NotFound);
    }
    if !w.is_active() {
        return Err(Error::WebhookInactive);
    }
    // The answer is the delivery as this request left it, read in its transaction: the
    // dispatcher may claim it the moment it commits.
    let mut tx = app.store.begin().await?;
    if !ferry_store::webhooks::redeliver(&mut tx, &w.id, delivery_id, app.now_ms()).await? {
        return Err(Error::NotFound);
    }
    let log = delivery_log_in(&mut tx, &w.id, delivery_id).await?;
    tx.commit().await?;
    Ok(log)
}

/// Queues a `webhook.ping` for this webhook alone.
pub async fn ping(app: &AppState, caller: &Caller, id: &str) -> Result<DeliveryLog> {
    let w = access::webhook(app, caller, id).await?;
    if !w.is_active() {
        return Err(Error::WebhookInactive);
    }
    let now = app.now_ms();
    let user = caller.user_ref();
    let event = NewEvent {
        id: IdKind::Event.generate(),
        time: now,
        actor_id: user.map(|u| u.id.to_string()),
        actor_login: user.map(|u| u.login.clone()),
        action: PING.into(),
        target_type: "webhook".into(),
        target_id: w.id.to_string(),
        folder_id: None,
        ip: caller.origin.ip.clone(),
        user_agent: caller.origin.user_agent.clone(),
        request_id: Some(caller.origin.request_id.clone()),
        outcome: "success".into(),
        details: json!({"webhook_id": w.id, "events": w.events()}),
    };
    let body = ferry_store::webhooks::event_body(&event);
    let mut conn = app.store.conn().await?;
    let delivery_id =
        ferry_store::webhooks::enqueue_one(&mut conn, &w.id, &event.id, PING, &body, now).await?;
    drop(conn);
    delivery_log(app, &w.id, &delivery_id).await
}

/// A new secret (shown only now); the previous one keeps signing for the grace period.
pub async fn rotate_secret(app: &AppState, caller: &Caller, id: &str) -> Result<(Webhook, String)> {
    let w = access::webhook(app, caller, id).await?;
    let secret = new_secret();
    let now = app.now_ms();
    let grace_until = now + app.config.webhooks.rotation_grace_secs.max(0) * 1000;
    let mut tx = app.store.begin().await?;
    if !ferry_store::webhooks::rotate_secret(&mut tx, &w.id, &secret, grace_until, now).await? {
        return Err(Error::NotFound);
    }
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::WebhookSecretRotated,
        (TargetKind::Webhook, &w.id),
    )
    .at(app.now_ms())
    .details(json!({"previous_secret_valid_until": rfc3339(grace_until)}))
    .append(&mut tx)
    .await?;
    let updated = ferry_store::webhooks::get(&mut tx, &w.id)
        .await?
        .ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok((updated, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked_for_the_log() {
        assert_eq!(
            loggable_url("https://bob:s3cret@hooks.example.com/in?x=1"),
            "https://bob:***@hooks.example.com/in?x=1"
        );
        assert_eq!(
            loggable_url("https://hooks.example.com/a@b"),
            "https://hooks.example.com/a@b"
        );
        assert_eq!(
            loggable_url("https://bob@h.example/"),
            "https://bob@h.example/"
        );
        assert_eq!(loggable_url("not a url"), "");
    }
}
