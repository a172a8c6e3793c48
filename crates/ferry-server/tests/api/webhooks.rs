//! Webhooks against real receivers: small HTTP servers on 127.0.0.1 that record every request
//! and check signatures with an HMAC-SHA256 written here from SHA-256 alone (not the `hmac`
//! crate the server uses). Retries, timeouts, restarts, two nodes, SSRF refusals, the delivery
//! log, redelivery, ping, auto-disable, secret rotation, filters and visibility.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use ferry_api as api;
use ferry_client::Client;
use ferry_server::Config;

use crate::helpers::{TestApp, assert_api_error, assert_field_error};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends_with!(fast;
    deliveries_are_signed_and_carry_the_audit_event,
    a_failing_receiver_gets_the_same_event_until_it_succeeds,
    nothing_is_lost_across_a_restart_in_the_middle_of_retrying,
    two_servers_on_one_database_deliver_each_event_exactly_once,
    the_delivery_log_pages_and_redelivery_resends_the_same_event,
    ping_reaches_the_webhook_whatever_its_filter,
    secret_rotation_signs_with_both_secrets_during_the_grace_period,
    event_filters_choose_what_a_webhook_gets,
    a_download_in_parallel_ranges_is_one_delivery,
    users_get_only_their_own_events_and_cannot_see_other_webhooks,
    a_disabled_account_gets_no_more_events,
);
on_both_backends_with!(fast_timeout; a_receiver_slower_than_the_timeout_is_retried);
on_both_backends_with!(three_strikes; a_webhook_failing_too_often_is_disabled_and_can_be_re_enabled);
on_both_backends!(
    private_and_non_https_targets_are_refused,
    bad_subscriptions_are_refused
);

/// Local receivers, quick polling and quick retries.
fn fast(c: &mut Config) {
    c.webhooks.allow_private_targets = true;
    c.webhooks.dispatch_interval_ms = 50;
    c.webhooks.retry_base_ms = 200;
    c.webhooks.retry_max_ms = 1000;
    c.webhooks.timeout_secs = 10;
}

fn fast_timeout(c: &mut Config) {
    fast(c);
    c.webhooks.timeout_secs = 1;
}

/// Deliveries are given up after three seconds of retries (room for at least two attempts even
/// on a slow machine); three in a row disable a webhook.
fn three_strikes(c: &mut Config) {
    fast(c);
    c.webhooks.retry_for_secs = 3;
    c.webhooks.max_consecutive_failures = 3;
}

/// How long anything asynchronous may take before a test gives up (generous: CI machines
/// build other things while the suite runs, and a retry after a restart waited 30 s once).
const PATIENCE: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// An independent HMAC-SHA256 (RFC 2104) over sha2: H((K ^ opad) || H((K ^ ipad) || m)).

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(Sha256::digest(key).as_slice());
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let mut inner = Sha256::new();
    inner.update(&ipad);
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(&opad);
    outer.update(inner.as_slice());
    outer.finalize().as_slice().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
fn expected_signature(secret: &str, r: &Received) -> String {
    let mut message = format!("{}.", r.timestamp).into_bytes();
    message.extend_from_slice(&r.body);
    format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), &message)))
}

/// The signatures in `x-share-signature`, in order.
fn signatures(r: &Received) -> Vec<String> {
    r.signature
        .split(',')
        .map(|s| s.trim().to_string())
        .collect()
}

fn assert_signed_by(r: &Received, secret: &str) {
    assert_eq!(
        signatures(r),
        vec![expected_signature(secret, r)],
        "bad signature on {r:?}"
    );
}

#[test]
fn the_test_hmac_matches_rfc_4231() {
    // RFC 4231 test cases 2 and 6 (a key longer than the block).
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hex(&hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

// ---------------------------------------------------------------------------------------------
// A recording receiver.

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: String,
    event: String,
    delivery: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    /// The status answered; 0 when the receiver stalled instead.
    replied: u16,
}

impl Received {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook bodies are JSON")
    }

    fn event_id(&self) -> String {
        self.json()["id"].as_str().unwrap_or_default().to_string()
    }
}

/// What the receiver does with a request.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Waits this long, then answers 200 (if anyone still listens).
    Stall(Duration),
}

#[derive(Default)]
struct Inbox {
    log: Mutex<Vec<Received>>,
    /// Replies for the next requests, in order; then `default`.
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Option<Reply>>,
}

struct Receiver {
    /// `http://127.0.0.1:<port>`.
    url: String,
    inbox: Arc<Inbox>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State(inbox): State<Arc<Inbox>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("<not ascii>").to_string())
            .unwrap_or_default()
    };
    let reply = inbox
        .script
        .lock()
        .unwrap()
        .pop_front()
        .or(*inbox.default.lock().unwrap())
        .unwrap_or(Reply::Status(200));
    let replied = match reply {
        Reply::Status(s) => s,
        Reply::Stall(_) => 0,
    };
    inbox.log.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        content_type: header("content-type"),
        event: header("x-share-event"),
        delivery: header("x-share-delivery"),
        timestamp: header("x-share-timestamp"),
        signature: header("x-share-signature"),
        body: body.to_vec(),
        replied,
    });
    match reply {
        Reply::Status(s) => StatusCode::from_u16(s).unwrap(),
        Reply::Stall(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK
        }
    }
}

impl Receiver {
    async fn start() -> Receiver {
        let inbox = Arc::new(Inbox::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, inbox, task }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    fn script(&self, replies: &[Reply]) {
        self.inbox
            .script
            .lock()
            .unwrap()
            .extend(replies.iter().copied());
    }

    fn answer_by_default(&self, reply: Reply) {
        *self.inbox.default.lock().unwrap() = Some(reply);
    }

    fn received(&self) -> Vec<Received> {
        self.inbox.log.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the requests received so far; returns them.
    async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "gave up waiting for {what}; received: {:#?}",
                got.iter()
                    .map(|r| (&r.path, &r.event, &r.delivery, r.replied))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn events(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn try_subscribe(
    client: &Client,
    url: &str,
    list: &[&str],
) -> Result<api::Webhook, ferry_client::ClientError> {
    client
        .create_webhook(&api::CreateWebhook {
            url: url.to_string(),
            events: events(list),
            description: None,
        })
        .await
}

async fn subscribe(client: &Client, url: &str, list: &[&str]) -> api::Webhook {
    try_subscribe(client, url, list)
        .await
        .expect("create webhook")
}

/// A folder with one uploaded file: returns the file (an `upload.completed` event).
async fn upload(client: &Client, folder: &str, name: &str) -> api::File {
    let folders = client.list_folders(false).await.unwrap().folders;
    let folder_id = match folders.iter().find(|f| f.name == folder) {
        Some(f) => f.id.clone(),
        None => client.create_folder(folder, 0).await.unwrap().id,
    };
    client
        .upload(&folder_id, name, b"hello webhooks".to_vec())
        .await
        .unwrap()
}

/// Polls a webhook's delivery log until `done` holds.
async fn log_until(
    client: &Client,
    webhook_id: &str,
    what: &str,
    done: impl Fn(&[api::WebhookDelivery]) -> bool,
) -> Vec<api::WebhookDelivery> {
    let started = Instant::now();
    loop {
        let log = client
            .webhook_deliveries(webhook_id, None, None)
            .await
            .unwrap()
            .deliveries;
        if done(&log) {
            return log;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "gave up waiting for {what}: {log:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

async fn deliveries_are_signed_and_carry_the_audit_event(app: TestApp) {
    let rx = Receiver::start().await;
    let (alice_user, alice) = app.user("alice", None).await;
    let hook = alice
        .create_webhook(&api::CreateWebhook {
            url: rx.at("/hooks/ferry"),
            events: events(&["upload.completed"]),
            description: Some("CI trigger".into()),
        })
        .await
        .unwrap();
    assert!(hook.id.starts_with("whk_"), "{hook:?}");
    assert!(hook.active);
    assert_eq!(hook.events, events(&["upload.completed"]));
    let secret = hook
        .secret
        .clone()
        .expect("the secret is shown at creation");
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 64,
        "{secret}"
    );
    // Shown only once.
    let fetched = alice.get_webhook(&hook.id).await.unwrap();
    assert!(fetched.secret.is_none());
    assert_eq!(fetched.description.as_deref(), Some("CI trigger"));
    assert_eq!(fetched.owner.login, "alice");
    let listed = alice.list_webhooks(None, None).await.unwrap().webhooks;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].secret.is_none());

    let file = upload(&alice, "inbox", "report.txt").await;
    let got = rx.until("one delivery", |r| !r.is_empty()).await;
    let r = &got[0];
    assert_eq!(r.path, "/hooks/ferry");
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.event, "upload.completed");
    assert!(r.delivery.starts_with("dlv_"), "{r:?}");
    let ts: i64 = r.timestamp.parse().expect("unix seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - ts).abs() < 120, "timestamp {ts} vs now {now}");
    assert_signed_by(r, &secret);
    assert_ne!(
        signatures(r)[0],
        expected_signature("whsec_wrong", r),
        "the signature depends on the secret"
    );

    let body = r.json();
    let event = app
        .admin
        .audit_events(&[("action", "upload.completed"), ("target", file.id.as_str())])
        .await
        .unwrap()
        .events;
    assert_eq!(event.len(), 1);
    assert_eq!(
        body["id"],
        event[0].id.as_str(),
        "the webhook event is the audit event"
    );
    assert_eq!(body["type"], "upload.completed");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    let data = &body["data"];
    assert_eq!(data["actor"]["id"], alice_user.id.as_str());
    assert_eq!(data["actor"]["login"], "alice");
    assert_eq!(data["target"]["type"], "file");
    assert_eq!(data["target"]["id"], file.id.as_str());
    assert_eq!(data["outcome"], "success");
    assert!(data["details"].is_object());
    assert!(data.get("ip").is_some() && data.get("user_agent").is_some());

    let log = log_until(&alice, &hook.id, "a succeeded delivery", |l| {
        l.len() == 1 && l[0].status == "succeeded"
    })
    .await;
    assert_eq!(log[0].id, r.delivery);
    assert_eq!(log[0].event_id, event[0].id);
    assert_eq!(log[0].attempt_count, 1);
    assert_eq!(log[0].status_code, Some(200));
    assert!(log[0].latency_ms.is_some());
    assert_eq!(log[0].payload, body);
    assert_eq!(log[0].attempts.len(), 1);
    assert_eq!(log[0].attempts[0].status_code, Some(200));

    // Created and deleted are audited; a deleted webhook is gone.
    alice.delete_webhook(&hook.id).await.unwrap();
    assert_api_error(alice.get_webhook(&hook.id).await, 404, "not_found");
    assert_api_error(alice.delete_webhook(&hook.id).await, 404, "not_found");
    for action in ["webhook.created", "webhook.deleted"] {
        let found = app
            .admin
            .audit_events(&[("action", action), ("target", hook.id.as_str())])
            .await
            .unwrap()
            .events;
        assert_eq!(found.len(), 1, "{action}");
    }
}

async fn a_failing_receiver_gets_the_same_event_until_it_succeeds(app: TestApp) {
    let rx = Receiver::start().await;
    rx.script(&[Reply::Status(500), Reply::Status(500)]);
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/"), &["upload.completed"]).await;
    let secret = hook.secret.clone().unwrap();
    upload(&alice, "f", "a.txt").await;

    let got = rx
        .until("three attempts", |r| r.iter().any(|r| r.replied == 200))
        .await;
    assert_eq!(
        got.iter().map(|r| r.replied).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );
    for r in &got {
        assert_eq!(
            r.event_id(),
            got[0].event_id(),
            "same event id on every attempt"
        );
        assert_eq!(r.delivery, got[0].delivery);
        assert_eq!(r.body, got[0].body, "the same bytes on every attempt");
        assert_signed_by(r, &secret);
    }

    let log = log_until(&alice, &hook.id, "success after retries", |l| {
        l.first().is_some_and(|d| d.status == "succeeded")
    })
    .await;
    let d = &log[0];
    assert_eq!(d.attempt_count, 3);
    assert_eq!(
        d.attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        vec![Some(500), Some(500), Some(200)]
    );
    assert_eq!(
        d.attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(d.attempts[0].error.is_some());
    assert!(d.attempts.iter().all(|a| a.latency_ms.is_some()));
    assert_eq!(
        alice
            .get_webhook(&hook.id)
            .await
            .unwrap()
            .consecutive_failures,
        0
    );
}

async fn a_receiver_slower_than_the_timeout_is_retried(app: TestApp) {
    let rx = Receiver::start().await;
    rx.script(&[Reply::Stall(Duration::from_secs(4))]);
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/slow"), &["upload.completed"]).await;
    upload(&alice, "f", "a.txt").await;

    let got = rx
        .until("a retry after the timeout", |r| {
            r.iter().any(|r| r.replied == 200)
        })
        .await;
    assert_eq!(got[0].replied, 0, "the first attempt stalled");
    assert!(got.iter().all(|r| r.event_id() == got[0].event_id()));
    let log = log_until(&alice, &hook.id, "success after a timeout", |l| {
        l.first().is_some_and(|d| d.status == "succeeded")
    })
    .await;
    let first = &log[0].attempts[0];
    assert_eq!(first.status_code, None);
    assert!(
        first.error.as_deref().unwrap_or("").contains("timed out"),
        "{first:?}"
    );
}

async fn nothing_is_lost_across_a_restart_in_the_middle_of_retrying(mut app: TestApp) {
    let rx = Receiver::start().await;
    rx.answer_by_default(Reply::Status(503));
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/"), &["upload.completed"]).await;
    upload(&alice, "f", "a.txt").await;
    rx.until("a failed attempt", |r| !r.is_empty()).await;

    // Stop while the delivery waits for its retry; the receiver recovers meanwhile.
    app.stop().await;
    rx.answer_by_default(Reply::Status(200));
    let failed_before = rx.received().len();
    let server = ferry_server::Server::start(app.config.clone())
        .await
        .expect("restart");
    let got = rx
        .until("the delivery after the restart", |r| {
            r.iter().any(|r| r.replied == 200)
        })
        .await;
    assert!(got.len() > failed_before);
    assert!(got.iter().all(|r| r.event_id() == got[0].event_id()));
    let url = format!("http://{}", server.addr());
    let session = Client::new(&url)
        .login("alice", "password-alice")
        .await
        .unwrap();
    let restarted = Client::new(&url).with_token(session.access_token);
    log_until(&restarted, &hook.id, "succeeded after restart", |l| {
        l.len() == 1 && l[0].status == "succeeded"
    })
    .await;
    server.shutdown().await.unwrap();
}

async fn two_servers_on_one_database_deliver_each_event_exactly_once(app: TestApp) {
    let second = ferry_server::Server::start(app.config.clone())
        .await
        .expect("a second node on the same database");
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    subscribe(&alice, &rx.at("/"), &["folder.created"]).await;
    // Half the events through each node.
    let other = Client::new(&format!("http://{}", second.addr())).with_token(
        app.anon
            .login("alice", "password-alice")
            .await
            .unwrap()
            .access_token,
    );
    const EVENTS: usize = 30;
    for i in 0..EVENTS {
        let client = if i % 2 == 0 { &alice } else { &other };
        client
            .create_folder(&format!("folder-{i}"), 0)
            .await
            .unwrap();
    }
    rx.until("every event", |r| {
        r.iter()
            .map(|r| r.delivery.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
            >= EVENTS
    })
    .await;
    // Give a duplicate every chance to show up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for r in rx.received() {
        *counts.entry(r.delivery).or_default() += 1;
    }
    assert_eq!(counts.len(), EVENTS);
    let duplicates: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        duplicates.is_empty(),
        "delivered more than once: {duplicates:?}"
    );
    second.shutdown().await.unwrap();
}

async fn the_delivery_log_pages_and_redelivery_resends_the_same_event(app: TestApp) {
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/"), &["folder.created"]).await;
    for name in ["one", "two", "three"] {
        alice.create_folder(name, 0).await.unwrap();
    }
    rx.until("three deliveries", |r| r.len() >= 3).await;
    let all = log_until(&alice, &hook.id, "three succeeded", |l| {
        l.len() == 3 && l.iter().all(|d| d.status == "succeeded")
    })
    .await;
    // Newest first.
    let names: Vec<String> = all
        .iter()
        .map(|d| {
            d.payload["data"]["details"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(names, vec!["three", "two", "one"], "{all:#?}");
    let page1 = alice
        .webhook_deliveries(&hook.id, Some(2), None)
        .await
        .unwrap();
    assert_eq!(page1.deliveries.len(), 2);
    let cursor = page1.next_cursor.expect("a second page");
    let page2 = alice
        .webhook_deliveries(&hook.id, Some(2), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(page2.deliveries.len(), 1);
    assert!(page2.next_cursor.is_none());
    assert_eq!(page2.deliveries[0].id, all[2].id);

    // Redeliver the oldest: the same delivery, event id and bytes, once more.
    let target = &all[2];
    let before = rx.received().len();
    let scheduled = alice.redeliver(&hook.id, &target.id).await.unwrap();
    assert_eq!(scheduled.id, target.id);
    assert_eq!(scheduled.status, "pending");
    let got = rx.until("the redelivery", |r| r.len() > before).await;
    let again = got.last().unwrap();
    assert_eq!(again.delivery, target.id);
    assert_eq!(again.event_id(), target.event_id);
    let first = got.iter().find(|r| r.delivery == target.id).unwrap();
    assert_eq!(first.body, again.body);
    log_until(
        &alice,
        &hook.id,
        "two attempts on the redelivered one",
        |l| {
            l.iter()
                .any(|d| d.id == target.id && d.attempt_count == 2 && d.status == "succeeded")
        },
    )
    .await;

    assert_api_error(
        alice.redeliver(&hook.id, "dlv_0000").await,
        404,
        "not_found",
    );
    assert_api_error(
        alice.redeliver(&hook.id, "nonsense").await,
        404,
        "not_found",
    );
    assert_field_error(
        alice.webhook_deliveries(&hook.id, Some(0), None).await,
        400,
        "invalid_value",
        "limit",
    );
}

async fn ping_reaches_the_webhook_whatever_its_filter(app: TestApp) {
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/ping"), &["link.downloaded"]).await;
    let queued = alice.ping_webhook(&hook.id).await.unwrap();
    assert!(queued.id.starts_with("dlv_"));
    assert_eq!(queued.event_type, "webhook.ping");
    let got = rx.until("the ping", |r| !r.is_empty()).await;
    assert_eq!(got[0].event, "webhook.ping");
    assert_eq!(got[0].delivery, queued.id);
    assert_eq!(got[0].event_id(), queued.event_id);
    assert_eq!(got[0].json()["type"], "webhook.ping");
    assert_eq!(got[0].json()["data"]["target"]["id"], hook.id.as_str());
    assert_signed_by(&got[0], hook.secret.as_deref().unwrap());
}

async fn secret_rotation_signs_with_both_secrets_during_the_grace_period(app: TestApp) {
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/"), &["*"]).await;
    let old = hook.secret.clone().unwrap();
    let rotated = alice.rotate_webhook_secret(&hook.id).await.unwrap();
    let new = rotated
        .secret
        .clone()
        .expect("the new secret is shown once");
    assert_ne!(new, old);
    assert!(rotated.previous_secret_expires_at.is_some());
    assert!(alice.get_webhook(&hook.id).await.unwrap().secret.is_none());

    alice.ping_webhook(&hook.id).await.unwrap();
    let got = rx.until("a delivery", |r| !r.is_empty()).await;
    let r = &got[0];
    assert_eq!(
        signatures(r),
        vec![expected_signature(&new, r), expected_signature(&old, r)],
        "new first, then old: {}",
        r.signature
    );
    assert!(
        r.signature.contains(", "),
        "comma separated: {}",
        r.signature
    );
    let audited = app
        .admin
        .audit_events(&[
            ("action", "webhook.secret_rotated"),
            ("target", hook.id.as_str()),
        ])
        .await
        .unwrap()
        .events;
    assert_eq!(audited.len(), 1);
}

async fn event_filters_choose_what_a_webhook_gets(app: TestApp) {
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    let links_only = subscribe(&alice, &rx.at("/links"), &["link.downloaded"]).await;
    let uploads_only = subscribe(&alice, &rx.at("/uploads"), &["upload.completed"]).await;
    let file = upload(&alice, "f", "a.txt").await;
    // The outbox is written with the event: the filter already decided.
    assert!(
        alice
            .webhook_deliveries(&links_only.id, None, None)
            .await
            .unwrap()
            .deliveries
            .is_empty()
    );
    rx.until("the upload", |r| r.iter().any(|r| r.path == "/uploads"))
        .await;

    let link = alice
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let res = reqwest::get(&link.url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"hello webhooks");
    let got = rx
        .until("the download", |r| {
            r.iter().any(|r| r.event == "link.downloaded")
        })
        .await;
    for r in &got {
        match r.path.as_str() {
            "/links" => assert_eq!(r.event, "link.downloaded"),
            "/uploads" => assert_eq!(r.event, "upload.completed"),
            other => panic!("unexpected path {other}"),
        }
    }
    assert_eq!(
        got.iter().filter(|r| r.path == "/uploads").count(),
        1,
        "link.created and link.downloaded are not upload.completed"
    );
    let uploads_log = alice
        .webhook_deliveries(&uploads_only.id, None, None)
        .await
        .unwrap()
        .deliveries;
    assert_eq!(
        uploads_log
            .iter()
            .map(|d| d.event_type.as_str())
            .collect::<Vec<_>>(),
        vec!["upload.completed"]
    );
    // Changing the filter applies to later events.
    alice
        .update_webhook(
            &links_only.id,
            &api::UpdateWebhook {
                events: Some(events(&["folder.created"])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    alice.create_folder("later", 0).await.unwrap();
    rx.until("folder.created on the changed webhook", |r| {
        r.iter()
            .any(|r| r.path == "/links" && r.event == "folder.created")
    })
    .await;
}

async fn users_get_only_their_own_events_and_cannot_see_other_webhooks(app: TestApp) {
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let alices = subscribe(&alice, &rx.at("/alice"), &["*"]).await;
    let bobs = subscribe(&bob, &rx.at("/bob"), &["*"]).await;
    let admins = subscribe(&app.admin, &rx.at("/admin"), &["upload.completed"]).await;

    let file = upload(&alice, "private", "secret-plans.txt").await;
    let got = rx
        .until("alice's and the admin's copies", |r| {
            ["/alice", "/admin"].iter().all(|p| {
                r.iter()
                    .any(|r| r.path == *p && r.event == "upload.completed")
            })
        })
        .await;
    assert!(got.iter().filter(|r| r.path == "/alice").all(|r| {
        r.json()["data"]["actor"]["login"] == "alice" || r.json()["data"]["actor"].is_null()
    }));
    // Nothing of alice's reached bob: not now, not later.
    let bob_log = bob
        .webhook_deliveries(&bobs.id, None, None)
        .await
        .unwrap()
        .deliveries;
    assert!(
        bob_log
            .iter()
            .all(|d| d.payload["data"]["target"]["id"] != file.id.as_str()
                && d.payload["data"]["actor"]["login"] != "alice"),
        "{bob_log:#?}"
    );
    assert!(
        rx.received()
            .iter()
            .filter(|r| r.path == "/bob")
            .all(|r| r.json()["data"]["actor"]["login"] != "alice")
    );

    // Other users' webhooks do not exist for bob; admins see them all.
    assert_api_error(bob.get_webhook(&alices.id).await, 404, "not_found");
    assert_api_error(
        bob.webhook_deliveries(&alices.id, None, None).await,
        404,
        "not_found",
    );
    assert_api_error(bob.ping_webhook(&alices.id).await, 404, "not_found");
    assert_api_error(
        bob.rotate_webhook_secret(&alices.id).await,
        404,
        "not_found",
    );
    assert_api_error(bob.delete_webhook(&alices.id).await, 404, "not_found");
    assert_api_error(bob.get_webhook("whk_nonsense").await, 404, "not_found");
    let bobs_list = bob.list_webhooks(None, None).await.unwrap().webhooks;
    assert_eq!(
        bobs_list.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(),
        vec![bobs.id.as_str()]
    );
    let all = app.admin.list_webhooks(None, None).await.unwrap().webhooks;
    for id in [&alices.id, &bobs.id, &admins.id] {
        assert!(all.iter().any(|w| &w.id == id));
    }
    let page = app.admin.list_webhooks(Some(2), None).await.unwrap();
    assert_eq!(page.webhooks.len(), 2);
    let rest = app
        .admin
        .list_webhooks(Some(2), page.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(rest.webhooks.len(), 1);
    assert_eq!(
        app.admin.get_webhook(&alices.id).await.unwrap().owner.login,
        "alice"
    );
}

async fn a_disabled_account_gets_no_more_events(app: TestApp) {
    let rx = Receiver::start().await;
    let password = "password-ops-admin";
    let ops = app
        .admin
        .create_user(&api::CreateUser {
            login: "ops".into(),
            password: password.into(),
            name: None,
            role: Some("admin".into()),
            quota_bytes: None,
            company_id: None,
        })
        .await
        .unwrap();
    let session = app.anon.login("ops", password).await.unwrap();
    let ops_client = app.anon.with_token(session.access_token);
    let hook = subscribe(&ops_client, &rx.at("/ops"), &["upload.completed"]).await;
    let (_, alice) = app.user("alice", None).await;
    upload(&alice, "f", "seen.txt").await;
    rx.until("the first upload", |r| r.len() == 1).await;

    app.admin
        .update_user(
            &ops.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    upload(&alice, "f", "unseen.txt").await;
    let log = app
        .admin
        .webhook_deliveries(&hook.id, None, None)
        .await
        .unwrap()
        .deliveries;
    assert_eq!(log.len(), 1, "{log:#?}");
    assert_eq!(log[0].payload["data"]["details"]["name"], "seen.txt");
}

async fn a_webhook_failing_too_often_is_disabled_and_can_be_re_enabled(app: TestApp) {
    let rx = Receiver::start().await;
    rx.answer_by_default(Reply::Status(500));
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/"), &["upload.completed"]).await;
    for name in ["a.txt", "b.txt", "c.txt"] {
        upload(&alice, "f", name).await;
    }

    let started = Instant::now();
    let disabled = loop {
        let w = alice.get_webhook(&hook.id).await.unwrap();
        if !w.active {
            break w;
        }
        assert!(started.elapsed() < PATIENCE, "never disabled: {w:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(disabled.consecutive_failures, 3);
    assert!(disabled.disabled_at.is_some());
    let log = alice
        .webhook_deliveries(&hook.id, None, None)
        .await
        .unwrap()
        .deliveries;
    assert_eq!(log.len(), 3);
    for d in &log {
        assert_eq!(d.status, "dead", "{d:#?}");
        assert!(d.attempt_count >= 2, "retried before giving up: {d:#?}");
        assert_eq!(d.attempts.len() as i64, d.attempt_count);
        assert!(d.next_attempt_at.is_none());
    }
    let audited = app
        .admin
        .audit_events(&[("action", "webhook.disabled"), ("target", hook.id.as_str())])
        .await
        .unwrap()
        .events;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].details["consecutive_failures"], 3);

    // A disabled webhook gets nothing more, and events meanwhile are not queued for it.
    let seen = rx.received().len();
    upload(&alice, "f", "while-disabled.txt").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rx.received().len(), seen);
    assert_eq!(
        alice
            .webhook_deliveries(&hook.id, None, None)
            .await
            .unwrap()
            .deliveries
            .len(),
        3
    );
    assert_api_error(alice.ping_webhook(&hook.id).await, 409, "webhook_inactive");
    assert_api_error(
        alice.redeliver(&hook.id, &log[0].id).await,
        409,
        "webhook_inactive",
    );

    // Re-enabled, it gets later events, and a dead delivery can be sent again by hand.
    rx.answer_by_default(Reply::Status(204));
    let again = alice
        .update_webhook(
            &hook.id,
            &api::UpdateWebhook {
                active: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(again.active);
    assert_eq!(again.consecutive_failures, 0);
    assert!(again.disabled_at.is_none());
    upload(&alice, "f", "after.txt").await;
    alice.redeliver(&hook.id, &log[2].id).await.unwrap();
    let after = log_until(&alice, &hook.id, "the new and the redelivered one", |l| {
        l.len() == 4
            && l.iter()
                .filter(|d| d.status == "succeeded")
                .map(|d| d.payload["data"]["details"]["name"].as_str().unwrap_or(""))
                .collect::<std::collections::HashSet<_>>()
                == ["after.txt", "a.txt"].into_iter().collect()
    })
    .await;
    let redelivered = after.iter().find(|d| d.id == log[2].id).unwrap();
    assert_eq!(redelivered.attempts.last().unwrap().status_code, Some(204));
}

async fn private_and_non_https_targets_are_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let create = |url: &'static str| try_subscribe(&alice, url, &["*"]);
    for url in [
        "https://127.0.0.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:192.168.0.1]/",
        "https://2130706433/",
        "https://100.64.0.1/",
        "https://localhost/",
    ] {
        let body = assert_api_error(create(url).await, 400, "webhook_target_forbidden");
        assert_eq!(body.error.field.as_deref(), Some("url"), "{url}");
    }
    for url in [
        "http://example.com/",
        "ftp://example.com/",
        "not a url",
        "https://",
    ] {
        assert_field_error(create(url).await, 400, "invalid_webhook_url", "url");
    }
    assert!(
        alice
            .list_webhooks(None, None)
            .await
            .unwrap()
            .webhooks
            .is_empty(),
        "nothing was registered"
    );
}

async fn bad_subscriptions_are_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let create = |list: &'static [&'static str]| try_subscribe(&alice, "https://127.0.0.1/", list);
    assert_field_error(
        create(&["upload.done"]).await,
        400,
        "invalid_value",
        "events",
    );
    assert_field_error(create(&[]).await, 400, "invalid_value", "events");
    let raw = alice
        .request(reqwest::Method::POST, "/webhooks")
        .json(&serde_json::json!({"url": "https://8.8.8.8/"}))
        .send()
        .await
        .unwrap();
    assert_field_error(
        crate::helpers::parse::<api::Webhook>(raw).await,
        400,
        "missing_field",
        "events",
    );
    assert_api_error(
        app.anon
            .create_webhook(&api::CreateWebhook {
                url: "https://8.8.8.8/".into(),
                events: events(&["*"]),
                description: None,
            })
            .await,
        401,
        "unauthorized",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_webhook_routes() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let doc: serde_json::Value = app
        .raw(reqwest::Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/webhooks", &["get", "post"][..]),
        ("/webhooks/{webhook_id}", &["get", "patch", "delete"][..]),
        ("/webhooks/{webhook_id}/deliveries", &["get"][..]),
        (
            "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            &["post"][..],
        ),
        ("/webhooks/{webhook_id}/ping", &["post"][..]),
        ("/webhooks/{webhook_id}/rotate-secret", &["post"][..]),
    ] {
        for method in methods {
            let op = &paths[path][method];
            assert!(op.is_object(), "missing {method} {path}");
            assert_eq!(op["tags"][0], "webhooks", "{method} {path}");
        }
    }
    for schema in [
        "Webhook",
        "CreateWebhook",
        "WebhookDelivery",
        "WebhookAttempt",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}

/// `ferry download --parallel` fetches a link's file in ranges: the subscriber hears of one
/// download, with the bytes summed, not of every range.
async fn a_download_in_parallel_ranges_is_one_delivery(app: TestApp) {
    let rx = Receiver::start().await;
    let (_, alice) = app.user("alice", None).await;
    let hook = subscribe(&alice, &rx.at("/links"), &["link.downloaded"]).await;
    let folder = alice.create_folder("out", 0).await.unwrap();
    let bytes: Vec<u8> = (0..400_000u32).map(|i| (i % 253) as u8).collect();
    let file = alice
        .upload(&folder.id, "big.bin", bytes.clone())
        .await
        .unwrap();
    let link = alice
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let fetched = futures::future::join_all((0..8).map(|i| {
        http.get(&link.url)
            .header(
                "range",
                format!("bytes={}-{}", i * 50_000, i * 50_000 + 49_999),
            )
            .send()
    }))
    .await;
    let mut got = Vec::new();
    for res in fetched {
        let res = res.unwrap();
        assert_eq!(res.status(), 206);
        got.extend_from_slice(&res.bytes().await.unwrap());
    }
    assert_eq!(got, bytes);
    let received = rx.until("the download", |r| !r.is_empty()).await;
    // Whatever is still due (nothing should be) is sent before counting again.
    app.clock.advance(Duration::from_secs(60));
    app.run_jobs().await;
    let received_after = rx.received();
    assert_eq!(
        received_after.len(),
        1,
        "one download, one delivery: {received:?}"
    );
    let data = &received_after[0].json()["data"];
    assert_eq!(data["details"]["bytes"], 400_000, "{data}");
    assert_eq!(data["details"]["ranges"], 8, "{data}");
    assert_eq!(data["details"]["complete"], true, "{data}");
    assert_eq!(
        log_until(&alice, &hook.id, "the delivery log", |l| !l.is_empty())
            .await
            .len(),
        1
    );
}
