//! Quota-increase requests: a user asks, an admin of the user grants (the quota changes at
//! once) or refuses, the user hears of it; one answer per request, whoever races.

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, send_json};
use crate::on_both_backends;

on_both_backends!(
    a_granted_request_raises_the_quota_at_once,
    requests_are_checked_and_answered_once,
    company_admins_answer_their_company_only,
);

async fn post<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    body: serde_json::Value,
) -> Result<T, ferry_client::ClientError> {
    send_json(client, Method::POST, path, Some(body)).await
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<T, ferry_client::ClientError> {
    send_json(client, Method::GET, path, None).await
}

async fn ask(client: &Client, bytes: i64) -> Result<api::QuotaRequest, ferry_client::ClientError> {
    post(
        client,
        "/me/quota-requests",
        json!({"quota_bytes": bytes, "message": "a big project"}),
    )
    .await
}

async fn a_granted_request_raises_the_quota_at_once(app: TestApp) {
    let (alice, client) = app.user("alice", Some(1000)).await;
    let folder = client.create_folder("work", 0).await.unwrap();
    assert_api_error(
        client.upload(&folder.id, "big.bin", vec![7; 1500]).await,
        413,
        "quota_exceeded",
    );
    let asked = ask(&client, 5000).await.unwrap();
    assert_eq!(
        (
            asked.status.as_str(),
            asked.quota_bytes,
            asked.previous_quota_bytes
        ),
        ("pending", 5000, Some(1000))
    );
    assert_eq!(asked.user_login, "alice");
    let pending: api::QuotaRequestList = get(&app.admin, "/quota-requests?status=pending")
        .await
        .unwrap();
    assert_eq!(pending.requests.len(), 1);
    assert_eq!(pending.requests[0].id, asked.id);
    let granted: api::QuotaRequest = post(
        &app.admin,
        &format!("/quota-requests/{}/approve", asked.id),
        json!({"message": "granted"}),
    )
    .await
    .unwrap();
    assert_eq!(granted.status, "approved");
    assert_eq!(granted.decision_message.as_deref(), Some("granted"));
    // At once, through the same session (its cached user row is refreshed).
    assert_eq!(client.me().await.unwrap().quota.limit_bytes, Some(5000));
    client
        .upload(&folder.id, "big.bin", vec![7; 1500])
        .await
        .unwrap();
    // The user hears of it, and it is audited.
    let notices: serde_json::Value = get(&client, "/notices").await.unwrap();
    assert!(
        notices["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "quota.decided" && n["data"]["status"] == "approved"),
        "{notices}"
    );
    for action in ["quota.requested", "quota.request_approved"] {
        let events = app.audit_of(action, &alice.id).await;
        assert_eq!(events.len(), 1, "{action}");
    }
    let mine: api::QuotaRequestList = get(&client, "/me/quota-requests").await.unwrap();
    assert_eq!(mine.requests[0].status, "approved");
}

async fn requests_are_checked_and_answered_once(app: TestApp) {
    let (_, client) = app.user("alice", Some(1000)).await;
    assert_api_error(ask(&client, 1000).await, 400, "invalid_value");
    assert_api_error(ask(&client, 0).await, 400, "invalid_value");
    let first = ask(&client, 2000).await.unwrap();
    assert_api_error(ask(&client, 3000).await, 409, "conflict");
    // A plain user answers nothing; an unknown request is 404.
    assert_api_error(
        post::<api::QuotaRequest>(
            &client,
            &format!("/quota-requests/{}/approve", first.id),
            json!({}),
        )
        .await,
        403,
        "forbidden",
    );
    assert_api_error(
        get::<api::QuotaRequestList>(&client, "/quota-requests").await,
        403,
        "forbidden",
    );
    assert_api_error(
        post::<api::QuotaRequest>(
            &app.admin,
            "/quota-requests/qrq_000000000000000000000000/deny",
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    assert_api_error(
        get::<api::QuotaRequestList>(&app.admin, "/quota-requests?status=maybe").await,
        400,
        "invalid_query",
    );
    // Two admins answering at once: one answer.
    let (approve, deny) = (
        format!("/quota-requests/{}/approve", first.id),
        format!("/quota-requests/{}/deny", first.id),
    );
    let (a, b) = tokio::join!(
        post::<api::QuotaRequest>(&app.admin, &approve, json!({})),
        post::<api::QuotaRequest>(&app.admin, &deny, json!({})),
    );
    let answered = [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count();
    assert_eq!(answered, 1, "{a:?} {b:?}");
    let decided: api::QuotaRequestList = get(&client, "/me/quota-requests").await.unwrap();
    let quota = client.me().await.unwrap().quota.limit_bytes;
    match decided.requests[0].status.as_str() {
        "approved" => assert_eq!(quota, Some(2000)),
        "denied" => assert_eq!(quota, Some(1000)),
        other => panic!("{other}"),
    }
    // Once answered, another request may be made; an unlimited user has nothing to ask.
    ask(&client, 9000).await.unwrap();
    let (_, unlimited) = app.user("bob", None).await;
    assert_api_error(ask(&unlimited, 9000).await, 409, "conflict");
}

async fn company_admins_answer_their_company_only(app: TestApp) {
    let (_, boss) = app.company_with_admin("A").await;
    let _: api::User = post(
        &boss,
        "/users",
        json!({"login": "ant", "password": "password-ant", "quota_bytes": 100}),
    )
    .await
    .unwrap();
    let ant = app.anon.with_token(
        app.anon
            .login("ant", "password-ant")
            .await
            .unwrap()
            .access_token,
    );
    let (_, outsider) = app.user("alice", Some(100)).await;
    let ants = ask(&ant, 200).await.unwrap();
    let alices = ask(&outsider, 200).await.unwrap();
    let seen: api::QuotaRequestList = get(&boss, "/quota-requests").await.unwrap();
    assert_eq!(
        seen.requests
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        vec![ants.id.as_str()]
    );
    assert_api_error(
        post::<api::QuotaRequest>(
            &boss,
            &format!("/quota-requests/{}/approve", alices.id),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    let denied: api::QuotaRequest = post(
        &boss,
        &format!("/quota-requests/{}/deny", ants.id),
        json!({"message": "not this month"}),
    )
    .await
    .unwrap();
    assert_eq!(denied.status, "denied");
    assert_eq!(ant.me().await.unwrap().quota.limit_bytes, Some(100));
    let all: api::QuotaRequestList = get(&app.admin, "/quota-requests").await.unwrap();
    assert_eq!(all.requests.len(), 2);
}
