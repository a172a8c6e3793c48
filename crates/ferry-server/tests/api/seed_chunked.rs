//! Seed 003's chunked upload: its own request (`curl` as the seed writes it, only the host,
//! the folder id and the credentials changed), chunks in order to the returned location,
//! progress after each, `201` with the file on the last byte; the seed's `asc_auth_key`
//! cookie, Basic and bearer; refusals.

use ferry_api as api;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, sha256_hex};
use crate::on_both_backends;

on_both_backends!(
    the_seeds_chunked_upload_works_with_only_the_host_changed,
    chunked_sessions_refuse_what_they_cannot_do,
);

/// The seed's curl command, verbatim but for the URL and the credentials (`auth` are curl
/// arguments), with `body` as its `--data`; the status and the JSON answer.
fn seed_curl(url: &str, auth: &[&str], body: &str) -> (u16, Value) {
    let out = std::process::Command::new("curl")
        .args(["--silent", "--write-out", "\n%{http_code}"])
        .args(["--request", "POST", "--url", url])
        .args(["--header", "Accept: application/json"])
        .args(["--header", "Content-Type: application/json"])
        .args(auth)
        .args(["--data", body])
        .output()
        .expect("curl runs");
    let text = String::from_utf8(out.stdout).unwrap();
    let (json, status) = text.rsplit_once('\n').unwrap();
    (
        status.trim().parse().unwrap(),
        serde_json::from_str(json).unwrap_or(Value::Null),
    )
}

/// The seed's example body, with `encrypted` as given.
fn seed_body(encrypted: bool) -> String {
    format!(
        r#"{{
"fileName": "some text",
"fileSize": 1234,
"relativePath": "some text",
"createOn": {{
"utcTime": "2008-04-10T06:30:00.0000000+04:00",
"timeZoneOffset": "00:00:00"
}},
"encrypted": {encrypted},
"createNewIfExist": true
}}"#
    )
}

async fn the_seeds_chunked_upload_works_with_only_the_host_changed(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("Incoming", 0).await.unwrap();
    let token = alice
        .create_token(&api::CreateToken {
            name: "script".into(),
            kind: "api".into(),
            scopes: vec!["read".into(), "write".into()],
            folder_id: None,
            expires_at: None,
        })
        .await
        .unwrap()
        .secret;
    let create = format!(
        "{}/api/2.0/files/{}/upload/create_session",
        app.url, folder.id
    );
    let cookie = format!("asc_auth_key={token}");

    // The seed's request exactly: it asks for encryption, which Ferry says it cannot do.
    let (status, body) = tokio::task::block_in_place(|| {
        seed_curl(&create, &["--cookie", &cookie], &seed_body(true))
    });
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "encryption_unsupported");
    assert_eq!(body["error"]["field"], "encrypted");

    // Without encryption: a session, 1234 bytes, in the seed's subfolder.
    let (status, body) = tokio::task::block_in_place(|| {
        seed_curl(&create, &["--cookie", &cookie], &seed_body(false))
    });
    assert_eq!(status, 200, "{body}");
    let data = &body["response"]["data"];
    assert_eq!(body["response"]["success"], true);
    assert_eq!(data["bytes_total"], 1234);
    assert_eq!(data["bytes_uploaded"], 0);
    let location = data["location"].as_str().unwrap().to_string();
    assert!(location.starts_with(&app.url), "{location}");

    // Chunks in order (the last may be any size); progress after each, the file at the end.
    let content: Vec<u8> = (0..1234u32).map(|i| (i % 251) as u8).collect();
    let chunks = [&content[..512], &content[512..1024], &content[1024..]];
    let http = reqwest::Client::new();
    for (i, piece) in chunks.iter().enumerate() {
        let res = http
            .post(&location)
            .header("Cookie", &cookie)
            .body(piece.to_vec())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["success"], true, "{body}");
        if i < 2 {
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["data"]["bytes_uploaded"], 512 * (i as i64 + 1));
            assert_eq!(body["data"]["uploaded"], false);
        } else {
            assert_eq!(status, 201, "{body}");
            let data = &body["data"];
            assert_eq!(data["uploaded"], true);
            assert_eq!(data["title"], "some text");
            assert_eq!(data["pureContentLength"], 1234);
            assert_eq!(data["path"], "/Incoming/some text/some text");
            assert_eq!(data["checksum_sha256"], sha256_hex(&content));
            let file = alice.get_file(data["id"].as_str().unwrap()).await.unwrap();
            assert_eq!(file.size, 1234);
            assert_eq!(file.path, "/Incoming/some text/some text");
            assert_eq!(
                file.client_modified_at.as_deref(),
                Some("2008-04-10T02:30:00Z"),
                "createOn.utcTime is kept"
            );
            let got = alice.download(&file.id, &[]).await.unwrap();
            assert_eq!(got.body.as_ref(), content.as_slice());
        }
    }

    // The same, as a form's file field, with Basic auth; createNewIfExist=false makes a new
    // version of the same file.
    let body = json!({"fileName": "some text", "fileSize": 3, "relativePath": "some text",
        "createNewIfExist": false, "encrypted": false})
    .to_string();
    let (status, session) = tokio::task::block_in_place(|| {
        seed_curl(&create, &["--user", "alice:password-alice"], &body)
    });
    assert_eq!(status, 200, "{session}");
    let location = session["response"]["data"]["location"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let blob = dir.path().join("blob");
    std::fs::write(&blob, b"new").unwrap();
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new("curl")
            .args([
                "--silent",
                "--write-out",
                "\n%{http_code}",
                "--user",
                "alice:password-alice",
            ])
            .args(["--form", &format!("file=@{}", blob.display()), location])
            .output()
            .expect("curl runs")
    });
    let text = String::from_utf8(out.stdout).unwrap();
    let (json, status) = text.rsplit_once('\n').unwrap();
    assert_eq!(status.trim(), "201", "{json}");
    let done: Value = serde_json::from_str(json).unwrap();
    assert_eq!(done["data"]["version"], 2, "{done}");
    assert_eq!(done["data"]["title"], "some text");
}

async fn chunked_sessions_refuse_what_they_cannot_do(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    app.user("bob", None).await;
    let folder = alice.create_folder("Mine", 0).await.unwrap();
    let path = format!("/api/2.0/files/{}/upload/create_session", folder.id);
    let send = |m: Method, p: &str, login: Option<&str>| {
        let mut req = app.raw(m, p);
        if let Some(login) = login {
            req = req.basic_auth(login, Some(format!("password-{login}")));
        }
        req
    };
    // No credentials; a wrong cookie.
    let res = send(Method::POST, &path, None)
        .json(&json!({"fileName": "a", "fileSize": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = send(Method::POST, &path, None)
        .header(
            "Cookie",
            "asc_auth_key=864FE52C-1C1C-469F-9308-51DAFEFE7436",
        )
        .json(&json!({"fileName": "a", "fileSize": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Someone else's folder is not there; bad bodies are 400 with the contract's error.
    let res = send(Method::POST, &path, Some("bob"))
        .json(&json!({"fileName": "a", "fileSize": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    for (body, field) in [
        (json!({"fileSize": 1}), "fileName"),
        (json!({"fileName": "a"}), "fileSize"),
        (json!({"fileName": "a", "fileSize": -1}), "fileSize"),
        (json!({"fileName": "../x", "fileSize": 1}), "filename"),
        (
            json!({"fileName": "a", "fileSize": 1, "createOn": {"utcTime": "yesterday"}}),
            "createOn.utcTime",
        ),
    ] {
        let res = send(Method::POST, &path, Some("alice"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    let res = send(Method::POST, &path, Some("alice"))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // A session: bob cannot send to it; too many bytes are refused and change nothing.
    let res = send(Method::POST, &path, Some("alice"))
        .json(&json!({"fileName": "a.bin", "fileSize": 4}))
        .send()
        .await
        .unwrap();
    let session: Value = res.json().await.unwrap();
    let location = session["response"]["data"]["location"].as_str().unwrap();
    let chunk_path = location.trim_start_matches(&app.url).to_string();
    let res = send(Method::POST, &chunk_path, Some("bob"))
        .body(b"abcd".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = send(Method::POST, &chunk_path, Some("alice"))
        .body(b"abcdef".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = send(Method::POST, &chunk_path, Some("alice"))
        .body(b"ab".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let progress: Value = res.json().await.unwrap();
    assert_eq!(progress["data"]["bytes_uploaded"], 2);
    let res = send(Method::POST, &chunk_path, Some("alice"))
        .body(b"cd".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let done: Value = res.json().await.unwrap();
    // The last chunk sent again (its answer was lost) gets the same file, changing nothing.
    let res = send(Method::POST, &chunk_path, Some("alice"))
        .body(b"cd".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["data"]["id"], done["data"]["id"]);
    let file = alice
        .get_file(done["data"]["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!((file.size, file.version), (4, 1));
    // An unknown session.
    let res = send(
        Method::POST,
        "/api/2.0/files/upload/sessions/upl_nope",
        Some("alice"),
    )
    .body(b"e".to_vec())
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
}
