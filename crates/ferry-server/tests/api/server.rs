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
    assert_eq!(app.blob_files(), 0);
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
    assert_eq!(app.blob_files(), 0);
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
