//! API and device tokens: scopes cap what a token may do, revocations and wipes take effect at
//! once (also on another node sharing the database, through the token cache's coherence), and
//! nobody manages anyone else's tokens but an admin.

use ferry_api as api;
use ferry_app::clock::Clock;
use ferry_client::Client;
use reqwest::Method;

use crate::helpers::{Backend, TestApp, assert_api_error, assert_field_error, parse};
use crate::on_both_backends;

on_both_backends!(
    scopes_cap_what_a_token_may_do,
    a_revoked_token_stops_at_once_and_only_its_owner_or_an_admin_revokes_it,
    a_wiped_device_learns_it_and_confirms,
    bad_token_requests_are_refused_clearly,
    a_token_restricted_to_a_folder_sees_nothing_else,
);

fn request(name: &str, kind: &str, scopes: &[&str]) -> api::CreateToken {
    api::CreateToken {
        name: name.into(),
        kind: kind.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        folder_id: None,
        expires_at: None,
    }
}

async fn scopes_cap_what_a_token_may_do(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("reports", 0).await.unwrap();

    let read = alice
        .create_token(&request("backup script", "api", &["read"]))
        .await
        .unwrap();
    assert_eq!(
        (read.token.kind.as_str(), read.token.scopes.clone()),
        ("api", vec!["read".to_string()])
    );
    assert_eq!(
        read.token.expires_at, None,
        "an API token lives until revoked"
    );
    let reader = app.anon.with_token(&read.secret);
    assert_eq!(reader.me().await.unwrap().login, "alice");
    assert_eq!(reader.get_folder(&folder.id).await.unwrap().name, "reports");
    assert_api_error(
        reader.create_folder("more", 0).await,
        403,
        "insufficient_scope",
    );
    assert_api_error(
        reader.delete_folder(&folder.id, false).await,
        403,
        "insufficient_scope",
    );

    let write = alice
        .create_token(&request("uploader", "api", &["read", "write"]))
        .await
        .unwrap();
    let writer = app.anon.with_token(&write.secret);
    writer.create_folder("more", 0).await.unwrap();

    // An admin's token without the admin scope acts as a plain user.
    let plain = app
        .admin
        .create_token(&request("no admin", "api", &["read", "write"]))
        .await
        .unwrap();
    let plain = app.anon.with_token(&plain.secret);
    assert_api_error(plain.list_users(None, None).await, 403, "forbidden");
    assert_eq!(plain.me().await.unwrap().role, "user");
    let full = app
        .admin
        .create_token(&request("admin", "api", &["read", "write", "admin"]))
        .await
        .unwrap();
    let full = app.anon.with_token(&full.secret);
    full.list_users(None, None).await.unwrap();

    // The list: alice's session (the current token) and her two API tokens, never a secret,
    // with their last use.
    let list = alice.tokens().await.unwrap().tokens;
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(list.iter().filter(|t| t.current).count(), 1);
    let session = list.iter().find(|t| t.current).unwrap();
    assert_eq!(session.kind, "session");
    let listed_read = list.iter().find(|t| t.id == read.token.id).unwrap();
    assert_eq!(listed_read.name.as_deref(), Some("backup script"));
    assert!(listed_read.last_used_at.is_some(), "{listed_read:?}");
    assert_eq!(listed_read.last_used_ip.as_deref(), Some("127.0.0.1"));
    let raw = app
        .raw(Method::GET, "/api/v1/me/tokens")
        .bearer_auth(&read.secret)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !raw.contains(&read.secret) && !raw.contains("secret"),
        "{raw}"
    );

    // Creation is audited.
    let events = alice
        .audit_events(&[("action", "token.created")])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 2);
}

async fn a_revoked_token_stops_at_once_and_only_its_owner_or_an_admin_revokes_it(app: TestApp) {
    let (alice_user, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let issued = alice
        .create_token(&request("laptop", "device", &["read", "write"]))
        .await
        .unwrap();
    let device = app.anon.with_token(&issued.secret);
    device.me().await.unwrap();
    device.me().await.unwrap();

    // Someone else's token is not there for bob.
    assert_api_error(bob.revoke_token(&issued.token.id).await, 404, "not_found");
    assert_api_error(bob.user_tokens(&alice_user.id).await, 404, "not_found");
    device.me().await.unwrap();

    alice.revoke_token(&issued.token.id).await.unwrap();
    assert_api_error(device.me().await, 401, "unauthorized");
    assert_api_error(alice.revoke_token(&issued.token.id).await, 404, "not_found");

    // An admin lists and revokes a user's tokens.
    let second = alice
        .create_token(&request("phone", "device", &["read"]))
        .await
        .unwrap();
    let phone = app.anon.with_token(&second.secret);
    phone.me().await.unwrap();
    let listed = app.admin.user_tokens(&alice_user.id).await.unwrap().tokens;
    assert!(listed.iter().any(|t| t.id == second.token.id));
    assert!(
        !listed.iter().any(|t| t.id == issued.token.id),
        "revoked ones are gone"
    );
    let res = app
        .admin
        .request(
            Method::DELETE,
            &format!("/users/{}/tokens/{}", alice_user.id, second.token.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_api_error(phone.me().await, 401, "unauthorized");

    // Disabling the account ends a cached token at once too.
    let third = alice
        .create_token(&request("tablet", "device", &["read"]))
        .await
        .unwrap();
    let tablet = app.anon.with_token(&third.secret);
    tablet.me().await.unwrap();
    app.admin
        .update_user(
            &alice_user.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_api_error(tablet.me().await, 401, "account_disabled");
}

async fn a_wiped_device_learns_it_and_confirms(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let issued = alice
        .create_token(&request("lost phone", "device", &["read", "write"]))
        .await
        .unwrap();
    let phone = app.anon.with_token(&issued.secret);
    phone.me().await.unwrap();

    let wiped = alice.wipe_token(&issued.token.id).await.unwrap();
    assert!(wiped.wiped_at.is_some());
    for _ in 0..2 {
        let body = assert_api_error(phone.me().await, 401, "device_wiped");
        assert_eq!(
            body.error.details.as_ref().unwrap()["wipe"],
            true,
            "{body:?}"
        );
    }
    // Listed as waiting for the device's confirmation.
    let listed = alice.tokens().await.unwrap().tokens;
    assert!(
        listed
            .iter()
            .any(|t| t.id == issued.token.id && t.wiped_at.is_some())
    );

    let confirm = |secret: &str| {
        app.raw(Method::POST, "/api/v1/auth/wiped")
            .bearer_auth(secret)
            .send()
    };
    assert_eq!(confirm(&issued.secret).await.unwrap().status(), 204);
    assert_api_error(phone.me().await, 401, "unauthorized");
    // Once only; and nobody else's token confirms anything.
    let again = parse::<serde_json::Value>(confirm(&issued.secret).await.unwrap()).await;
    assert_api_error(again, 401, "unauthorized");
    let api_token = alice
        .create_token(&request("script", "api", &["read"]))
        .await
        .unwrap();
    let not_wiped = parse::<serde_json::Value>(confirm(&api_token.secret).await.unwrap()).await;
    assert_api_error(not_wiped, 401, "unauthorized");
    // Only devices are wiped.
    assert_api_error(alice.wipe_token(&api_token.token.id).await, 409, "conflict");

    let actions: Vec<String> = alice
        .audit_events(&[("action", "device.wiped,device.wipe_confirmed")])
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
}

async fn bad_token_requests_are_refused_clearly(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let cases = [
        (request("x", "session", &["read"]), "kind", "invalid_value"),
        (request("x", "root", &["read"]), "kind", "invalid_value"),
        (request("x", "api", &[]), "scopes", "invalid_value"),
        (
            request("x", "api", &["read", "sudo"]),
            "scopes",
            "invalid_value",
        ),
        (request("x", "api", &["admin"]), "scopes", "invalid_value"),
        (request("", "api", &["read"]), "name", "invalid_name"),
        (request("   ", "api", &["read"]), "name", "invalid_name"),
        (
            request(&"n".repeat(101), "api", &["read"]),
            "name",
            "invalid_name",
        ),
        (request("a\u{7}b", "api", &["read"]), "name", "invalid_name"),
    ];
    for (body, field, code) in cases {
        assert_field_error(alice.create_token(&body).await, 400, code, field);
    }
    let mut past = request("old", "api", &["read"]);
    past.expires_at = Some("2001-01-01T00:00:00Z".into());
    assert_field_error(
        alice.create_token(&past).await,
        400,
        "invalid_value",
        "expires_at",
    );
    // A folder restriction needs a folder the maker reads, and no admin scope.
    let mut restricted = request("one folder", "api", &["read"]);
    restricted.folder_id = Some("fld_nothere".into());
    assert_field_error(
        alice.create_token(&restricted).await,
        400,
        "not_found",
        "folder_id",
    );
    let mut restricted = request("one folder", "api", &["read", "write", "admin"]);
    restricted.folder_id = Some(folder.id.clone());
    assert_field_error(
        app.admin.create_token(&restricted).await,
        400,
        "invalid_value",
        "scopes",
    );
    // A token that expires works until then.
    let mut soon = request("soon", "api", &["read"]);
    let at = app.clock.now_ms() + 3_600_000;
    soon.expires_at = Some(ferry_core::timefmt::rfc3339(at));
    let soon = alice.create_token(&soon).await.unwrap();
    let client = app.anon.with_token(&soon.secret);
    client.me().await.unwrap();
    app.clock.advance(std::time::Duration::from_secs(3_601));
    assert_api_error(client.me().await, 401, "token_expired");
    // A made-up id is not found; so is a token id of the wrong shape.
    assert_api_error(alice.revoke_token("tok_nothing").await, 404, "not_found");
    assert_api_error(alice.revoke_token("../etc").await, 404, "not_found");
}

/// Two nodes on one PostgreSQL database: node B answers from its token cache, node A revokes,
/// and node B refuses the very next request (the revocation is announced with `NOTIFY` in the
/// revoking transaction).
async fn a_revocation_on_one_node_reaches_the_other_at_once(app: TestApp) {
    let (user, alice) = app.user("alice", None).await;
    let node_b = ferry_server::Server::start_with_clock(app.config.clone(), app.clock.clone())
        .await
        .expect("a second node starts");
    let b = Client::new(&format!("http://{}", node_b.addr()));
    for round in 0..20 {
        let issued = alice
            .create_token(&request(&format!("t{round}"), "api", &["read", "write"]))
            .await
            .unwrap();
        let on_b = b.with_token(&issued.secret);
        on_b.me().await.unwrap();
        on_b.me().await.unwrap();
        alice.revoke_token(&issued.token.id).await.unwrap();
        assert_api_error(on_b.me().await, 401, "unauthorized");
    }
    // A disabled account, too.
    let issued = alice
        .create_token(&request("last", "device", &["read"]))
        .await
        .unwrap();
    let on_b = b.with_token(&issued.secret);
    on_b.me().await.unwrap();
    app.admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_api_error(on_b.me().await, 401, "account_disabled");
    node_b.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn a_revocation_on_one_node_reaches_the_other_at_once_postgres() {
    let app = TestApp::spawn(Backend::Postgres)
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    a_revocation_on_one_node_reaches_the_other_at_once(app).await;
}

async fn a_token_restricted_to_a_folder_sees_nothing_else(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let clients = alice.create_folder("clients", 0).await.unwrap();
    let acme = alice
        .create_folder_in(Some(&clients.id), "acme")
        .await
        .unwrap();
    let inside = alice
        .upload(&acme.id, "contract.pdf", "signed")
        .await
        .unwrap();
    let beside = alice
        .upload(&clients.id, "pricing.xlsx", "secret prices")
        .await
        .unwrap();
    let private = alice.create_folder("private", 0).await.unwrap();
    let diary = alice
        .upload(&private.id, "diary.txt", "dear diary")
        .await
        .unwrap();

    let mut request = request("acme sync", "api", &["read", "write"]);
    request.folder_id = Some(acme.id.clone());
    let issued = alice.create_token(&request).await.unwrap();
    assert_eq!(issued.token.folder_id.as_deref(), Some(acme.id.as_str()));
    let acme_only = app.anon.with_token(&issued.secret);

    // Its root is the folder alone, and paths start there: no name above it shows.
    let root = acme_only.list_folders(false).await.unwrap();
    assert_eq!(root.folders.len(), 1);
    assert_eq!(
        (root.folders[0].id.as_str(), root.folders[0].path.as_str()),
        (acme.id.as_str(), "/acme")
    );
    let sub = acme_only
        .create_folder_in(Some(&acme.id), "2027")
        .await
        .unwrap();
    assert_eq!(sub.path, "/acme/2027");
    let file = acme_only.get_file(&inside.id).await.unwrap();
    assert_eq!(file.name, "contract.pdf");
    let got = acme_only.download(&inside.id, &[]).await.unwrap();
    assert_eq!(&got.body[..], b"signed");
    acme_only.upload(&sub.id, "new.txt", "new").await.unwrap();

    // Everything else is not there: the folder above, its files, other folders.
    for id in [&clients.id, &private.id] {
        assert_api_error(acme_only.get_folder(id).await, 404, "not_found");
    }
    for id in [&beside.id, &diary.id] {
        assert_api_error(acme_only.get_file(id).await, 404, "not_found");
    }
    assert_api_error(
        acme_only.upload(&private.id, "x.txt", "x").await,
        404,
        "not_found",
    );
    // Nothing can be moved out of it, nor a top-level folder made.
    assert_api_error(
        acme_only
            .move_file(
                &inside.id,
                &api::MoveFile {
                    folder_id: private.id.clone(),
                    name: None,
                    on_conflict: None,
                    dry_run: false,
                },
            )
            .await,
        404,
        "not_found",
    );
    assert_api_error(
        acme_only.create_folder_in(None, "escape").await,
        403,
        "permission_denied",
    );
    // Calls that are not about one folder or file are closed to it.
    for path in [
        "/search?q=diary",
        "/trash",
        "/links",
        "/audit/events",
        "/me/tokens",
        "/uploads",
        "/notices",
    ] {
        let res = acme_only.request(Method::GET, path).send().await.unwrap();
        assert_api_error(
            parse::<serde_json::Value>(res).await,
            403,
            "insufficient_scope",
        );
    }
    assert_eq!(acme_only.me().await.unwrap().login, "alice");
    // The unrestricted owner still sees everything.
    assert_eq!(alice.list_folders(false).await.unwrap().folders.len(), 2);
}
