//! Who may read `/metrics`: a bearer token (`metrics.token`), a separate listener
//! (`metrics.listen`), or by default loopback clients only when the main listener is public.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp};

async fn code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.unwrap();
    body["error"]["code"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_token_is_required_when_configured() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics.token = Some("scrape-secret-0123456789".into());
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", app.url);
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(code(res).await, "unauthorized");
    let res = http
        .get(&url)
        .bearer_auth("scrape-secret-012345678X")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A user's credentials are not the metrics token.
    let res = http
        .get(&url)
        .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http
        .get(&url)
        .bearer_auth("scrape-secret-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("ferry_http_requests_total")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_separate_metrics_listener_takes_them_off_the_main_one() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics.listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(code(res).await, "not_found");
    let addr = app.server.as_ref().unwrap().metrics_addr().expect("bound");
    let res = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("ferry_http_requests_total")
    );
    // Only the metrics and health live there.
    let res = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = http
        .get(format!("http://{addr}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_listener_shows_metrics_to_loopback_only() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.server.listen = "0.0.0.0:0".parse().unwrap();
        // The client address is taken from X-Forwarded-For when loopback is a trusted proxy:
        // that is how a request from elsewhere reaches this test.
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
        c.server.public_url = Some("http://127.0.0.1".into());
    })
    .await
    .unwrap();
    let port = app.server.as_ref().unwrap().addr().port();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let http = reqwest::Client::new();
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = http
        .get(&url)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
