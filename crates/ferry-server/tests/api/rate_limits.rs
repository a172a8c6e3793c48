//! Rate limits over real sockets: clients bound to different loopback addresses (127.0.0.2,
//! 127.0.0.3 …) are different clients to the server. The limited one gets
//! `429 too_many_requests` with `Retry-After` and the `RateLimit` headers while the others are
//! still served.

use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, Backend, TestApp};

/// A plain HTTP client whose connections come from `ip`.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn tight(c: &mut ferry_server::Config) {
    c.rate_limits.exempt_loopback = false;
    c.rate_limits.auth_per_minute = 3;
    c.rate_limits.anonymous_per_minute = 4;
    c.rate_limits.user_per_minute = 5;
}

/// Sends `send` until it answers 429 (at most `limit + 10` times) and returns that response;
/// the first `limit` answers must not be 429 (the burst is the limit).
async fn until_limited<F, Fut>(limit: usize, mut send: F) -> reqwest::Response
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    for i in 0..limit + 10 {
        let res = send().await.unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                i >= limit,
                "refused after {i} requests, the burst is {limit}"
            );
            return res;
        }
        assert!(
            res.headers().contains_key("ratelimit"),
            "a limited answer carries RateLimit: {:?}",
            res.headers()
        );
    }
    panic!("never rate limited");
}

async fn assert_too_many(res: reqwest::Response, policy: &str, quota: u32) {
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        res.headers()["ratelimit-policy"],
        format!("\"{policy}\";q={quota};w=60").as_str()
    );
    assert_eq!(
        res.headers()["ratelimit"],
        format!("\"{policy}\";r=0;t={retry}").as_str()
    );
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
    assert_eq!(body["error"]["details"]["retry_after_secs"], retry);
}

async fn login(
    client: &reqwest::Client,
    url: &str,
    login: &str,
    password: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{url}/api/v1/auth/session"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessing_address_is_limited_while_others_log_in() {
    let app = TestApp::spawn_with(Backend::Sqlite, tight).await.unwrap();
    let url = app.url.clone();
    let guesser = client_from("127.0.0.2");
    let limited = until_limited(3, || login(&guesser, &url, "admin", "wrong")).await;
    assert_too_many(limited, "auth", 3).await;
    // Even the right password is refused from that address now, before it is checked.
    let res = login(&guesser, &url, "admin", ADMIN_PASSWORD)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another address logs in.
    let other = client_from("127.0.0.3");
    let res = login(&other, &url, "admin", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["ratelimit-policy"], "\"auth\";q=3;w=60");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_basic_credentials_count_as_guesses() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        tight(c);
        // The per-(account, address) lockout must not answer first.
        c.auth.max_failed_logins = 100;
    })
    .await
    .unwrap();
    let url = app.url.clone();
    let guesser = client_from("127.0.0.4");
    let limited = until_limited(3, || {
        guesser
            .get(format!("{url}/api/v1/me"))
            .basic_auth("admin", Some("wrong"))
            .send()
    })
    .await;
    assert_too_many(limited, "auth", 3).await;
    let res = client_from("127.0.0.5")
        .get(format!("{url}/api/v1/me"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_requests_are_limited_per_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, tight).await.unwrap();
    let url = app.url.clone();
    let a = client_from("127.0.0.6");
    let info = |c: &reqwest::Client| c.get(format!("{url}/api/v1/links/not-a-token/info")).send();
    let limited = until_limited(4, || info(&a)).await;
    assert_too_many(limited, "anonymous", 4).await;
    let res = a.get(format!("{url}/d/not-a-token")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Health checks are never limited.
    let res = a.get(format!("{url}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Another address is still answered (a forged token is 404).
    let res = info(&client_from("127.0.0.7")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_has_its_own_budget_whatever_the_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, tight).await.unwrap();
    let url = app.url.clone();
    let one = client_from("127.0.0.8");
    let two = client_from("127.0.0.9");
    let res = login(&one, &url, "admin", ADMIN_PASSWORD).await.unwrap();
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = one
        .post(format!("{url}/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"login": "other", "password": "other-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Alternating addresses does not help: the budget is the user's (1 used already).
    let mut turn = 0;
    let limited = until_limited(4, || {
        turn += 1;
        let c = if turn % 2 == 0 { &one } else { &two };
        c.get(format!("{url}/api/v1/me")).bearer_auth(&token).send()
    })
    .await;
    assert_too_many(limited, "user", 5).await;
    // Another user, from the same address, is served.
    let res = two
        .get(format!("{url}/api/v1/me"))
        .basic_auth("other", Some("other-password-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["ratelimit-policy"], "\"user\";q=5;w=60");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_exempt_only_when_configured_and_limits_can_be_off() {
    // The suite's default: loopback exempt (and no lockout to answer first).
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.auth.max_failed_logins = 1000)
        .await
        .unwrap();
    for _ in 0..40 {
        let res = login(&client_from("127.0.0.10"), &app.url, "admin", "wrong")
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(!res.headers().contains_key("ratelimit"));
    }
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        tight(c);
        c.rate_limits.enabled = false;
        c.auth.max_failed_logins = 1000;
    })
    .await
    .unwrap();
    for _ in 0..10 {
        let res = login(&client_from("127.0.0.11"), &app.url, "admin", "wrong")
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

/// Two nodes on one PostgreSQL database share the secret-guessing buckets: guesses spread
/// over both count once each, so the address is refused after the limit on either node, not
/// after twice the limit; another address still logs in through both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn nodes_share_the_guessing_limit_on_postgres() {
    let app = TestApp::spawn_with(Backend::Postgres, tight)
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    let node_b = ferry_server::Server::start_with_clock(app.config.clone(), app.clock.clone())
        .await
        .expect("a second node starts");
    let urls = [app.url.clone(), format!("http://{}", node_b.addr())];
    let guesser = client_from("127.0.0.20");
    let mut answers = Vec::new();
    for i in 0..6 {
        let res = login(&guesser, &urls[i % 2], "admin", "wrong")
            .await
            .unwrap();
        answers.push(res.status());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_too_many(res, "auth", 3).await;
            break;
        }
        assert_eq!(
            res.headers()["ratelimit"],
            format!("\"auth\";r={};t={}", 2 - i, (i + 1) * 20).as_str(),
            "guess {i}"
        );
    }
    assert_eq!(
        answers,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "three guesses over two nodes, then refused"
    );
    // Refused on the other node too, even with the right password.
    let res = login(&guesser, &urls[0], "admin", ADMIN_PASSWORD)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address logs in on both nodes.
    let other = client_from("127.0.0.21");
    for url in &urls {
        let res = login(&other, url, "admin", ADMIN_PASSWORD).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    // Once the minute has passed, the guesser's bucket is full again and the collector may
    // forget it.
    app.clock.advance(std::time::Duration::from_secs(61));
    let res = login(&guesser, &urls[1], "admin", ADMIN_PASSWORD)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    node_b.shutdown().await.unwrap();
}
