//! Admin support tools: one-time login keys and acting as a user, with who may use them and
//! what the audit log shows.

use std::time::Duration;

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, send_json};
use crate::on_both_backends;

on_both_backends!(
    a_login_key_logs_its_user_in_once,
    an_admin_acts_as_a_user_and_every_event_names_the_admin,
    only_admins_act_as_plain_users_they_manage,
);

async fn post<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
    body: serde_json::Value,
) -> Result<T, ferry_client::ClientError> {
    send_json(client, Method::POST, path, Some(body)).await
}

async fn login_key(
    client: &Client,
    user_id: &str,
) -> Result<api::LoginKey, ferry_client::ClientError> {
    post(client, &format!("/users/{user_id}/login-key"), json!({})).await
}

async fn use_key(app: &TestApp, key: &str) -> Result<api::Session, ferry_client::ClientError> {
    post(&app.anon, "/auth/login-key", json!({ "key": key })).await
}

async fn a_login_key_logs_its_user_in_once(app: TestApp) {
    let (alice, _) = app.user("alice", None).await;
    let key = login_key(&app.admin, &alice.id).await.unwrap();
    assert!(key.key.len() >= 40, "a long random key");
    // Keys are one-time: two at once give one session.
    let (a, b) = tokio::join!(use_key(&app, &key.key), use_key(&app, &key.key));
    let session = match (a, b) {
        (Ok(s), Err(e)) | (Err(e), Ok(s)) => {
            assert_api_error::<()>(Err(e), 401, "invalid_credentials");
            s
        }
        other => panic!("one use of a one-time key: {other:?}"),
    };
    assert_eq!(session.user.id, alice.id);
    let me = app
        .anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
    assert_eq!(me.login, "alice");
    assert_api_error(use_key(&app, "not-a-key").await, 401, "invalid_credentials");
    // Audited: who made it, and the login it gave.
    let made = app
        .audit_of("auth.login_key_created", alice.id.as_str())
        .await;
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].actor.as_ref().unwrap().login, "admin");
    let logins = app.audit_of("auth.login", alice.id.as_str()).await;
    assert!(
        logins.iter().any(|e| e.details["via"] == "login_key"),
        "{logins:#?}"
    );
    // A plain user makes none; a disabled account gets none.
    let (bob, bob_client) = app.user("bob", None).await;
    assert_api_error(login_key(&bob_client, &alice.id).await, 403, "forbidden");
    let res = app
        .admin
        .request(Method::PATCH, &format!("/users/{}", bob.id))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_api_error(login_key(&app.admin, &bob.id).await, 409, "conflict");
    // A key expires after 24 hours.
    let later = login_key(&app.admin, &alice.id).await.unwrap();
    app.clock.advance(Duration::from_secs(24 * 3600 + 1));
    assert_api_error(use_key(&app, &later.key).await, 401, "invalid_credentials");
}

async fn an_admin_acts_as_a_user_and_every_event_names_the_admin(app: TestApp) {
    let (alice, alice_client) = app.user("alice", None).await;
    let admin_id = app.admin.me().await.unwrap().id;
    let session: api::Session = post(
        &app.admin,
        &format!("/users/{}/impersonate", alice.id),
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(session.user.id, alice.id);
    let support = app.anon.with_token(session.access_token);
    assert_eq!(support.me().await.unwrap().id, alice.id);
    // What it does is alice's, and the audit names the admin as the real actor.
    let folder = support.create_folder("from support", 0).await.unwrap();
    let created = app.audit_of("folder.created", folder.id.as_str()).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor.as_ref().unwrap().login, "alice");
    assert_eq!(created[0].details["impersonated_by"], admin_id.as_str());
    let started = app
        .audit_of("auth.impersonation_started", alice.id.as_str())
        .await;
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].actor.as_ref().unwrap().login, "admin");
    // alice's own session is untouched, and her own events name nobody else.
    let own = alice_client.create_folder("mine", 0).await.unwrap();
    let created = app.audit_of("folder.created", own.id.as_str()).await;
    assert!(created[0].details.get("impersonated_by").is_none());
    // It cannot change how the account logs in.
    let res = support
        .request(Method::POST, "/me/password")
        .json(&json!({"current_password": "password-alice", "new_password": "taken over!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_api_error(
        support
            .create_token(&api::CreateToken {
                name: "backdoor".into(),
                kind: "api".into(),
                scopes: vec!["read".into()],
                folder_id: None,
                expires_at: None,
            })
            .await,
        403,
        "permission_denied",
    );
    assert_api_error(
        post::<api::AccountLogin>(
            &support,
            "/me/logins",
            json!({"login": "mine@evil.example"}),
        )
        .await,
        403,
        "permission_denied",
    );
    let res = support
        .request(Method::POST, "/me/2fa")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // It lasts an hour.
    app.clock.advance(Duration::from_secs(3601));
    assert_api_error(support.me().await, 401, "token_expired");
}

async fn only_admins_act_as_plain_users_they_manage(app: TestApp) {
    let (alice, alice_client) = app.user("alice", None).await;
    let (bob, _) = app.user("bob", None).await;
    let act_as = |client: &Client, id: &str| {
        let client = client.clone();
        let path = format!("/users/{id}/impersonate");
        async move { post::<api::Session>(&client, &path, json!({})).await }
    };
    assert_api_error(act_as(&alice_client, &bob.id).await, 403, "forbidden");
    let admin = app.admin.me().await.unwrap();
    assert_api_error(
        act_as(&app.admin, &admin.id).await,
        403,
        "permission_denied",
    );
    let other_admin: api::User = post(
        &app.admin,
        "/users",
        json!({"login": "root2", "password": "password-root2", "role": "admin"}),
    )
    .await
    .unwrap();
    assert_api_error(
        act_as(&app.admin, &other_admin.id).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        act_as(&app.admin, "usr_000000000000000000000000").await,
        404,
        "not_found",
    );
    // A company admin: its company's plain users only.
    let (_, boss) = app.company_with_admin("A").await;
    assert_api_error(act_as(&boss, &alice.id).await, 404, "not_found");
    let ant: api::User = post(
        &boss,
        "/users",
        json!({"login": "ant", "password": "password-ant"}),
    )
    .await
    .unwrap();
    let deputy: api::User = post(
        &boss,
        "/users",
        json!({"login": "deputy", "password": "password-deputy", "role": "company_admin"}),
    )
    .await
    .unwrap();
    assert_eq!(act_as(&boss, &ant.id).await.unwrap().user.id, ant.id);
    assert_api_error(act_as(&boss, &deputy.id).await, 403, "permission_denied");
}
