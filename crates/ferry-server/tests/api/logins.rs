//! Several logins per account: extra logins log in like the account's own, are unique across
//! users in any case (under concurrency too), and are managed by the user or an admin.

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, send_json as send};
use crate::on_both_backends;

on_both_backends!(
    an_extra_login_logs_in_to_the_account,
    logins_are_unique_across_users_in_any_case,
    the_same_login_claimed_at_once_is_given_once,
    admins_manage_the_logins_of_the_users_they_manage,
);

async fn add(
    client: &Client,
    path: &str,
    login: &str,
) -> Result<api::AccountLogin, ferry_client::ClientError> {
    send(client, Method::POST, path, Some(json!({ "login": login }))).await
}

async fn remove(client: &Client, path: &str) -> u16 {
    client
        .request(Method::DELETE, path)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn logins(client: &Client, path: &str) -> Vec<(String, bool)> {
    let list: api::AccountLoginList = send(client, Method::GET, path, None).await.unwrap();
    list.logins
        .into_iter()
        .map(|l| (l.login, l.primary))
        .collect()
}

async fn an_extra_login_logs_in_to_the_account(app: TestApp) {
    let (alice, client) = app.user("alice", None).await;
    let added = add(&client, "/me/logins", "alice@example.com")
        .await
        .unwrap();
    assert_eq!(
        (added.login.as_str(), added.primary),
        ("alice@example.com", false)
    );
    assert_eq!(
        logins(&client, "/me/logins").await,
        vec![("alice".into(), true), ("alice@example.com".into(), false)]
    );
    // A session and HTTP Basic, in any case, are the same account.
    let session = app
        .anon
        .login("Alice@Example.com", "password-alice")
        .await
        .unwrap();
    let me = app
        .anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
    assert_eq!(me.id, alice.id);
    let basic = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.url))
        .basic_auth("alice@example.com", Some("password-alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    // The wrong password is still wrong.
    assert_api_error(
        app.anon
            .login("alice@example.com", "not her password")
            .await,
        401,
        "invalid_credentials",
    );
    // The own login stays; an unknown one is not there; removing the extra ends its use.
    assert_eq!(remove(&client, "/me/logins/alice").await, 409);
    assert_eq!(remove(&client, "/me/logins/nobody@example.com").await, 404);
    assert_eq!(remove(&client, "/me/logins/ALICE@example.com").await, 204);
    assert_eq!(
        logins(&client, "/me/logins").await,
        vec![("alice".into(), true)]
    );
    assert_api_error(
        app.anon.login("alice@example.com", "password-alice").await,
        401,
        "invalid_credentials",
    );
    // Bad input and the limit.
    assert_api_error(
        add(&client, "/me/logins", "two words").await,
        400,
        "invalid_login",
    );
    assert_api_error(add(&client, "/me/logins", "").await, 400, "invalid_login");
    for i in 0..10 {
        add(&client, "/me/logins", &format!("a{i}@example.com"))
            .await
            .unwrap();
    }
    assert_api_error(
        add(&client, "/me/logins", "a10@example.com").await,
        409,
        "conflict",
    );
    // Audited, with the login.
    let added = app.audit_of("user.login_added", alice.id.as_str()).await;
    assert_eq!(added.len(), 11);
    let removed = app.audit_of("user.login_removed", alice.id.as_str()).await;
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].details["login"], "alice@example.com");
}

async fn logins_are_unique_across_users_in_any_case(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (bob_user, bob) = app.user("bob", None).await;
    add(&alice, "/me/logins", "shared@example.com")
        .await
        .unwrap();
    for taken in ["shared@example.com", "SHARED@example.COM", "alice", "Bob"] {
        assert_api_error(add(&bob, "/me/logins", taken).await, 409, "name_conflict");
    }
    // A new account cannot take an extra login either.
    assert_api_error(
        app.admin
            .create_user(&api::CreateUser {
                login: "Shared@Example.com".into(),
                password: "password-x".into(),
                name: None,
                role: None,
                quota_bytes: None,
                company_id: None,
            })
            .await,
        409,
        "name_conflict",
    );
    // Someone else's extra login is not theirs to remove.
    assert_eq!(remove(&bob, "/me/logins/shared@example.com").await, 404);
    // A share to the extra login reaches its account.
    add(&bob, "/me/logins", "bob@example.com").await.unwrap();
    let folder = alice.create_folder("plans", 0).await.unwrap();
    let res = alice
        .request(
            Method::POST,
            &format!("/folders/{}/collaborators", folder.id),
        )
        .json(&json!({"user": "BOB@example.com", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let shared: api::Collaboration = res.json().await.unwrap();
    assert_eq!(shared.principal.id, bob_user.id);
}

async fn the_same_login_claimed_at_once_is_given_once(app: TestApp) {
    let mut clients = Vec::new();
    for i in 0..8 {
        clients.push(app.user(&format!("u{i}"), None).await.1);
    }
    let results = futures::future::join_all(
        clients
            .iter()
            .map(|c| add(c, "/me/logins", "wanted@example.com")),
    )
    .await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    for r in results.into_iter().filter(|r| r.is_err()) {
        assert_api_error(r, 409, "name_conflict");
    }
}

async fn admins_manage_the_logins_of_the_users_they_manage(app: TestApp) {
    let (alice, alice_client) = app.user("alice", None).await;
    let path = format!("/users/{}/logins", alice.id);
    add(&app.admin, &path, "a.l@example.com").await.unwrap();
    assert_eq!(
        logins(&app.admin, &path).await,
        vec![("alice".into(), true), ("a.l@example.com".into(), false)]
    );
    assert_eq!(
        logins(&alice_client, "/me/logins").await,
        logins(&app.admin, &path).await
    );
    // A plain user may not manage someone else's logins; an unknown user is 404.
    let (_, bob) = app.user("bob", None).await;
    assert_api_error(
        send::<api::AccountLoginList>(&bob, Method::GET, &path, None).await,
        403,
        "forbidden",
    );
    assert_api_error(add(&bob, &path, "x@example.com").await, 403, "forbidden");
    assert_api_error(
        send::<api::AccountLoginList>(
            &app.admin,
            Method::GET,
            "/users/usr_000000000000000000000000/logins",
            None,
        )
        .await,
        404,
        "not_found",
    );
    // A company admin reaches its company's users only.
    let (_, boss) = app.company_with_admin("A").await;
    assert_api_error(
        send::<api::AccountLoginList>(&boss, Method::GET, &path, None).await,
        404,
        "not_found",
    );
    let ant: api::User = send(
        &boss,
        Method::POST,
        "/users",
        Some(json!({"login": "ant", "password": "password-ant"})),
    )
    .await
    .unwrap();
    let ants = format!("/users/{}/logins", ant.id);
    add(&boss, &ants, "ant@a.example").await.unwrap();
    assert_eq!(remove(&boss, &format!("{ants}/ant@a.example")).await, 204);
    assert_eq!(
        remove(&app.admin, &format!("{path}/a.l@example.com")).await,
        204
    );
}
