//! Two-factor login (TOTP, RFC 6238): set up with a first code, then every login needs a code
//! that is accepted once; recovery codes stand in for a code once each; wrong codes count
//! towards the lockout; Basic auth with the password stops working; an admin can reset it.

use std::time::Duration;

use ferry_app::clock::Clock;
use ferry_client::Client;
use reqwest::Method;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::on_both_backends;

on_both_backends!(
    a_login_needs_a_fresh_code_once_two_factor_is_on,
    recovery_codes_work_once_and_turn_two_factor_off,
    wrong_codes_lock_the_account_and_admins_reset_two_factor,
);

/// The code an authenticator app shows for `secret` at the server's time.
fn code(app: &TestApp, secret: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(secret.as_bytes())
        .build()
        .expect("a 160-bit secret");
    let now = u64::try_from(app.clock.now_ms() / 1000).unwrap();
    totp.generate(now).to_string()
}

/// A six-digit code that is not `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// Turns two-factor login on for `client`; returns the secret and the recovery codes.
async fn enable(app: &TestApp, client: &Client) -> (String, Vec<String>) {
    let enrolment = client.begin_two_factor().await.unwrap();
    let codes = client
        .confirm_two_factor(&code(app, &enrolment.secret))
        .await
        .unwrap();
    (enrolment.secret, codes.recovery_codes)
}

/// Moves the server's clock to the next 30-second step, so that a new code is valid.
fn next_step(app: &TestApp) {
    app.clock.advance(Duration::from_secs(30));
}

async fn a_login_needs_a_fresh_code_once_two_factor_is_on(app: TestApp) {
    let (user, alice) = app.user("alice", None).await;
    assert!(!user.two_factor);
    let status = alice.two_factor_status().await.unwrap();
    assert!(!status.enabled && !status.pending);

    let enrolment = alice.begin_two_factor().await.unwrap();
    assert_eq!(enrolment.secret.len(), 32, "160 bits in base32");
    assert!(
        enrolment
            .otpauth_uri
            .starts_with("otpauth://totp/Ferry%3Aalice?secret="),
        "{}",
        enrolment.otpauth_uri
    );
    assert!(enrolment.otpauth_uri.contains(&enrolment.secret));
    assert!(alice.two_factor_status().await.unwrap().pending);
    // Not on until confirmed: the password alone still logs in.
    app.anon.login("alice", "password-alice").await.unwrap();

    let right = code(&app, &enrolment.secret);
    assert_field_error(
        alice.confirm_two_factor(&other_than(&right)).await,
        400,
        "invalid_otp",
        "code",
    );
    let codes = alice.confirm_two_factor(&right).await.unwrap();
    assert_eq!(codes.recovery_codes.len(), 10);
    let mut distinct = codes.recovery_codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    assert!(alice.me().await.unwrap().two_factor);
    let status = alice.two_factor_status().await.unwrap();
    assert_eq!((status.enabled, status.recovery_codes_left), (true, 10));
    assert_api_error(alice.begin_two_factor().await, 409, "conflict");

    // The password alone no longer logs in, by session or by HTTP Basic; tokens issued
    // before keep working.
    assert_api_error(
        app.anon.login("alice", "password-alice").await,
        401,
        "otp_required",
    );
    let basic = app
        .raw(Method::GET, "/api/v1/me")
        .basic_auth("alice", Some("password-alice"))
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<ferry_api::User>(basic).await, 401, "otp_required");
    assert_eq!(alice.me().await.unwrap().login, "alice");

    // The code that confirmed is used up: the same step cannot log in (RFC 6238 §5.2).
    assert_api_error(
        app.anon
            .login_with_otp("alice", "password-alice", Some(&right))
            .await,
        401,
        "invalid_otp",
    );
    next_step(&app);
    let fresh = code(&app, &enrolment.secret);
    let session = app
        .anon
        .login_with_otp("alice", "password-alice", Some(&fresh))
        .await
        .unwrap();
    assert_eq!(session.user.login, "alice");
    // Replayed, even at once and with the right password: refused.
    assert_api_error(
        app.anon
            .login_with_otp("alice", "password-alice", Some(&fresh))
            .await,
        401,
        "invalid_otp",
    );
    // A right code with a wrong password is still a wrong password.
    next_step(&app);
    assert_api_error(
        app.anon
            .login_with_otp(
                "alice",
                "wrong-password",
                Some(&code(&app, &enrolment.secret)),
            )
            .await,
        401,
        "invalid_credentials",
    );

    let events = app
        .admin
        .audit_events(&[("action", "auth.2fa_enabled")])
        .await
        .unwrap();
    assert_eq!(events.events.len(), 1);
    assert_eq!(events.events[0].target.id, user.id);
}

async fn recovery_codes_work_once_and_turn_two_factor_off(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (secret, recovery) = enable(&app, &alice).await;

    // Any case, with or without the dash.
    let first = recovery[0].to_uppercase().replace('-', "");
    app.anon
        .login_with_otp("alice", "password-alice", Some(&first))
        .await
        .unwrap();
    assert_api_error(
        app.anon
            .login_with_otp("alice", "password-alice", Some(&recovery[0]))
            .await,
        401,
        "invalid_otp",
    );
    assert_eq!(
        alice.two_factor_status().await.unwrap().recovery_codes_left,
        9
    );
    let used = app
        .admin
        .audit_events(&[("action", "auth.2fa_recovery_used")])
        .await
        .unwrap();
    assert_eq!(used.events.len(), 1);
    assert_eq!(used.events[0].details["recovery_codes_left"], 9);

    // Turning it off takes a code, not just the token.
    next_step(&app);
    assert_field_error(
        alice
            .disable_two_factor(&other_than(&code(&app, &secret)))
            .await,
        400,
        "invalid_otp",
        "code",
    );
    alice.disable_two_factor(&recovery[1]).await.unwrap();
    assert!(!alice.me().await.unwrap().two_factor);
    app.anon.login("alice", "password-alice").await.unwrap();
    assert_api_error(
        alice.disable_two_factor(&recovery[2]).await,
        404,
        "not_found",
    );
    // Its recovery codes went with it: a new set-up starts from scratch.
    let (_, again) = enable(&app, &alice).await;
    assert!(again.iter().all(|c| !recovery.contains(c)));
}

async fn wrong_codes_lock_the_account_and_admins_reset_two_factor(app: TestApp) {
    let (bob_user, bob) = app.user("bob", None).await;
    let (secret, _) = enable(&app, &bob).await;
    next_step(&app);
    let right = code(&app, &secret);
    for _ in 0..app.config.auth.max_failed_logins {
        assert_api_error(
            app.anon
                .login_with_otp("bob", "password-bob", Some(&other_than(&right)))
                .await,
            401,
            "invalid_otp",
        );
    }
    // Locked now, even for the right code.
    assert_api_error(
        app.anon
            .login_with_otp("bob", "password-bob", Some(&right))
            .await,
        423,
        "account_locked",
    );
    let failures = app
        .admin
        .audit_events(&[("action", "auth.login_failed"), ("target", &bob_user.id)])
        .await
        .unwrap();
    assert!(
        failures
            .events
            .iter()
            .filter(|e| e.details["reason"] == "wrong_otp")
            .count()
            >= 5,
        "{failures:?}"
    );
    app.admin.unlock_user(&bob_user.id).await.unwrap();

    // Another user may not reset bob's second factor; an admin may.
    let (_, carol) = app.user("carol", None).await;
    assert!(carol.reset_two_factor(&bob_user.id).await.is_err());
    app.admin.reset_two_factor(&bob_user.id).await.unwrap();
    app.anon.login("bob", "password-bob").await.unwrap();
    assert_api_error(
        app.admin.reset_two_factor(&bob_user.id).await,
        404,
        "not_found",
    );
    let resets = app
        .admin
        .audit_events(&[("action", "auth.2fa_disabled")])
        .await
        .unwrap();
    assert_eq!(resets.events[0].details["reset_by_admin"], true);
}
