//! Self-registration and quota decisions against a real SMTP server (the sink of `mail.rs`):
//! signing up mails a single-use, expiring confirmation link; `open` makes the account when
//! it is used, `approval` waits for a system admin who approves or denies (the person hears
//! of it by mail), `closed` refuses; sign-ups never tell whether an address has an account.
//! A quota request's answer arrives by mail too.

use ferry_api as api;
use ferry_app::config::RegistrationMode;
use ferry_client::Client;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_api_error, assert_field_error, parse, send_json};
use crate::mail::{SmtpSink, mail_to, spawn, token_in};
use crate::mail_tests;

mail_tests!(
    an_open_sign_up_is_confirmed_by_mail_and_makes_the_account,
    sign_ups_waiting_for_approval_are_approved_or_denied,
    closed_or_mailless_servers_and_bad_sign_ups_get_clear_errors,
    quota_decisions_are_told_by_mail,
);

/// Signs up `login` with the password `password-<login>`: the raw answer.
async fn sign_up(app: &TestApp, login: &str) -> reqwest::Response {
    app.raw(Method::POST, "/api/v1/auth/register")
        .json(
            &json!({"login": login, "password": format!("password-{login}"),
            "name": "New Person"}),
        )
        .send()
        .await
        .unwrap()
}

/// Signs up `login` and expects the `202` with no body every accepted sign-up gets.
async fn signed_up(app: &TestApp, login: &str) {
    let res = sign_up(app, login).await;
    assert_eq!(res.status(), 202, "{login}");
    assert_eq!(res.text().await.unwrap(), "", "{login}");
}

async fn confirm(
    app: &TestApp,
    token: &str,
) -> Result<api::RegistrationConfirmed, ferry_client::ClientError> {
    send_json(
        &app.anon,
        Method::POST,
        "/auth/register/confirm",
        Some(json!({ "token": token })),
    )
    .await
}

/// The token of a confirmation mail, after checking where it went and what it says.
fn confirmation_token(app: &TestApp, mail: &Value, to: &str) -> String {
    assert_eq!(mail["rcpt_tos"], json!([to]));
    assert_eq!(mail["subject"], "Confirm your Ferry sign-up");
    token_in(mail, &format!("{}/register?token=", app.url))
}

async fn login_of(app: &TestApp, login: &str) -> Result<api::Session, ferry_client::ClientError> {
    app.anon.login(login, &format!("password-{login}")).await
}

async fn open(backend: Backend, sink: &SmtpSink, mode: RegistrationMode) -> TestApp {
    spawn(backend, |c| {
        mail_to(c, sink);
        c.accounts.registration = mode;
    })
    .await
}

async fn an_open_sign_up_is_confirmed_by_mail_and_makes_the_account(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = open(backend, &sink, RegistrationMode::Open).await;
    signed_up(&app, "newbie@example.com").await;
    let mail = sink.until(1, "the confirmation mail").await.remove(0);
    let token = confirmation_token(&app, &mail, "newbie@example.com");
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains("your account is ready")
    );

    // No account before the address is confirmed.
    assert_api_error(
        login_of(&app, "newbie@example.com").await,
        401,
        "invalid_credentials",
    );
    assert_field_error(
        confirm(&app, &"0".repeat(64)).await,
        400,
        "registration_token_invalid",
        "token",
    );
    let confirmed = confirm(&app, &token).await.unwrap();
    assert_eq!(confirmed.status, "active");
    let user = confirmed.user.expect("the new account");
    assert_eq!(
        (user.login.as_str(), user.name.as_str(), user.role.as_str()),
        ("newbie@example.com", "New Person", "user")
    );
    login_of(&app, "newbie@example.com").await.unwrap();
    // Single use.
    assert_api_error(
        confirm(&app, &token).await,
        400,
        "registration_token_invalid",
    );

    // Signing up again with the address (in another case) answers the same, mails nothing.
    signed_up(&app, "NEWBIE@example.com").await;
    app.run_jobs().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1);
    let requested = app
        .admin
        .audit_events(&[("action", "auth.registration_requested")])
        .await
        .unwrap()
        .events;
    let reasons: Vec<&Value> = requested
        .iter()
        .rev()
        .map(|e| &e.details["reason"])
        .collect();
    assert_eq!(reasons, [&Value::Null, &json!("login_taken")]);
    let created = app.audit_of("user.created", &user.id).await;
    assert_eq!(created.len(), 1);
    let confirmed = app.audit_of("auth.registration_confirmed", &user.id).await;
    assert_eq!(confirmed[0].details["status"], "approved");

    // Nothing of the password is kept with the sign-up once it is an account.
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    let (status, hash): (String, String) =
        sqlx::query_as("SELECT status, password_hash FROM registrations")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((status.as_str(), hash.as_str()), ("approved", ""));
}

async fn sign_ups_waiting_for_approval_are_approved_or_denied(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = open(backend, &sink, RegistrationMode::Approval).await;
    signed_up(&app, "ann@example.com").await;
    signed_up(&app, "ben@example.com").await;
    signed_up(&app, "late@example.com").await;
    let mails = sink.until(3, "three confirmation mails").await;
    let token_of = |to: &str| {
        let mail = mails
            .iter()
            .find(|m| m["rcpt_tos"][0] == to)
            .expect("a mail to each");
        assert!(
            mail["text"]
                .as_str()
                .unwrap()
                .contains("an admin looks at your sign-up")
        );
        confirmation_token(&app, mail, to)
    };
    let (ann, ben, late) = (
        token_of("ann@example.com"),
        token_of("ben@example.com"),
        token_of("late@example.com"),
    );
    for token in [&ann, &ben] {
        let confirmed = confirm(&app, token).await.unwrap();
        assert_eq!(
            (confirmed.status.as_str(), confirmed.user.is_none()),
            ("pending", true)
        );
    }
    // Waiting is no account yet.
    assert_api_error(
        login_of(&app, "ann@example.com").await,
        401,
        "invalid_credentials",
    );
    // Every system admin hears of each confirmed sign-up.
    let notices: api::NoticeList = send_json(&app.admin, Method::GET, "/notices", None)
        .await
        .unwrap();
    let pending: Vec<&Value> = notices
        .notices
        .iter()
        .filter(|n| n.kind == "registration.pending")
        .map(|n| &n.data["login"])
        .collect();
    assert_eq!(pending.len(), 2, "{pending:?}");

    // Only system admins see and decide sign-ups.
    let (_, carol) = app.user("carol", None).await;
    let (_, boss) = app.company_with_admin("Acme").await;
    for client in [&carol, &boss] {
        assert_api_error(
            send_json::<api::RegistrationList>(client, Method::GET, "/registrations", None).await,
            403,
            "forbidden",
        );
    }
    let list: api::RegistrationList = send_json(
        &app.admin,
        Method::GET,
        "/registrations?status=pending",
        None,
    )
    .await
    .unwrap();
    let id_of = |login: &str| {
        list.registrations
            .iter()
            .find(|r| r.login == login)
            .expect("listed")
            .id
            .clone()
    };
    let (ann_id, ben_id) = (id_of("ann@example.com"), id_of("ben@example.com"));
    assert_eq!(list.registrations.len(), 2);
    let decide = |client: &Client, id: &str, what: &str| {
        let client = client.clone();
        let path = format!("/registrations/{id}/{what}");
        async move { send_json::<api::Registration>(&client, Method::POST, &path, None).await }
    };
    assert_api_error(decide(&carol, &ann_id, "approve").await, 403, "forbidden");

    let approved = decide(&app.admin, &ann_id, "approve").await.unwrap();
    assert_eq!(approved.status, "approved");
    let ann_user = approved.user_id.expect("the account");
    login_of(&app, "ann@example.com").await.unwrap();
    let denied = decide(&app.admin, &ben_id, "deny").await.unwrap();
    assert_eq!((denied.status.as_str(), denied.user_id), ("denied", None));
    assert_api_error(
        login_of(&app, "ben@example.com").await,
        401,
        "invalid_credentials",
    );
    // One decision each.
    assert_api_error(
        decide(&app.admin, &ben_id, "approve").await,
        409,
        "conflict",
    );
    let unconfirmed: api::RegistrationList = send_json(
        &app.admin,
        Method::GET,
        "/registrations?status=unconfirmed",
        None,
    )
    .await
    .unwrap();
    assert_eq!(unconfirmed.registrations.len(), 1);
    assert_api_error(
        decide(&app.admin, &unconfirmed.registrations[0].id, "approve").await,
        409,
        "conflict",
    );
    assert_api_error(decide(&app.admin, "reg_00", "deny").await, 404, "not_found");
    assert_api_error(
        send_json::<api::RegistrationList>(
            &app.admin,
            Method::GET,
            "/registrations?status=odd",
            None,
        )
        .await,
        400,
        "invalid_query",
    );

    // Both hear of the decision.
    let all = sink.until(5, "the two decisions").await;
    let subject_to = |to: &str| {
        all.iter()
            .skip(3)
            .find(|m| m["rcpt_tos"][0] == to)
            .map(|m| m["subject"].as_str().unwrap().to_string())
    };
    assert_eq!(
        subject_to("ann@example.com").as_deref(),
        Some("Your Ferry account is ready")
    );
    assert_eq!(
        subject_to("ben@example.com").as_deref(),
        Some("Your Ferry sign-up was declined")
    );
    let event = &app.audit_of("user.registration_approved", &ann_user).await[0];
    assert_eq!(
        event.actor.as_ref().map(|a| a.login.as_str()),
        Some("admin")
    );

    // A link is good for 24 hours (last: the admin's session ends with the day too).
    app.clock
        .advance(std::time::Duration::from_secs(24 * 3600 + 1));
    assert_api_error(
        confirm(&app, &late).await,
        400,
        "registration_token_invalid",
    );
}

async fn closed_or_mailless_servers_and_bad_sign_ups_get_clear_errors(backend: Backend) {
    let sink = SmtpSink::start().await;
    // Closed is the default.
    let closed = spawn(backend, |c| {
        mail_to(c, &sink);
        c.rate_limits.exempt_loopback = false;
        c.rate_limits.auth_per_minute = 3;
    })
    .await;
    let res = sign_up(&closed, "someone@example.com").await;
    assert_api_error(parse::<Value>(res).await, 403, "registration_closed");
    assert_api_error(
        confirm(&closed, &"0".repeat(64)).await,
        403,
        "registration_closed",
    );
    // Sign-ups are limited per client address like logins (the admin's login counted too).
    let mut limited = false;
    for _ in 0..5 {
        let res = sign_up(&closed, "someone@example.com").await;
        if res.status() == 429 {
            assert_api_error(parse::<Value>(res).await, 429, "too_many_requests");
            limited = true;
            break;
        }
        assert_eq!(res.status(), 403);
    }
    assert!(limited, "sign-ups were never rate-limited");
    drop(closed);

    let mailless = TestApp::spawn_with(backend, |c| {
        c.accounts.registration = RegistrationMode::Open
    })
    .await
    .expect("the backend runs");
    let res = sign_up(&mailless, "someone@example.com").await;
    assert_api_error(parse::<Value>(res).await, 503, "mail_not_configured");
    drop(mailless);

    let app = open(backend, &sink, RegistrationMode::Open).await;
    for (body, code, field) in [
        (
            json!({"login": "not-an-address", "password": "long-enough-pw"}),
            "invalid_login",
            "login",
        ),
        (
            json!({"login": "x@example.com", "password": "short"}),
            "invalid_password",
            "password",
        ),
        (
            json!({"login": "x@example.com", "password": "long-enough-pw", "name": "a\u{7}b"}),
            "invalid_name",
            "name",
        ),
    ] {
        let res = app
            .raw(Method::POST, "/api/v1/auth/register")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_field_error(parse::<Value>(res).await, 400, code, field);
    }
    let res = app
        .raw(Method::POST, "/api/v1/auth/register")
        .header("content-type", "application/json")
        .body("{\"login\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Asking again within a minute mails nothing more.
    signed_up(&app, "twice@example.com").await;
    signed_up(&app, "twice@example.com").await;
    sink.until(1, "one confirmation mail").await;
    app.run_jobs().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1);
}

async fn quota_decisions_are_told_by_mail(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = spawn(backend, |c| mail_to(c, &sink)).await;
    let (_, dora) = app.user("dora@example.com", Some(1000)).await;
    let ask = |bytes: i64| {
        let dora = dora.clone();
        async move {
            send_json::<api::QuotaRequest>(
                &dora,
                Method::POST,
                "/me/quota-requests",
                Some(json!({"quota_bytes": bytes, "message": "a big project"})),
            )
            .await
            .unwrap()
        }
    };
    let first = ask(5000).await;
    let _: api::QuotaRequest = send_json(
        &app.admin,
        Method::POST,
        &format!("/quota-requests/{}/deny", first.id),
        Some(json!({"message": "not <this> month"})),
    )
    .await
    .unwrap();
    let denied = sink.until(1, "the refusal").await.remove(0);
    assert_eq!(denied["rcpt_tos"], json!(["dora@example.com"]));
    assert_eq!(
        denied["subject"],
        "Your request for more storage was declined"
    );
    assert!(
        denied["text"]
            .as_str()
            .unwrap()
            .contains("> not <this> month")
    );
    assert!(
        denied["html"]
            .as_str()
            .unwrap()
            .contains("not &lt;this&gt; month")
    );

    let second = ask(3000).await;
    let _: api::QuotaRequest = send_json(
        &app.admin,
        Method::POST,
        &format!("/quota-requests/{}/approve", second.id),
        Some(json!({})),
    )
    .await
    .unwrap();
    let granted = sink.until(2, "the grant").await.remove(1);
    assert_eq!(
        granted["subject"],
        "Your request for more storage was granted"
    );
    assert!(
        granted["text"]
            .as_str()
            .unwrap()
            .contains("your quota is now 3000 bytes")
    );
}
