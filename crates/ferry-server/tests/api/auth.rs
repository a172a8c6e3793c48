//! Auth: sessions, lockout, logout, bearer and Basic credentials, expiry, disabled accounts.

use ferry_api as api;
use ferry_server::Config;
use reqwest::Method;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{ADMIN_PASSWORD, TestApp, assert_api_error, parse};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends!(
    login_returns_a_bearer_session,
    wrong_password_and_unknown_login_answer_the_same,
    failed_logins_lock_the_account_until_an_admin_unlocks_it,
    a_successful_login_resets_the_failure_count,
    logout_revokes_the_token_at_once,
    missing_or_bad_credentials_are_unauthorized,
    basic_auth_is_accepted,
    remembered_basic_credentials_stop_with_the_change_that_refuses_them,
    disabling_a_user_stops_their_token_and_their_logins,
    a_password_reset_by_an_admin_ends_every_session,
);

// Short, but not so short that a slow machine outlives them before the test looks.
on_both_backends_with!(short_tokens; expired_token_is_token_expired);

fn short_tokens(c: &mut Config) {
    c.auth.token_ttl_secs = 3;
}

on_both_backends_with!(short_lockout; a_lock_ends_after_lockout_secs);

on_both_backends_with!(behind_a_proxy; a_lock_holds_only_the_address_that_guessed_wrong);

/// Requests come through a trusted proxy on loopback, which names the client's address.
fn behind_a_proxy(c: &mut Config) {
    c.server.trusted_proxies = vec!["127.0.0.1/32".into(), "::1/128".into()];
}

fn short_lockout(c: &mut Config) {
    c.auth.lockout_secs = 3;
}

fn login_body(login: &str, password: &str) -> api::LoginRequest {
    api::LoginRequest {
        login: login.into(),
        password: password.into(),
        otp: None,
    }
}

async fn login_returns_a_bearer_session(app: TestApp) {
    let (user, _) = app.user("alice", None).await;
    let res = app
        .anon
        .request(Method::POST, "/auth/session")
        .json(&login_body("alice", "password-alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let session: api::Session = parse(res).await.unwrap();
    assert_eq!(session.token_type, "Bearer");
    assert!(!session.access_token.is_empty());
    assert_eq!(session.user.id, user.id);
    assert_eq!(session.user.login, "alice");
    assert_eq!(session.user.name, "alice");
    assert_eq!(session.user.role, "user");

    // `expires_at` is RFC 3339 UTC, about `auth.token_ttl_secs` (default one day) from now.
    assert!(session.expires_at.ends_with('Z'), "{}", session.expires_at);
    let expires = OffsetDateTime::parse(&session.expires_at, &Rfc3339).expect("RFC 3339");
    let ttl = (expires - OffsetDateTime::now_utc()).whole_seconds();
    let expected = app.config.auth.token_ttl_secs;
    assert!((expected - 60..=expected + 1).contains(&ttl), "ttl {ttl}");

    let me = app
        .anon
        .with_token(&session.access_token)
        .me()
        .await
        .unwrap();
    assert_eq!(me.id, user.id);
    assert_eq!(
        me.quota,
        api::UserQuota {
            limit_bytes: None,
            used_bytes: 0,
            reserved_bytes: 0,
            reserved_uploads: 0
        }
    );
}

async fn wrong_password_and_unknown_login_answer_the_same(app: TestApp) {
    app.user("alice", None).await;
    let wrong = assert_api_error(
        app.anon.login("alice", "not-the-password").await,
        401,
        "invalid_credentials",
    );
    let unknown = assert_api_error(
        app.anon.login("nobody", "password-nobody").await,
        401,
        "invalid_credentials",
    );
    assert_eq!(wrong.error.code, unknown.error.code);
    assert_eq!(wrong.error.message, unknown.error.message);
    assert_eq!(wrong.error.field, unknown.error.field);
    assert_eq!(wrong.error.details, unknown.error.details);
}

async fn failed_logins_lock_the_account_until_an_admin_unlocks_it(app: TestApp) {
    let (alice, _) = app.user("alice", None).await;
    let max = app.config.auth.max_failed_logins;
    assert_eq!(max, 5, "the contract's default");
    for _ in 0..max {
        assert_api_error(
            app.anon.login("alice", "wrong-password").await,
            401,
            "invalid_credentials",
        );
    }
    // Locked: even the right password is refused.
    let res = app
        .anon
        .request(Method::POST, "/auth/session")
        .json(&login_body("alice", "password-alice"))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers().contains_key("retry-after"),
        "423 carries Retry-After"
    );
    assert_api_error(parse::<api::Session>(res).await, 423, "account_locked");
    assert_api_error(
        app.anon.login("alice", "wrong-password").await,
        423,
        "account_locked",
    );
    assert!(app.admin.get_user(&alice.id).await.unwrap().locked);

    let unlocked = app.admin.unlock_user(&alice.id).await.unwrap();
    assert_eq!(unlocked.id, alice.id);
    assert!(!unlocked.locked);
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    app.anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
}

async fn a_successful_login_resets_the_failure_count(app: TestApp) {
    app.user("alice", None).await;
    let max = app.config.auth.max_failed_logins;
    for _ in 0..max - 1 {
        assert_api_error(
            app.anon.login("alice", "wrong-password").await,
            401,
            "invalid_credentials",
        );
    }
    app.anon.login("alice", "password-alice").await.unwrap();
    // The count starts again: the failures must be consecutive.
    for _ in 0..max - 1 {
        assert_api_error(
            app.anon.login("alice", "wrong-password").await,
            401,
            "invalid_credentials",
        );
    }
    app.anon.login("alice", "password-alice").await.unwrap();
}

async fn logout_revokes_the_token_at_once(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    // A second session of the same user survives the logout of the first.
    let other = app.anon.login("alice", "password-alice").await.unwrap();
    let other = app.anon.with_token(other.access_token);

    let res = alice
        .request(Method::DELETE, "/auth/session")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());
    assert_api_error(alice.me().await, 401, "unauthorized");
    assert_api_error(alice.logout().await, 401, "unauthorized");
    assert_api_error(alice.list_folders(false).await, 401, "unauthorized");

    assert_eq!(other.me().await.unwrap().login, "alice");
}

async fn missing_or_bad_credentials_are_unauthorized(app: TestApp) {
    assert_api_error(app.anon.me().await, 401, "unauthorized");
    assert_api_error(app.anon.list_folders(false).await, 401, "unauthorized");
    assert_api_error(app.anon.logout().await, 401, "unauthorized");
    assert_api_error(
        app.anon.with_token("garbage").me().await,
        401,
        "unauthorized",
    );
    assert_api_error(app.anon.with_token("").me().await, 401, "unauthorized");
    // A token that differs from a real one in its last character.
    let session = app.anon.login("admin", ADMIN_PASSWORD).await.unwrap();
    let mut forged = session.access_token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_api_error(app.anon.with_token(forged).me().await, 401, "unauthorized");

    for header in [
        "Token abc",
        "Bearer",
        "Basic !!!not-base64!!!",
        "Basic Zm9v", /* "foo" */
    ] {
        let res = app
            .anon
            .request(Method::GET, "/me")
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_api_error(parse::<api::User>(res).await, 401, "unauthorized");
    }
}

async fn basic_auth_is_accepted(app: TestApp) {
    let (alice, _) = app.user("alice", None).await;
    let res = app
        .anon
        .request(Method::GET, "/me")
        .basic_auth("alice", Some("password-alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me: api::User = parse(res).await.unwrap();
    assert_eq!(me.id, alice.id);

    // Basic works on the other endpoints too.
    let res = app
        .anon
        .request(Method::GET, "/folders")
        .basic_auth("alice", Some("password-alice"))
        .send()
        .await
        .unwrap();
    let folders: api::FolderList = parse(res).await.unwrap();
    assert!(folders.folders.is_empty());

    // A wrong Basic password is a 401 (the contract's "missing or bad" credentials).
    let res = app
        .anon
        .request(Method::GET, "/me")
        .basic_auth("alice", Some("wrong-password"))
        .send()
        .await
        .unwrap();
    let err = parse::<api::User>(res).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
    assert!(
        matches!(err.code(), Some("unauthorized" | "invalid_credentials")),
        "{err:?}"
    );
}

/// A login and password that verified are remembered (WebDAV clients send them with every
/// request), but never past a change that could refuse them: a new password, a disabled
/// account, an expiry. A wrong password beside a remembered right one is still refused.
async fn remembered_basic_credentials_stop_with_the_change_that_refuses_them(app: TestApp) {
    use ferry_app::clock::Clock as _;
    let (bob, bob_client) = app.user("bob", None).await;
    let get_me = |password: &'static str| {
        app.anon
            .request(Method::GET, "/me")
            .basic_auth("bob", Some(password))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(get_me("password-bob").await.unwrap().status(), 200);
    }
    assert_eq!(get_me("password-bob-wrong").await.unwrap().status(), 401);
    assert_eq!(get_me("password-bob").await.unwrap().status(), 200);

    bob_client
        .change_password("password-bob", "password-bob-2")
        .await
        .unwrap();
    assert_eq!(get_me("password-bob").await.unwrap().status(), 401);
    assert_eq!(get_me("password-bob-2").await.unwrap().status(), 200);

    // The admin sets a new one.
    app.admin
        .update_user(
            &bob.id,
            &api::UpdateUser {
                password: Some("password-bob-3".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(get_me("password-bob-2").await.unwrap().status(), 401);
    assert_eq!(get_me("password-bob-3").await.unwrap().status(), 200);

    // Disabled: refused at once, with the reason.
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
    let res = get_me("password-bob-3").await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("account_disabled"));
    app.admin
        .update_user(
            &bob.id,
            &api::UpdateUser {
                disabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(get_me("password-bob-3").await.unwrap().status(), 200);

    // Past its expiry by the clock alone, no change committed: refused too.
    app.admin
        .update_user(
            &bob.id,
            &api::UpdateUser {
                expires_at: Some(Some(ferry_core::timefmt::rfc3339(
                    app.clock.now_ms() + 86_400_000,
                ))),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(get_me("password-bob-3").await.unwrap().status(), 200);
    app.clock
        .advance(std::time::Duration::from_secs(2 * 86_400));
    assert_ne!(get_me("password-bob-3").await.unwrap().status(), 200);
}

async fn expired_token_is_token_expired(app: TestApp) {
    // The admin's token from spawning may be close to expiry already: log in afresh.
    let admin = app.anon.login("admin", ADMIN_PASSWORD).await.unwrap();
    app.anon
        .with_token(admin.access_token)
        .create_user(&api::CreateUser {
            login: "alice".into(),
            password: "password-alice".into(),
            name: None,
            role: None,
            quota_bytes: None,
            company_id: None,
        })
        .await
        .unwrap();
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    let alice = app.anon.with_token(session.access_token);
    // Wait out the token's three seconds.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_api_error(alice.me().await, 401, "token_expired");
    assert_api_error(alice.list_folders(false).await, 401, "token_expired");
    // A fresh login gives a working token again.
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    app.anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
}

async fn disabling_a_user_stops_their_token_and_their_logins(app: TestApp) {
    let (user, alice) = app.user("alice", None).await;
    alice.me().await.unwrap();
    let disabled = app
        .admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(disabled.disabled);

    assert_api_error(alice.me().await, 401, "account_disabled");
    assert_api_error(alice.list_folders(false).await, 401, "account_disabled");
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "account_disabled",
    );
    // A disabled account answers the same whatever the password: it is no password oracle.
    assert_api_error(
        app.anon.login("alice", "wrong-password").await,
        401,
        "account_disabled",
    );
    let res = app
        .anon
        .request(Method::GET, "/me")
        .basic_auth("alice", Some("wrong-password"))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::User>(res).await, 401, "account_disabled");
    let res = app
        .anon
        .request(Method::GET, "/me")
        .basic_auth("alice", Some("password-alice"))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<api::User>(res).await, 401, "account_disabled");

    // Enabled again, the user can log in.
    app.admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                disabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // The session from before the account was disabled stays ended.
    assert_api_error(alice.me().await, 401, "unauthorized");
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    app.anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
}

async fn a_password_reset_by_an_admin_ends_every_session(app: TestApp) {
    let (user, alice) = app.user("alice", None).await;
    let second = app.anon.with_token(
        app.anon
            .login("alice", "password-alice")
            .await
            .unwrap()
            .access_token,
    );
    alice.me().await.unwrap();
    second.me().await.unwrap();
    app.admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                password: Some("a-new-password".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_api_error(alice.me().await, 401, "unauthorized");
    assert_api_error(second.me().await, 401, "unauthorized");
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "invalid_credentials",
    );
    let session = app.anon.login("alice", "a-new-password").await.unwrap();
    app.anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
    // A change of name alone ends nothing.
    let third = app.anon.with_token(
        app.anon
            .login("alice", "a-new-password")
            .await
            .unwrap()
            .access_token,
    );
    app.admin
        .update_user(
            &user.id,
            &api::UpdateUser {
                name: Some("Alice A.".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    third.me().await.unwrap();
}

async fn a_lock_ends_after_lockout_secs(app: TestApp) {
    app.user("alice", None).await;
    let max = app.config.auth.max_failed_logins;
    for _ in 0..max {
        assert_api_error(
            app.anon.login("alice", "wrong-password").await,
            401,
            "invalid_credentials",
        );
    }
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        423,
        "account_locked",
    );
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    // The lock is over and the count starts afresh: one more failure does not lock again.
    assert_api_error(
        app.anon.login("alice", "wrong-password").await,
        401,
        "invalid_credentials",
    );
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    app.anon
        .with_token(session.access_token)
        .me()
        .await
        .unwrap();
}

/// A login from `address` (through the trusted proxy).
async fn login_from(
    app: &TestApp,
    address: &str,
    password: &str,
) -> Result<api::Session, ferry_client::ClientError> {
    let res = app
        .anon
        .request(Method::POST, "/auth/session")
        .header("X-Forwarded-For", address)
        .json(&login_body("alice", password))
        .send()
        .await
        .unwrap();
    parse(res).await
}

async fn a_lock_holds_only_the_address_that_guessed_wrong(app: TestApp) {
    let (alice, _) = app.user("alice", None).await;
    let guesser = "203.0.113.9";
    for _ in 0..app.config.auth.max_failed_logins {
        assert_api_error(
            login_from(&app, guesser, "wrong-password").await,
            401,
            "invalid_credentials",
        );
    }
    // The guesser is locked out, even with the right password...
    let body = assert_api_error(
        login_from(&app, guesser, "password-alice").await,
        423,
        "account_locked",
    );
    assert!(
        body.error.details.unwrap()["retry_after_secs"]
            .as_i64()
            .unwrap()
            > 0
    );
    // ...the real user, from her own address, is not (only slowed down a little).
    let session = login_from(&app, "198.51.100.20", "password-alice")
        .await
        .unwrap();
    assert_eq!(session.user.id, alice.id);
    // The account shows that some address is locked out of it.
    let listed = app.admin.get_user(&alice.id).await.unwrap();
    assert!(listed.locked);
    let locks = app
        .admin
        .audit_events(&[("action", "auth.locked")])
        .await
        .unwrap();
    assert_eq!(locks.events.len(), 1);
    assert_eq!(locks.events[0].details["address"], guesser);
    assert_eq!(locks.events[0].ip.as_deref(), Some(guesser));

    // Her login did not lift the guesser's lock; an admin's unlock does.
    assert_api_error(
        login_from(&app, guesser, "password-alice").await,
        423,
        "account_locked",
    );
    app.admin.unlock_user(&alice.id).await.unwrap();
    login_from(&app, guesser, "password-alice").await.unwrap();
}
