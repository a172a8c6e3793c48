//! Admin user management: create, list (paged), get, update, and the `400`s of bad input.

use std::collections::HashSet;

use ferry_api as api;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse, send_json};
use crate::on_both_backends;

on_both_backends!(
    admin_creates_lists_gets_and_updates_users,
    non_admins_are_forbidden,
    duplicate_login_is_a_conflict,
    bad_logins_and_passwords_are_refused,
    bad_quotas_and_roles_are_invalid_values,
    patch_quota_null_removes_the_quota,
    unknown_user_ids_are_not_found,
    paging_walks_every_user_once,
    bad_paging_parameters_are_refused,
    admins_cannot_lock_themselves_out,
    users_are_found_by_text_role_and_status_with_a_total,
    only_admins_may_ask_whether_a_login_exists,
);

fn new_user(login: &str) -> api::CreateUser {
    api::CreateUser {
        login: login.into(),
        password: format!("password-{login}"),
        name: None,
        role: None,
        quota_bytes: None,
        company_id: None,
    }
}

async fn post_user(
    app: &TestApp,
    body: serde_json::Value,
) -> Result<api::User, ferry_client::ClientError> {
    parse(
        app.admin
            .request(Method::POST, "/users")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn patch_user(
    app: &TestApp,
    id: &str,
    body: serde_json::Value,
) -> Result<api::User, ferry_client::ClientError> {
    parse(
        app.admin
            .request(Method::PATCH, &format!("/users/{id}"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn admin_creates_lists_gets_and_updates_users(app: TestApp) {
    let res = app
        .admin
        .request(Method::POST, "/users")
        .json(&json!({"login": "alice", "password": "password-alice", "quota_bytes": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let alice: api::User = parse(res).await.unwrap();
    assert!(alice.id.starts_with("usr_"), "{}", alice.id);
    assert_eq!(alice.login, "alice");
    assert_eq!(alice.name, "alice", "the name defaults to the login");
    assert_eq!(alice.role, "user");
    assert!(!alice.disabled);
    assert!(!alice.locked);
    assert_eq!(
        alice.quota,
        api::UserQuota {
            limit_bytes: Some(1000),
            used_bytes: 0,
            reserved_bytes: 0,
            reserved_uploads: 0
        }
    );

    let bob = app
        .admin
        .create_user(&api::CreateUser {
            name: Some("Bob Builder".into()),
            role: Some("admin".into()),
            ..new_user("bob")
        })
        .await
        .unwrap();
    assert_eq!(
        (bob.name.as_str(), bob.role.as_str()),
        ("Bob Builder", "admin")
    );
    assert_eq!(bob.quota.limit_bytes, None);

    let list = app.admin.list_users(None, None).await.unwrap();
    let logins: Vec<_> = list.users.iter().map(|u| u.login.as_str()).collect();
    assert_eq!(logins, ["admin", "alice", "bob"], "creation order");
    assert!(list.next_cursor.is_none());

    let got = app.admin.get_user(&alice.id).await.unwrap();
    assert_eq!(
        (got.id, got.login, got.quota),
        (alice.id.clone(), alice.login, alice.quota)
    );

    let updated = patch_user(
        &app,
        &alice.id,
        json!({"name": "Alice Liddell", "role": "admin", "quota_bytes": 5000, "password": "a-new-password"}),
    )
    .await
    .unwrap();
    assert_eq!(updated.name, "Alice Liddell");
    assert_eq!(updated.role, "admin");
    assert_eq!(updated.quota.limit_bytes, Some(5000));
    assert_eq!(
        app.admin.get_user(&alice.id).await.unwrap().name,
        "Alice Liddell"
    );
    // Absent fields stay as they are.
    let renamed = patch_user(&app, &alice.id, json!({"name": "Alice"}))
        .await
        .unwrap();
    assert_eq!(
        (renamed.role.as_str(), renamed.quota.limit_bytes),
        ("admin", Some(5000))
    );

    // The new password works, the old one does not; the new admin may list users.
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "invalid_credentials",
    );
    let session = app.anon.login("alice", "a-new-password").await.unwrap();
    assert_eq!(session.user.role, "admin");
    let as_alice = app.anon.with_token(session.access_token);
    assert_eq!(
        as_alice.list_users(None, None).await.unwrap().users.len(),
        3
    );
}

async fn non_admins_are_forbidden(app: TestApp) {
    let (user, alice) = app.user("alice", None).await;
    assert_api_error(alice.list_users(None, None).await, 403, "forbidden");
    assert_api_error(
        alice.create_user(&new_user("mallory")).await,
        403,
        "forbidden",
    );
    assert_api_error(alice.get_user(&user.id).await, 403, "forbidden");
    assert_api_error(
        alice
            .update_user(
                &user.id,
                &api::UpdateUser {
                    role: Some("admin".into()),
                    ..Default::default()
                },
            )
            .await,
        403,
        "forbidden",
    );
    assert_api_error(alice.unlock_user(&user.id).await, 403, "forbidden");
    assert_eq!(alice.me().await.unwrap().role, "user", "nothing changed");
    // Without credentials it is 401, not 403.
    assert_api_error(app.anon.list_users(None, None).await, 401, "unauthorized");
}

async fn duplicate_login_is_a_conflict(app: TestApp) {
    app.admin.create_user(&new_user("alice")).await.unwrap();
    assert_api_error(
        app.admin.create_user(&new_user("alice")).await,
        409,
        "name_conflict",
    );
    // Logins are matched case-insensitively, so "ALICE" is the same login.
    assert_api_error(
        app.admin.create_user(&new_user("ALICE")).await,
        409,
        "name_conflict",
    );
    assert_api_error(
        app.admin.create_user(&new_user("admin")).await,
        409,
        "name_conflict",
    );
    assert_eq!(
        app.admin.list_users(None, None).await.unwrap().users.len(),
        2
    );
}

async fn bad_logins_and_passwords_are_refused(app: TestApp) {
    let long = "a".repeat(129);
    for login in [
        "",
        "has space",
        "a/b",
        "semi;colon",
        "new\nline",
        long.as_str(),
    ] {
        let body = json!({"login": login, "password": "long-enough-password"});
        assert_field_error(post_user(&app, body).await, 400, "invalid_login", "login");
    }
    let huge = "p".repeat(1025);
    for password in ["", "short", "1234567", huge.as_str()] {
        let body = json!({"login": "alice", "password": password});
        assert_field_error(
            post_user(&app, body).await,
            400,
            "invalid_password",
            "password",
        );
    }
    // The bounds themselves are accepted.
    let ok = json!({"login": "a".repeat(128), "password": "12345678"});
    post_user(&app, ok).await.unwrap();
    let user = post_user(&app, json!({"login": "bob", "password": "p".repeat(1024)}))
        .await
        .unwrap();
    // PATCH validates passwords the same way.
    assert_field_error(
        patch_user(&app, &user.id, json!({"password": "short"})).await,
        400,
        "invalid_password",
        "password",
    );
    assert_eq!(
        app.admin.list_users(None, None).await.unwrap().users.len(),
        3
    );
}

async fn bad_quotas_and_roles_are_invalid_values(app: TestApp) {
    for quota in [json!(-1), json!(i64::MIN), json!(i64::MAX)] {
        let body = json!({"login": "alice", "password": "password-alice", "quota_bytes": quota});
        assert_field_error(
            post_user(&app, body).await,
            400,
            "invalid_value",
            "quota_bytes",
        );
    }
    let body = json!({"login": "alice", "password": "password-alice", "role": "root"});
    assert_field_error(post_user(&app, body).await, 400, "invalid_value", "role");
    // A quota beyond i64 is not a valid integer at all.
    let body = json!({"login": "alice", "password": "password-alice", "quota_bytes": 1e30});
    assert_field_error(
        post_user(&app, body).await,
        400,
        "invalid_field",
        "quota_bytes",
    );

    let alice = post_user(
        &app,
        json!({"login": "alice", "password": "password-alice", "quota_bytes": 0}),
    )
    .await
    .unwrap();
    assert_eq!(alice.quota.limit_bytes, Some(0), "a zero quota is valid");
    for quota in [json!(-1), json!(i64::MAX)] {
        assert_field_error(
            patch_user(&app, &alice.id, json!({"quota_bytes": quota})).await,
            400,
            "invalid_value",
            "quota_bytes",
        );
    }
    assert_field_error(
        patch_user(&app, &alice.id, json!({"role": "root"})).await,
        400,
        "invalid_value",
        "role",
    );
    let unchanged = app.admin.get_user(&alice.id).await.unwrap();
    assert_eq!(
        (unchanged.role.as_str(), unchanged.quota.limit_bytes),
        ("user", Some(0))
    );
}

async fn patch_quota_null_removes_the_quota(app: TestApp) {
    let (user, alice) = app.user("alice", Some(100)).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    assert_api_error(
        alice.upload(&folder.id, "big.bin", vec![0u8; 200]).await,
        413,
        "quota_exceeded",
    );

    let updated = patch_user(&app, &user.id, json!({"quota_bytes": null}))
        .await
        .unwrap();
    assert_eq!(updated.quota.limit_bytes, None);
    assert_eq!(alice.me().await.unwrap().quota.limit_bytes, None);
    alice
        .upload(&folder.id, "big.bin", vec![0u8; 200])
        .await
        .unwrap();
    assert_eq!(
        alice.me().await.unwrap().quota,
        api::UserQuota {
            limit_bytes: None,
            used_bytes: 200,
            reserved_bytes: 0,
            reserved_uploads: 0
        }
    );

    // The typed client sends `null` for `Some(None)` too; setting a quota back works.
    let limited = app
        .admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                quota_bytes: Some(Some(1000)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(limited.quota.limit_bytes, Some(1000));
    let cleared = app
        .admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                quota_bytes: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.quota.limit_bytes, None);
}

async fn unknown_user_ids_are_not_found(app: TestApp) {
    for id in [
        "usr_0123456789abcdef01234567",
        "fld_0123456789abcdef01234567",
        "usr_",
        "usr_XYZ",
        "..%2F..%2Fetc",
    ] {
        assert_api_error(app.admin.get_user(id).await, 404, "not_found");
        assert_api_error(
            app.admin
                .update_user(
                    id,
                    &api::UpdateUser {
                        name: Some("x".into()),
                        ..Default::default()
                    },
                )
                .await,
            404,
            "not_found",
        );
        assert_api_error(app.admin.unlock_user(id).await, 404, "not_found");
    }
    // The literal "../etc" (which a client may normalise away) is not found either.
    let res = app
        .admin
        .request(Method::GET, "/users/../etc")
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::User>(res).await, 404, "not_found");
}

async fn paging_walks_every_user_once(app: TestApp) {
    for login in ["carol", "alice", "dave", "bob"] {
        app.admin.create_user(&new_user(login)).await.unwrap();
    }
    let all = app.admin.list_users(None, None).await.unwrap();
    assert_eq!(all.users.len(), 5);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = app
            .admin
            .list_users(Some(1), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.users.len() <= 1);
        seen.extend(page.users.iter().map(|u| u.id.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(seen.len() <= 5, "paging does not end");
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    let expected: Vec<_> = all.users.iter().map(|u| u.id.clone()).collect();
    assert_eq!(seen, expected, "same users in the same order");

    // A bigger page.
    let first = app.admin.list_users(Some(3), None).await.unwrap();
    assert_eq!(first.users.len(), 3);
    let rest = app
        .admin
        .list_users(Some(3), first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(rest.users.len(), 2);
    assert!(rest.next_cursor.is_none());
}

async fn bad_paging_parameters_are_refused(app: TestApp) {
    for limit in [0, -1, 1001] {
        assert_field_error(
            app.admin.list_users(Some(limit), None).await,
            400,
            "invalid_value",
            "limit",
        );
    }
    app.admin.list_users(Some(1000), None).await.unwrap();
    for cursor in ["garbage", "!!!", "eyJ4IjoxfQ" /* {"x":1} */] {
        assert_field_error(
            app.admin.list_users(None, Some(cursor)).await,
            400,
            "invalid_cursor",
            "cursor",
        );
    }
    let res = app
        .admin
        .request(Method::GET, "/users?limit=ten")
        .send()
        .await
        .unwrap();
    assert_field_error(
        parse::<api::UserList>(res).await,
        400,
        "invalid_query",
        "limit",
    );
}

async fn admins_cannot_lock_themselves_out(app: TestApp) {
    let me = app.admin.me().await.unwrap();
    assert_field_error(
        patch_user(&app, &me.id, json!({"disabled": true})).await,
        400,
        "cannot_modify_self",
        "disabled",
    );
    assert_field_error(
        patch_user(&app, &me.id, json!({"role": "user"})).await,
        400,
        "cannot_modify_self",
        "role",
    );
    let me = app.admin.me().await.unwrap();
    assert_eq!((me.role.as_str(), me.disabled), ("admin", false));
}

async fn users_are_found_by_text_role_and_status_with_a_total(app: TestApp) {
    for (login, name) in [
        ("alice", "Alice Liddell"),
        ("alan", "Alan Turing"),
        ("bob", "Bob 100%_sure"),
    ] {
        app.admin
            .create_user(&api::CreateUser {
                login: login.into(),
                password: format!("password-{login}"),
                name: Some(name.into()),
                role: None,
                quota_bytes: None,
                company_id: None,
            })
            .await
            .unwrap();
    }
    let (bob, _) = app.user("bobby", None).await;
    app.admin
        .update_user(
            &bob.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Five failed logins lock carol.
    app.user("carol", None).await;
    for _ in 0..5 {
        let _ = app.anon.login("carol", "wrong-password").await;
    }
    let find = |query: &'static [(&'static str, &'static str)]| {
        let admin = app.admin.clone();
        async move {
            let res = admin
                .request(Method::GET, "/users")
                .query(query)
                .send()
                .await
                .unwrap();
            let list: api::UserList = parse(res).await.unwrap();
            let mut logins: Vec<String> = list.users.into_iter().map(|u| u.login).collect();
            logins.sort();
            (logins, list.total)
        }
    };
    assert_eq!(
        find(&[("q", "AL")]).await,
        (vec!["alan".into(), "alice".into()], Some(2))
    );
    assert_eq!(
        find(&[("q", "liddell")]).await,
        (vec!["alice".into()], Some(1))
    );
    // LIKE wildcards in q are plain characters.
    assert_eq!(find(&[("q", "%_")]).await, (vec!["bob".into()], Some(1)));
    assert_eq!(
        find(&[("role", "admin")]).await,
        (vec!["admin".into()], Some(1))
    );
    assert_eq!(
        find(&[("status", "disabled")]).await,
        (vec!["bobby".into()], Some(1))
    );
    assert_eq!(
        find(&[("status", "locked")]).await,
        (vec!["carol".into()], Some(1))
    );
    assert_eq!(find(&[("status", "deleted")]).await, (vec![], Some(0)));
    let (active, total) = find(&[("status", "active")]).await;
    assert_eq!(active, ["admin", "alan", "alice", "bob"]);
    assert_eq!(total, Some(4));
    // The total counts every page; a page holds what the limit allows.
    let (page, total) = find(&[("limit", "2")]).await;
    assert_eq!((page.len(), total), (2, Some(6)));
    for (query, field) in [
        (&[("status", "gone")][..], "status"),
        (&[("role", "root")][..], "role"),
    ] {
        let res = app
            .admin
            .request(Method::GET, "/users")
            .query(query)
            .send()
            .await
            .unwrap();
        assert_field_error(
            parse::<api::UserList>(res).await,
            400,
            "invalid_value",
            field,
        );
    }
}

async fn only_admins_may_ask_whether_a_login_exists(app: TestApp) {
    let exists = |client: &ferry_client::Client, login: &str| {
        let client = client.clone();
        let path = format!("/users/exists?login={}", urlencoding(login));
        async move { send_json::<api::LoginExists>(&client, Method::GET, &path, None).await }
    };
    let (alice, alice_client) = app.user("alice", None).await;
    let _: serde_json::Value = send_json(
        &alice_client,
        Method::POST,
        "/me/logins",
        Some(json!({"login": "alice@example.com"})),
    )
    .await
    .unwrap();
    // A login, in any case, and an extra login name the account; others do not exist.
    for login in ["alice", "ALICE", "Alice@Example.com"] {
        let found = exists(&app.admin, login).await.unwrap();
        assert_eq!(
            (found.exists, found.user_id.as_deref()),
            (true, Some(alice.id.as_str()))
        );
    }
    let missing = exists(&app.admin, "nobody").await.unwrap();
    assert_eq!((missing.exists, missing.user_id), (false, None));
    // Anyone else gets the same 403 whatever the login: nothing to probe.
    for login in ["alice", "nobody"] {
        assert_api_error(exists(&alice_client, login).await, 403, "forbidden");
    }
    // A company admin learns that a login outside its company is taken (as a refused
    // POST /users would tell it), but not whose it is; its own users it sees.
    let (company, boss) = app.company_with_admin("Acme").await;
    let found = exists(&boss, "alice").await.unwrap();
    assert_eq!((found.exists, found.user_id), (true, None));
    let own: api::User = send_json(
        &boss,
        Method::POST,
        "/users",
        Some(json!({"login": "worker", "password": "password-worker"})),
    )
    .await
    .unwrap();
    assert_eq!(own.company_id.as_deref(), Some(company.id.as_str()));
    let found = exists(&boss, "worker").await.unwrap();
    assert_eq!(found.user_id.as_deref(), Some(own.id.as_str()));
    // Bad input is a 400, never a 500.
    assert_field_error(exists(&app.admin, "").await, 400, "invalid_query", "login");
    let res = app
        .admin
        .request(Method::GET, "/users/exists")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

/// `s` safe in a query string (the logins here have only `@` to escape).
fn urlencoding(s: &str) -> String {
    s.replace('@', "%40")
}
