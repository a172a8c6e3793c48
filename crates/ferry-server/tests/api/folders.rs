//! Folders: creation and its `400`s, visibility to other users, listing with quota, and paging
//! of a folder's files.

use ferry_api as api;
use ferry_client::{Client, ClientError};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::on_both_backends;

on_both_backends!(
    create_folder_returns_the_folder,
    same_name_twice_is_a_conflict,
    bad_names_are_refused,
    bad_retention_and_visibility_are_invalid_values,
    malformed_bodies_get_precise_errors,
    json_with_trailing_garbage_is_malformed,
    invalid_json_is_malformed_even_when_a_value_has_the_wrong_type,
    other_users_folders_are_not_found,
    unknown_folder_ids_are_not_found,
    list_shows_only_own_folders,
    include_quota_shows_each_folders_use,
    files_list_pages_by_name,
);

async fn post_folder_raw(
    client: &Client,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Result<api::Folder, ClientError> {
    let res = client
        .request(Method::POST, "/folders")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    parse(res).await
}

async fn post_folder(client: &Client, body: serde_json::Value) -> Result<api::Folder, ClientError> {
    post_folder_raw(client, "application/json", body.to_string()).await
}

async fn create_folder_returns_the_folder(app: TestApp) {
    let (alice, client) = app.user("alice", None).await;
    let res = client
        .request(Method::POST, "/folders")
        .json(&json!({"name": "Partner deliveries", "retention_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let folder: api::Folder = parse(res).await.unwrap();
    assert!(folder.id.starts_with("fld_"), "{}", folder.id);
    assert_eq!(location, format!("/api/v1/folders/{}", folder.id));
    assert_eq!(folder.name, "Partner deliveries");
    assert_eq!(folder.visibility, "private");
    assert_eq!(folder.retention_days, 30);
    assert_eq!(
        (folder.owner.id.as_str(), folder.owner.login.as_str()),
        (alice.id.as_str(), "alice")
    );
    assert_eq!(folder.permissions, ["read", "write", "share", "manage"]);
    assert!(folder.quota.is_none());
    assert!(folder.created_at.ends_with('Z'));

    let got = client.get_folder(&folder.id).await.unwrap();
    assert_eq!(
        (got.id, got.name, got.retention_days),
        (folder.id, folder.name, 30)
    );

    // Defaults: retention 0, private; "private" may be given explicitly.
    let plain = post_folder(&client, json!({"name": "plain"}))
        .await
        .unwrap();
    assert_eq!(
        (plain.retention_days, plain.visibility.as_str()),
        (0, "private")
    );
    let explicit = post_folder(
        &client,
        json!({"name": "explicit", "visibility": "private", "retention_days": 3650}),
    )
    .await
    .unwrap();
    assert_eq!(explicit.retention_days, 3650);
    // Unknown fields are ignored.
    let extra = post_folder(
        &client,
        json!({"name": "extra", "colour": "blue", "nested": {"a": [1, 2]}}),
    )
    .await
    .unwrap();
    assert_eq!(extra.name, "extra");
}

async fn same_name_twice_is_a_conflict(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    alice.create_folder("Reports", 0).await.unwrap();
    assert_api_error(
        alice.create_folder("Reports", 7).await,
        409,
        "name_conflict",
    );
    // Another owner may use the same name; names are unique without regard to case.
    bob.create_folder("Reports", 0).await.unwrap();
    assert_api_error(
        alice.create_folder("REPORTS", 0).await,
        409,
        "name_conflict",
    );
    alice.create_folder("Reports 2", 0).await.unwrap();
    assert_eq!(alice.list_folders(false).await.unwrap().folders.len(), 2);
}

async fn bad_names_are_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let too_long = "x".repeat(256);
    let too_long_unicode = "é".repeat(128); // 256 bytes
    for name in [
        "",
        too_long.as_str(),
        too_long_unicode.as_str(),
        "a/b",
        "a\\b",
        "nul\u{0}",
        "tab\t",
        "line\nbreak",
        ".",
        "..",
        " leading",
        "trailing ",
        "invoice\u{202E}gnp.exe",
        "zero\u{200B}width",
        "bom\u{FEFF}",
    ] {
        let err = assert_field_error(
            post_folder(&alice, json!({ "name": name })).await,
            400,
            "invalid_name",
            "name",
        );
        assert!(!err.error.message.is_empty());
    }
    assert!(alice.list_folders(false).await.unwrap().folders.is_empty());

    // 255 bytes of UTF-8 are fine, and come back unchanged.
    let unicode = format!("{}a", "é".repeat(127));
    assert_eq!(unicode.len(), 255);
    let folder = alice.create_folder(&unicode, 0).await.unwrap();
    assert_eq!(folder.name, unicode);
    assert_eq!(alice.get_folder(&folder.id).await.unwrap().name, unicode);
    let emoji = "📦 Übergabe — 交付";
    assert_eq!(alice.create_folder(emoji, 0).await.unwrap().name, emoji);
}

async fn bad_retention_and_visibility_are_invalid_values(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for days in [-1, 3651, i64::MIN, i64::MAX] {
        assert_field_error(
            post_folder(&alice, json!({"name": "f", "retention_days": days})).await,
            400,
            "invalid_value",
            "retention_days",
        );
    }
    for visibility in ["public", "", "PRIVATE"] {
        assert_field_error(
            post_folder(&alice, json!({"name": "f", "visibility": visibility})).await,
            400,
            "invalid_value",
            "visibility",
        );
    }
    assert!(alice.list_folders(false).await.unwrap().folders.is_empty());
}

async fn malformed_bodies_get_precise_errors(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for body in ["{\"name\": ", "{name: 'x'}", "", "{\"name\":"] {
        assert_api_error(
            post_folder_raw(&alice, "application/json", body).await,
            400,
            "malformed_json",
        );
    }
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        assert_api_error(
            post_folder_raw(&alice, content_type, r#"{"name":"f"}"#).await,
            400,
            "unsupported_content_type",
        );
    }
    // No Content-Type at all.
    let res = alice
        .request(Method::POST, "/folders")
        .body(r#"{"name":"f"}"#)
        .send()
        .await
        .unwrap();
    assert_api_error(
        parse::<api::Folder>(res).await,
        400,
        "unsupported_content_type",
    );
    // A charset parameter is fine.
    post_folder_raw(
        &alice,
        "application/json; charset=utf-8",
        r#"{"name":"charset"}"#,
    )
    .await
    .unwrap();

    assert_field_error(
        post_folder(&alice, json!({})).await,
        400,
        "missing_field",
        "name",
    );
    assert_field_error(
        post_folder(&alice, json!({"retention_days": 3})).await,
        400,
        "missing_field",
        "name",
    );
    assert_field_error(
        post_folder(&alice, json!({"name": 42})).await,
        400,
        "invalid_field",
        "name",
    );
    assert_field_error(
        post_folder(&alice, json!({"name": null})).await,
        400,
        "invalid_field",
        "name",
    );
    assert_field_error(
        post_folder(&alice, json!({"name": "f", "retention_days": "3"})).await,
        400,
        "invalid_field",
        "retention_days",
    );
    assert_api_error(
        post_folder(&alice, json!("just a string")).await,
        400,
        "invalid_field",
    );

    // Bodies up to `limits.max_json_bytes` (1 MiB) are read; one byte more is refused.
    let limit = app.config.limits.max_json_bytes;
    assert_eq!(limit, 1 << 20);
    let padded = |name: &str, len: usize| {
        let head = format!(r#"{{"name":"{name}","pad":""#);
        let pad = "a".repeat(len - head.len() - 2);
        format!("{head}{pad}\"}}")
    };
    let at_limit = padded("at-limit", limit);
    assert_eq!(at_limit.len(), limit);
    post_folder_raw(&alice, "application/json", at_limit)
        .await
        .unwrap();
    // The server answers 413 before reading the whole body and then drops the connection, so
    // this goes through a client of its own, whose pool nothing else shares (see
    // `files::early_upload_errors_close_the_connection_cleanly`).
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    let lone_alice = Client::new(&app.url).with_token(session.access_token);
    let over = padded("over-limit", limit + 1);
    assert_api_error(
        post_folder_raw(&lone_alice, "application/json", over).await,
        413,
        "payload_too_large",
    );

    let names: Vec<_> = alice
        .list_folders(false)
        .await
        .unwrap()
        .folders
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["at-limit", "charset"]);
}

async fn other_users_folders_are_not_found(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let folder = alice.create_folder("private stuff", 0).await.unwrap();
    alice
        .upload(&folder.id, "secret.txt", b"secret".to_vec())
        .await
        .unwrap();
    let blobs = app.blob_files().await;

    assert_api_error(bob.get_folder(&folder.id).await, 404, "not_found");
    assert_api_error(
        bob.list_files(&folder.id, None, None).await,
        404,
        "not_found",
    );
    assert_api_error(
        bob.upload(&folder.id, "intruder.txt", b"not yours".to_vec())
            .await,
        404,
        "not_found",
    );
    // Chunked, without a Content-Length. The server answers before reading the body and closes
    // the connection, so the client may see the connection drop instead of the 404; either way
    // nothing is stored.
    // A client of its own, so a dropped connection cannot reach the shared pool (see
    // `files::early_upload_errors_close_the_connection_cleanly`).
    let session = app.anon.login("bob", "password-bob").await.unwrap();
    let lone_bob = Client::new(&app.url).with_token(session.access_token);
    let chunks = futures::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![9u8; 1000])));
    match lone_bob
        .upload(
            &folder.id,
            "intruder.bin",
            reqwest::Body::wrap_stream(chunks),
        )
        .await
    {
        Err(ClientError::Http(e)) => eprintln!("connection closed before the 404 was read: {e}"),
        other => {
            assert_api_error(other, 404, "not_found");
        }
    }
    assert_eq!(app.blob_files().await, blobs, "nothing stored");
    assert_eq!(app.staging_files(), 0);
    let files = alice
        .list_files(&folder.id, None, None)
        .await
        .unwrap()
        .files;
    assert_eq!(files.len(), 1);
    assert_eq!(bob.me().await.unwrap().quota.used_bytes, 0);

    // Admins see every folder, with every permission.
    let by_admin = app.admin.get_folder(&folder.id).await.unwrap();
    assert_eq!(by_admin.permissions, ["read", "write", "share", "manage"]);
    assert_eq!(by_admin.owner.login, "alice");
}

async fn unknown_folder_ids_are_not_found(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for id in [
        "fld_0123456789abcdef01234567",
        "usr_0123456789abcdef01234567",
        "fld_",
        "FLD_00",
        "..%2Fetc",
    ] {
        assert_api_error(alice.get_folder(id).await, 404, "not_found");
        assert_api_error(alice.list_files(id, None, None).await, 404, "not_found");
        assert_api_error(
            alice.upload(id, "a.txt", b"a".to_vec()).await,
            404,
            "not_found",
        );
    }
    assert_eq!(app.blob_files().await, 0);
}

async fn list_shows_only_own_folders(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    for name in ["b-alice", "a-alice", "c-alice"] {
        alice.create_folder(name, 0).await.unwrap();
    }
    bob.create_folder("bob's", 0).await.unwrap();

    let listed = alice.list_folders(false).await.unwrap();
    let names: Vec<_> = listed.folders.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["a-alice", "b-alice", "c-alice"],
        "own folders only, by name"
    );
    assert!(listed.next_cursor.is_none());
    assert!(
        listed
            .folders
            .iter()
            .all(|f| f.owner.login == "alice" && f.quota.is_none())
    );
    let bobs = bob.list_folders(false).await.unwrap();
    assert_eq!(bobs.folders.len(), 1);
    assert_eq!(bobs.folders[0].name, "bob's");
    let (_, carol) = app.user("carol", None).await;
    assert!(carol.list_folders(false).await.unwrap().folders.is_empty());

    // Folder lists page too.
    let res = alice
        .request(Method::GET, "/folders?limit=2")
        .send()
        .await
        .unwrap();
    let first: api::FolderList = parse(res).await.unwrap();
    assert_eq!(first.folders.len(), 2);
    let cursor = first.next_cursor.expect("a second page");
    let res = alice
        .request(Method::GET, &format!("/folders?limit=2&cursor={cursor}"))
        .send()
        .await
        .unwrap();
    let second: api::FolderList = parse(res).await.unwrap();
    assert_eq!(second.folders.len(), 1);
    assert_eq!(second.folders[0].name, "c-alice");
    assert!(second.next_cursor.is_none());
}

async fn include_quota_shows_each_folders_use(app: TestApp) {
    let (_, alice) = app.user("alice", Some(10_000)).await;
    let (_, bob) = app.user("bob", None).await;
    let a = alice.create_folder("a", 0).await.unwrap();
    let b = alice.create_folder("b", 0).await.unwrap();
    let empty = alice.create_folder("c-empty", 0).await.unwrap();
    alice
        .upload(&a.id, "one.bin", vec![1u8; 100])
        .await
        .unwrap();
    alice
        .upload(&a.id, "two.bin", vec![2u8; 250])
        .await
        .unwrap();
    alice
        .upload(&b.id, "three.bin", vec![3u8; 7])
        .await
        .unwrap();
    let bobs = bob.create_folder("bob", 0).await.unwrap();
    bob.upload(&bobs.id, "x.bin", vec![4u8; 42]).await.unwrap();

    let listed = alice.list_folders(true).await.unwrap();
    let quotas: Vec<_> = listed
        .folders
        .iter()
        .map(|f| (f.name.as_str(), f.quota.clone()))
        .collect();
    let q = |used| {
        Some(api::Quota {
            limit_bytes: Some(10_000),
            used_bytes: used,
        })
    };
    assert_eq!(quotas, [("a", q(350)), ("b", q(7)), ("c-empty", q(0))]);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 357);

    let bob_list = bob.list_folders(true).await.unwrap();
    assert_eq!(
        bob_list.folders[0].quota,
        Some(api::Quota {
            limit_bytes: None,
            used_bytes: 42
        })
    );

    // Without the flag (or with false) there is no `quota` key at all.
    for path in ["/folders", "/folders?include_quota=false"] {
        let res = alice.request(Method::GET, path).send().await.unwrap();
        let raw: serde_json::Value = parse(res).await.unwrap();
        assert!(raw["folders"][0].get("quota").is_none(), "{raw}");
    }
    // GET /folders/{id} takes the flag too.
    let res = alice
        .request(
            Method::GET,
            &format!("/folders/{}?include_quota=true", a.id),
        )
        .send()
        .await
        .unwrap();
    let one: api::Folder = parse(res).await.unwrap();
    assert_eq!(one.quota, q(350));
    assert!(alice.get_folder(&empty.id).await.unwrap().quota.is_none());

    for path in [
        "/folders?include_quota=maybe".to_string(),
        "/folders?include_quota=".to_string(),
        format!("/folders/{}?include_quota=maybe", a.id),
    ] {
        let res = alice.request(Method::GET, &path).send().await.unwrap();
        assert_field_error(
            parse::<serde_json::Value>(res).await,
            400,
            "invalid_query",
            "include_quota",
        );
    }
}

async fn files_list_pages_by_name(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    for name in ["e.txt", "a.txt", "c.txt", "b.txt", "d.txt"] {
        alice
            .upload(&folder.id, name, name.as_bytes().to_vec())
            .await
            .unwrap();
    }
    let all = alice.list_files(&folder.id, None, None).await.unwrap();
    let names: Vec<_> = all.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]);
    assert!(all.next_cursor.is_none());

    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = alice
            .list_files(&folder.id, Some(2), cursor.as_deref())
            .await
            .unwrap();
        pages.push(
            page.files
                .iter()
                .map(|f| f.name.clone())
                .collect::<Vec<_>>(),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages.len() <= 3, "paging does not end");
    }
    assert_eq!(
        pages,
        [
            vec!["a.txt", "b.txt"],
            vec!["c.txt", "d.txt"],
            vec!["e.txt"]
        ]
    );

    // A page exactly as long as the rest says there is nothing more.
    let exact = alice.list_files(&folder.id, Some(5), None).await.unwrap();
    assert_eq!(exact.files.len(), 5);
    assert!(exact.next_cursor.is_none());

    for limit in [0, 1001] {
        assert_field_error(
            alice.list_files(&folder.id, Some(limit), None).await,
            400,
            "invalid_value",
            "limit",
        );
    }
    assert_field_error(
        alice.list_files(&folder.id, None, Some("garbage")).await,
        400,
        "invalid_cursor",
        "cursor",
    );
}

/// A body that is not JSON at all is `malformed_json`, even when the parser meets a value of
/// the wrong type before it meets the syntax error.
async fn invalid_json_is_malformed_even_when_a_value_has_the_wrong_type(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for body in [
        "{\"name\": 42",
        "{\"name\": 42,",
        "[1,",
        "{\"name\": \"f\", \"retention_days\": \"x\" oops}",
    ] {
        assert_api_error(
            post_folder_raw(&alice, "application/json", body).await,
            400,
            "malformed_json",
        );
    }
    assert!(alice.list_folders(false).await.unwrap().folders.is_empty());
}

/// A JSON value followed by anything but whitespace is not JSON.
async fn json_with_trailing_garbage_is_malformed(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for body in [
        r#"{"name":"a"} trailing"#,
        r#"{"name":"b"}{"name":"c"}"#,
        r#"{"name":"d"},"#,
    ] {
        assert_api_error(
            post_folder_raw(&alice, "application/json", body).await,
            400,
            "malformed_json",
        );
    }
    assert!(
        alice.list_folders(false).await.unwrap().folders.is_empty(),
        "nothing created"
    );
}
