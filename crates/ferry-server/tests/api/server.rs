//! The HTTP server itself: slow clients, abandoned uploads, graceful shutdown. These do not
//! depend on the database, so they run on SQLite only.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.header_read_timeout_secs = 1)
        .await
        .unwrap();
    let mut stream = TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    // The server must close the connection by itself; give it far more than the timeout.
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection still open after 10 s");
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_stalls_mid_body_is_cut_off_and_leaves_nothing() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.body_idle_timeout_secs = 1)
        .await
        .unwrap();
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let token = alice.request(reqwest::Method::GET, "/").build().unwrap();
    let auth = token.headers()["authorization"]
        .to_str()
        .unwrap()
        .to_string();

    let mut stream = TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/folders/{}/files?filename=x.bin HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n",
        folder.id
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[7u8; 1000]).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "stalled upload still open after 10 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("body_read_failed"), "{text}");
    assert_eq!(app.staging_files(), 0);
    assert_eq!(app.blob_files().await, 0);
    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_upload_leaves_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let req = alice.request(reqwest::Method::GET, "/").build().unwrap();
    let auth = req.headers()["authorization"].to_str().unwrap().to_string();
    {
        let mut stream = TcpStream::connect(app.url.trim_start_matches("http://"))
            .await
            .unwrap();
        let head = format!(
            "POST /api/v1/folders/{}/files?filename=x.bin HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n",
            folder.id
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&vec![7u8; 3_000_000]).await.unwrap();
        // Hang up only once the server is writing the upload into staging.
        let deadline = Instant::now() + Duration::from_secs(20);
        while app.staging_files() == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(app.staging_files() > 0, "the upload never reached staging");
    } // dropped: the connection closes mid-body
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.staging_files() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.staging_files(), 0);
    assert_eq!(app.blob_files().await, 0);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_is_graceful_and_the_data_survives_a_restart() {
    let mut app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "keep.txt", b"kept".to_vec())
        .await
        .unwrap();
    app.stop().await;
    assert!(alice.me().await.is_err(), "the server no longer answers");

    // Same data dir and database: everything is still there, the admin is not recreated.
    let mut config = app.config.clone();
    config.admin.password = Some("a-different-password".into());
    let server = ferry_server::Server::start(config).await.unwrap();
    let client = ferry_client::Client::new(&format!("http://{}", server.addr()));
    let session = client.login("alice", "password-alice").await.unwrap();
    let alice = client.with_token(session.access_token);
    let got = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(got.body.as_ref(), b"kept");
    assert!(client.login("admin", "a-different-password").await.is_err());
    server.shutdown().await.unwrap();
}

/// Reads until the server closes the connection; panics if it is still open after 10 s.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection still open after 10 s");
    String::from_utf8_lossy(&buf).into_owned()
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_sends_a_byte_is_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.header_read_timeout_secs = 1)
        .await
        .unwrap();
    let mut silent = connect(&app).await;
    let started = Instant::now();
    assert_eq!(read_until_closed(&mut silent).await, "");
    assert!(started.elapsed() >= Duration::from_millis(900));
    // Half an HTTP/2 preface, then silence, is closed the same way.
    let mut half = connect(&app).await;
    half.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    assert_eq!(read_until_closed(&mut half).await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_that_only_says_hello_is_closed_when_idle() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.idle_timeout_secs = 1)
        .await
        .unwrap();
    let mut stream = connect(&app).await;
    // The client preface and an empty SETTINGS frame, then nothing.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let started = Instant::now();
    read_until_closed(&mut stream).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    // An idle HTTP/1 keep-alive connection too.
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let text = read_until_closed(&mut stream).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_client_address_are_capped() {
    const CAP: usize = 4;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.max_connections_per_ip = CAP)
        .await
        .unwrap();
    // The test's own clients may hold pooled connections from 127.0.0.1 too, so open silent
    // sockets until the server refuses one: an accepted one stays open (its header deadline is
    // 10 s), a refused one is closed at once.
    let mut accepted = Vec::new();
    let mut refused = false;
    for _ in 0..CAP + 2 {
        let mut stream = connect(&app).await;
        let mut byte = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut byte)).await {
            Err(_) => accepted.push(stream),
            Ok(_) => {
                refused = true;
                break;
            }
        }
    }
    assert!(refused, "no connection was refused");
    assert!(
        !accepted.is_empty() && accepted.len() <= CAP,
        "{}",
        accepted.len()
    );
    // A closed one frees its slot.
    drop(accepted.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = connect(&app).await;
    again
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let text = read_until_closed(&mut again).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_have_the_contracts_body_and_a_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for (request, status, code) in [
        (b"NOT A REQUEST\r\n\r\n".to_vec(), 400, "malformed_request"),
        (
            format!(
                "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(600 << 10)
            )
            .into_bytes(),
            431,
            "headers_too_large",
        ),
    ] {
        let mut stream = connect(&app).await;
        let _ = stream.write_all(&request).await;
        let text = read_until_closed(&mut stream).await;
        let (head, body) = text.split_once("\r\n\r\n").expect("a whole response");
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(
            head.to_ascii_lowercase().contains("x-request-id: req_"),
            "{head}"
        );
        let body: ferry_api::ErrorBody = serde_json::from_str(body).expect(body);
        assert_eq!(body.error.code, code);
        assert!(body.error.request_id.starts_with("req_"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_body_that_trickles_in_is_cut_off_and_an_oversized_one_refused_unread() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.server.json_body_timeout_secs = 1)
        .await
        .unwrap();
    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"POST /api/v1/auth/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let trickle = async {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if stream.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .ok();
    let text = read_until_closed(&mut stream).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(9));

    let mut stream = connect(&app).await;
    stream
        .write_all(
            b"POST /api/v1/auth/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000000000\r\n\r\n",
        )
        .await
        .unwrap();
    let text = read_until_closed(&mut stream).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_arrives_below_the_minimum_rate_is_cut_off() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.server.min_body_rate_bytes_per_sec = 10_000;
        c.server.min_body_rate_grace_secs = 1;
    })
    .await
    .unwrap();
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    let up = alice
        .create_upload(&ferry_api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.id.clone(),
            filename: "slow.bin".into(),
            size: 100_000,
            checksum_sha256: None,
            part_size: None,
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    let req = alice.request(reqwest::Method::GET, "/").build().unwrap();
    let auth = req.headers()["authorization"].to_str().unwrap().to_string();
    let mut stream = connect(&app).await;
    let head = format!(
        "PATCH /api/v1/uploads/{}/parts/1 HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
        up.upload_id
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let trickle = async {
        for _ in 0..40 {
            if stream.write_all(&[1u8; 100]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .ok();
    let text = read_until_closed(&mut stream).await;
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("body_read_failed"), "{text}");
    assert!(
        alice
            .get_upload(&up.upload_id)
            .await
            .unwrap()
            .received_parts
            .is_empty()
    );
}

/// The address the audit records for a login from `peer_header` (an `X-Forwarded-For`).
async fn audited_login_ip(app: &TestApp, forwarded_for: &str) -> String {
    let res = app
        .raw(reqwest::Method::POST, "/api/v1/auth/session")
        .header("x-forwarded-for", forwarded_for)
        .json(&serde_json::json!({"login": "admin", "password": crate::helpers::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let page = app
        .admin
        .request(reqwest::Method::GET, "/audit/events?action=auth.login")
        .send()
        .await
        .unwrap()
        .json::<ferry_api::EventList>()
        .await
        .unwrap();
    let event = page
        .events
        .into_iter()
        .find(|e| e.request_id.as_deref() == Some(request_id.as_str()))
        .expect("the login is audited");
    event.ip.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(audited_login_ip(&app, "198.51.100.7").await, "127.0.0.1");
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.server.trusted_proxies = vec!["127.0.0.0/8".into()];
    })
    .await
    .unwrap();
    assert_eq!(
        audited_login_ip(&app, "203.0.113.1, 198.51.100.7").await,
        "198.51.100.7"
    );
    // A bad entry is a startup error, not a silently ignored proxy.
    let mut config = app.config.clone();
    config.server.trusted_proxies = vec!["10.0.0.0/33".into()];
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    let started = ferry_server::Server::start(config).await;
    assert!(started.is_err());
}

/// `Accept-Language` picks the language of an error's `message`; the code, status and
/// request id never change with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_come_in_the_callers_language() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, alice) = app.user("alice", None).await;
    let error = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        let language = res
            .headers()
            .get("content-language")
            .map(|v| v.to_str().unwrap().to_string());
        let body: serde_json::Value = res.json().await.unwrap();
        (status, language, body["error"].clone())
    };
    let missing = |lang: Option<&'static str>| {
        let mut req = alice.request(reqwest::Method::GET, "/files/fil_000000000000000000000000");
        if let Some(lang) = lang {
            req = req.header("accept-language", lang);
        }
        req.send()
    };
    let (status, language, body) = error(missing(None).await.unwrap()).await;
    assert_eq!((status, language.as_deref()), (404, Some("en")));
    assert_eq!(body["message"], "Not found.");
    for german in ["de", "de-CH", "fr;q=0.9, de;q=0.8, en;q=0.1"] {
        let (status, language, body) = error(missing(Some(german)).await.unwrap()).await;
        assert_eq!((status, language.as_deref()), (404, Some("de")), "{german}");
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["message"], "Nicht gefunden.");
        assert!(body["request_id"].as_str().unwrap().starts_with("req_"));
    }
    for english in ["en-GB", "fr", "de;q=0, en", "x;;q=z"] {
        let (_, language, body) = error(missing(Some(english)).await.unwrap()).await;
        assert_eq!(language.as_deref(), Some("en"), "{english}");
        assert_eq!(body["message"], "Not found.", "{english}");
    }
    // A field error keeps its field and code; a wrong login, an unknown route too.
    let res = app
        .raw(reqwest::Method::POST, "/api/v1/auth/session")
        .header("accept-language", "de")
        .json(&serde_json::json!({"login": "alice", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = error(res).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "invalid_credentials");
    assert_eq!(
        body["message"],
        "Falscher Benutzername oder falsches Passwort."
    );
    let res = alice
        .request(reqwest::Method::POST, "/folders")
        .header("accept-language", "de")
        .json(&serde_json::json!({"name": "a/b"}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = error(res).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_name");
    assert_eq!(body["field"], "name");
    assert_eq!(body["message"], "Der Name ist ungültig.");
    let res = app
        .raw(reqwest::Method::GET, "/api/v1/no-such-route")
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    let (status, _, body) = error(res).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (404, Some("Nicht gefunden."))
    );
}
