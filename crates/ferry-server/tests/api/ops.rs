//! Operations: health, readiness, metrics, the OpenAPI document and its UI, request ids, and
//! the JSON errors of unknown routes and wrong methods.

use ferry_api as api;
use reqwest::Method;
use reqwest::header::HeaderValue;

use crate::helpers::{TestApp, assert_api_error, parse};
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer,
    metrics_count_requests,
    metrics_show_what_is_stored_and_in_flight,
    openapi_document_describes_the_api,
    api_docs_are_served,
    every_response_carries_a_request_id,
    valid_client_request_ids_are_echoed,
    invalid_client_request_ids_are_replaced,
    unknown_routes_and_wrong_methods_are_json_errors,
    stopping_the_server_closes_the_listener,
);

fn request_id(res: &reqwest::Response) -> String {
    res.headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("no X-Request-Id on {} {}", res.status(), res.url()))
        .to_str()
        .unwrap()
        .to_string()
}

/// A server-made request id: `req_` and at least 64 random bits of lowercase hex.
fn assert_server_request_id(id: &str) {
    let body = id
        .strip_prefix("req_")
        .unwrap_or_else(|| panic!("not a server id: {id}"));
    assert!(body.len() >= 16, "{id}");
    assert!(
        body.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id}"
    );
}

async fn health_and_readiness_answer(app: TestApp) {
    for (path, status) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let res = app.raw(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let health: api::Health = parse(res).await.unwrap();
        assert_eq!(health.status, status);
    }
}

async fn metrics_count_requests(app: TestApp) {
    app.raw(Method::GET, "/healthz").send().await.unwrap();
    app.admin.me().await.unwrap();
    let res = app.raw(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    request_id(&res);
    let text = res.text().await.unwrap();
    assert!(text.contains("ferry_http_requests_total"), "{text}");
    // Requests are counted by route template, method and status (the recorder is shared by
    // every server in this process, so other tests' counts are there too).
    assert!(
        text.lines()
            .any(|l| l.starts_with("ferry_http_requests_total{")
                && l.contains(r#"route="/api/v1/me""#)
                && l.contains(r#"method="GET""#)
                && l.contains(r#"status="200""#)),
        "no count for GET /api/v1/me 200:\n{text}"
    );
    assert!(
        text.contains("ferry_http_request_duration_seconds"),
        "{text}"
    );
}

async fn openapi_document_describes_the_api(app: TestApp) {
    let res = app
        .raw(Method::GET, "/api/v1/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    request_id(&res);
    let doc: serde_json::Value =
        serde_json::from_slice(&res.bytes().await.unwrap()).expect("valid JSON");
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1"), "{version}");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/auth/session",
        "/me",
        "/users",
        "/users/{user_id}",
        "/users/{user_id}/unlock",
        "/folders",
        "/folders/{folder_id}",
        "/folders/{folder_id}/files",
        "/files/{file_id}",
        "/files/{file_id}/content",
    ] {
        assert!(
            paths.contains_key(path),
            "missing {path}: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    assert!(paths["/auth/session"].get("post").is_some());
    assert!(paths["/auth/session"].get("delete").is_some());
    assert!(
        paths["/folders/{folder_id}/files"].get("post").is_some(),
        "the simple upload"
    );
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
}

async fn api_docs_are_served(app: TestApp) {
    for path in ["/api/docs/", "/api/docs"] {
        let res = app.raw(Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let ctype = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ctype.starts_with("text/html"), "{path}: {ctype}");
        request_id(&res);
        let html = res.text().await.unwrap();
        assert!(html.to_ascii_lowercase().contains("swagger"), "{html}");
    }
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"hello".to_vec())
        .await
        .unwrap();
    let mut ids = Vec::new();
    let requests = [
        app.raw(Method::GET, "/healthz"),
        app.raw(Method::GET, "/readyz"),
        app.raw(Method::GET, "/metrics"),
        app.raw(Method::GET, "/api/v1/openapi.json"),
        app.raw(Method::GET, "/api/docs/"),
        app.raw(Method::GET, "/api/v1/me"),
        app.raw(Method::GET, "/api/v1/nope"),
        app.raw(Method::GET, "/nope"),
        app.raw(Method::PUT, "/api/v1/folders"),
        alice.request(Method::GET, "/me"),
        alice.request(Method::GET, "/folders"),
        alice.request(Method::GET, &format!("/files/{}/content", file.id)),
        alice
            .request(Method::GET, &format!("/files/{}/content", file.id))
            .header("range", "bytes=0-1"),
        alice
            .request(Method::GET, &format!("/files/{}/content", file.id))
            .header("if-none-match", format!("\"{}\"", file.checksum_sha256)),
        alice.request(Method::GET, "/files/fil_0123456789abcdef01234567"),
        alice.request(Method::POST, "/folders").body("{"),
    ];
    for req in requests {
        let res = req.send().await.unwrap();
        let id = request_id(&res);
        assert_server_request_id(&id);
        if res.status().is_client_error() || res.status().is_server_error() {
            // Errors also carry it in the body.
            let url = res.url().clone();
            let err = parse::<serde_json::Value>(res).await.unwrap_err();
            assert!(err.code().is_some(), "{url}: {err:?}");
        }
        ids.push(id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "request ids are unique: {ids:?}");
}

async fn valid_client_request_ids_are_echoed(app: TestApp) {
    let res = app
        .raw(Method::GET, "/healthz")
        .header("x-request-id", "my-trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(request_id(&res), "my-trace-123");

    let res = app
        .raw(Method::GET, "/api/v1/me")
        .header("x-request-id", "my-trace-123")
        .send()
        .await
        .unwrap();
    assert_eq!(request_id(&res), "my-trace-123");
    let err = assert_api_error(parse::<api::User>(res).await, 401, "unauthorized");
    assert_eq!(err.error.request_id, "my-trace-123");

    let res = app
        .raw(Method::GET, "/api/v1/nope")
        .header("x-request-id", "my-trace-124")
        .send()
        .await
        .unwrap();
    let err = assert_api_error(parse::<serde_json::Value>(res).await, 404, "not_found");
    assert_eq!(err.error.request_id, "my-trace-124");

    // Up to 64 visible ASCII characters are kept as sent.
    let longest: String =
        "~!#$%&'*+-.^_`|0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"[..64].to_string();
    assert_eq!(longest.len(), 64);
    let res = app
        .admin
        .request(Method::GET, "/me")
        .header("x-request-id", &longest)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(request_id(&res), longest);
}

async fn invalid_client_request_ids_are_replaced(app: TestApp) {
    let too_long = "a".repeat(65);
    let values = [
        HeaderValue::from_static("has space"),
        HeaderValue::from_str(&too_long).unwrap(),
        HeaderValue::from_static(""),
        HeaderValue::from_bytes("tr\u{e9}ce".as_bytes()).unwrap(),
        HeaderValue::from_static("tab\there"),
    ];
    for value in values {
        let res = app
            .raw(Method::GET, "/healthz")
            .header("x-request-id", value.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_server_request_id(&request_id(&res));

        let res = app
            .raw(Method::GET, "/api/v1/me")
            .header("x-request-id", value)
            .send()
            .await
            .unwrap();
        let id = request_id(&res);
        assert_server_request_id(&id);
        let err = assert_api_error(parse::<api::User>(res).await, 401, "unauthorized");
        assert_eq!(err.error.request_id, id);
    }
}

async fn unknown_routes_and_wrong_methods_are_json_errors(app: TestApp) {
    for path in [
        "/api/v1/nope",
        "/nope",
        "/api/v2/folders",
        "/api/v1/folders/fld_00/nope",
    ] {
        let res = app.raw(Method::GET, path).send().await.unwrap();
        assert_api_error(parse::<serde_json::Value>(res).await, 404, "not_found");
    }
    // The same with credentials.
    let res = app
        .admin
        .request(Method::GET, "/nope")
        .send()
        .await
        .unwrap();
    assert_api_error(parse::<serde_json::Value>(res).await, 404, "not_found");

    let wrong = [
        (Method::PUT, "/api/v1/folders"),
        (Method::DELETE, "/api/v1/folders"),
        (Method::PATCH, "/api/v1/auth/session"),
        (Method::POST, "/api/v1/me"),
        (Method::PUT, "/api/v1/users/usr_0123456789abcdef01234567"),
        (Method::POST, "/healthz"),
    ];
    for (method, path) in wrong {
        let res = app
            .raw(method.clone(), path)
            .bearer_auth("whatever")
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let allow = res
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        assert_api_error(
            parse::<serde_json::Value>(res).await,
            405,
            "method_not_allowed",
        );
        assert!(allow.is_some(), "{method} {path}: 405 without Allow");
    }
    let res = app
        .admin
        .request(Method::PUT, "/folders")
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    let allow = res.headers()["allow"]
        .to_str()
        .unwrap()
        .to_ascii_uppercase();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_api_error(parse::<api::Folder>(res).await, 405, "method_not_allowed");
    assert!(
        app.admin
            .list_folders(false)
            .await
            .unwrap()
            .folders
            .is_empty(),
        "nothing created"
    );
}

async fn stopping_the_server_closes_the_listener(mut app: TestApp) {
    let url = format!("{}/healthz", app.url);
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(30), app.stop()).await;
    assert!(stopped.is_ok(), "graceful shutdown finishes");
    assert!(app.server.is_none());
    assert!(
        reqwest::get(&url).await.is_err(),
        "nothing listens any more"
    );
}

/// The value of an unlabelled gauge in a Prometheus text page.
fn gauge(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn metrics_show_what_is_stored_and_in_flight(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (bob, _) = app.user("bob", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    alice.upload(&folder.id, "a.txt", "12345").await.unwrap();
    alice
        .create_upload(&ferry_api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.id.clone(),
            filename: "big.bin".into(),
            size: 1000,
            checksum_sha256: None,
            part_size: None,
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    app.admin.delete_user(&bob.id, None).await.unwrap();
    let expected = [
        ("ferry_users", 2.0),
        ("ferry_files", 1.0),
        ("ferry_stored_bytes", 5.0),
        ("ferry_uploads_in_flight", 1.0),
        ("ferry_webhook_backlog", 0.0),
    ];
    // The recorder is shared by every server this test process runs, and each sets the gauges
    // to its own figures when scraped: scrape until no other server did so in between.
    let mut last = String::new();
    for _ in 0..50 {
        let res = app.raw(Method::GET, "/metrics").send().await.unwrap();
        last = res.text().await.unwrap();
        if expected
            .iter()
            .all(|(name, value)| gauge(&last, name) == Some(*value))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the gauges never showed {expected:?}:\n{last}");
}
