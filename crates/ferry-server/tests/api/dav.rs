//! WebDAV at `/dav/` over a real socket: the caller's tree, uploads as files and versions,
//! deletes into the trash, moves and copies, dead properties and locks in the database, the
//! API's auth, and hostile requests. Real clients (litmus, rclone) are in `dav_clients.rs`.

use std::time::Duration;

use ferry_api as api;
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, sha256_hex};
use crate::on_both_backends;

on_both_backends!(
    a_client_reads_and_writes_its_tree_through_the_api_use_cases,
    basic_bearer_and_token_passwords_with_their_scopes,
    shares_appear_in_the_tree_and_locks_hold_across_users,
    depth_infinity_and_moves_into_themselves_are_refused,
    a_chunked_put_over_quota_stores_nothing,
    xml_bombs_and_odd_paths_are_harmless,
    a_token_restricted_to_a_folder_sees_only_it,
);

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

/// A request to `/dav{path}` as `login` (password `password-<login>`, as `TestApp::user`
/// makes them).
fn dav(app: &TestApp, login: &str, verb: &str, path: &str) -> reqwest::RequestBuilder {
    app.raw(method(verb), &format!("/dav{path}"))
        .basic_auth(login, Some(format!("password-{login}")))
}

async fn status(req: reqwest::RequestBuilder) -> StatusCode {
    req.send().await.unwrap().status()
}

async fn propfind(app: &TestApp, login: &str, path: &str, depth: &str) -> (StatusCode, String) {
    let res = dav(app, login, "PROPFIND", path)
        .header("Depth", depth)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn a_client_reads_and_writes_its_tree_through_the_api_use_cases(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let alice_dav = |verb, path: &str| dav(&app, "alice", verb, path);

    let options = alice_dav("OPTIONS", "/").send().await.unwrap();
    assert_eq!(options.headers()["dav"].to_str().unwrap(), "1, 2");

    // MKCOL makes folders (a top-level one, then a subfolder); the root holds no files.
    assert_eq!(
        status(alice_dav("MKCOL", "/Reports")).await,
        StatusCode::CREATED
    );
    assert_eq!(
        status(alice_dav("MKCOL", "/Reports/2026")).await,
        StatusCode::CREATED
    );
    assert_eq!(
        status(alice_dav("MKCOL", "/Reports")).await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        status(alice_dav("PUT", "/loose.txt").body("x")).await,
        StatusCode::FORBIDDEN
    );

    // PUT uploads a file the API sees, with its SHA-256; a PUT over it is a new version.
    let first = b"first version of the report".to_vec();
    assert_eq!(
        status(alice_dav("PUT", "/Reports/2026/q1.txt").body(first.clone())).await,
        StatusCode::CREATED
    );
    let found = alice.resolve("/Reports/2026/q1.txt").await.unwrap();
    let file = found.file.expect("a file");
    assert_eq!(file.checksum_sha256, sha256_hex(&first));
    let second = b"second, longer version of the report".to_vec();
    assert_eq!(
        status(alice_dav("PUT", "/Reports/2026/q1.txt").body(second.clone())).await,
        StatusCode::NO_CONTENT
    );
    let file = alice.get_file(&file.id).await.unwrap();
    assert_eq!((file.version, file.size), (2, second.len() as i64));
    assert_eq!(file.checksum_sha256, sha256_hex(&second));
    let versions = alice.versions(&file.id, None, None).await.unwrap();
    assert_eq!(versions.versions.len(), 2);

    // GET with a Range, and HEAD; the ETag is the API's ETag of the file.
    let api_etag = app
        .raw(Method::GET, &format!("/api/v1/files/{}", file.id))
        .basic_auth("alice", Some("password-alice"))
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let res = alice_dav("GET", "/Reports/2026/q1.txt")
        .header("Range", "bytes=0-5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.headers()["etag"].to_str().unwrap(), api_etag);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &second[..6]);
    let res = alice_dav("HEAD", "/Reports/2026/q1.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-length"].to_str().unwrap(),
        second.len().to_string()
    );

    // PROPFIND lists the folder with getetag and the quota properties.
    let (s, body) = propfind(&app, "alice", "/Reports/2026/", "1").await;
    assert_eq!(s, StatusCode::MULTI_STATUS);
    assert!(body.contains("/dav/Reports/2026/q1.txt"), "{body}");
    assert!(
        body.contains(&format!(
            "<D:getetag>{}</D:getetag>",
            api_etag.trim_matches('"')
        )),
        "{body}"
    );
    let res = dav(&app, "alice", "PROPFIND", "/")
        .header("Depth", "0")
        .body(
            r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>
            <D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>"#,
        )
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains("quota-used-bytes"), "{body}");

    // MOVE renames (the same file id), COPY makes a new file, with Overwrite rules.
    let moved = alice_dav("MOVE", "/Reports/2026/q1.txt")
        .header("Destination", "/dav/Reports/q1-final.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::CREATED);
    let after = alice.resolve("/Reports/q1-final.txt").await.unwrap();
    assert_eq!(after.file.unwrap().id, file.id);
    let copied = alice_dav("COPY", "/Reports/q1-final.txt")
        .header("Destination", "/dav/Reports/2026/copy.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(copied.status(), StatusCode::CREATED);
    let refused = alice_dav("COPY", "/Reports/q1-final.txt")
        .header("Destination", "/dav/Reports/2026/copy.txt")
        .header("Overwrite", "F")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::PRECONDITION_FAILED);

    // DELETE of a folder puts it into the trash as one item, restorable.
    assert_eq!(
        status(alice_dav("DELETE", "/Reports/2026/")).await,
        StatusCode::NO_CONTENT
    );
    let trash = alice.trash(None, None).await.unwrap();
    assert_eq!(trash.items.len(), 1, "{trash:?}");
    assert_eq!(
        (trash.items[0].kind.as_str(), trash.items[0].name.as_str()),
        ("folder", "2026")
    );
    let (s, _) = propfind(&app, "alice", "/Reports/2026/", "0").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Each of those was audited as the API's own calls are, with the file's id.
    let events = app
        .admin
        .audit_events(&[("limit", "1000")])
        .await
        .unwrap()
        .events;
    for action in [
        "upload.completed",
        "file.version_created",
        "file.downloaded",
        "file.moved",
        "folder.deleted",
    ] {
        assert!(
            events.iter().any(|e| e.action == action),
            "no {action} among {:?}",
            events.iter().map(|e| &e.action).collect::<Vec<_>>()
        );
    }
    assert!(
        events
            .iter()
            .any(|e| e.action == "file.downloaded" && e.target.id == file.id)
    );

    // PROPPATCH stores a dead property in the database.
    let res = alice_dav("PROPPATCH", "/Reports/q1-final.txt")
        .body(
            r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:F="urn:ferry:test">
            <D:set><D:prop><F:colour>blue</F:colour></D:prop></D:set></D:propertyupdate>"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::MULTI_STATUS);
    let res = alice_dav("PROPFIND", "/Reports/q1-final.txt")
        .header("Depth", "0")
        .body(
            r#"<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:F="urn:ferry:test">
            <D:prop><F:colour/></D:prop></D:propfind>"#,
        )
        .send()
        .await
        .unwrap();
    let body = res.text().await.unwrap();
    assert!(body.contains("blue"), "{body}");
}

async fn basic_bearer_and_token_passwords_with_their_scopes(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    alice.create_folder("Docs", 0).await.unwrap();

    // No credentials: 401 asking for Basic.
    let res = app.raw(method("PROPFIND"), "/dav/").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()["www-authenticate"].to_str().unwrap(),
        "Basic realm=\"Ferry\""
    );
    let wrong = app
        .raw(method("PROPFIND"), "/dav/")
        .basic_auth("alice", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    // An API token as the Basic password, and as a bearer token; a read-only one reads.
    let token = |scopes: &[&str]| api::CreateToken {
        name: format!("dav {scopes:?}"),
        kind: "api".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        folder_id: None,
        expires_at: None,
    };
    let read = alice.create_token(&token(&["read"])).await.unwrap();
    let write = alice
        .create_token(&token(&["read", "write"]))
        .await
        .unwrap();
    let as_basic = |secret: &str, verb: &str, path: &str| {
        app.raw(method(verb), &format!("/dav{path}"))
            .basic_auth("alice", Some(secret.to_string()))
            .header("Depth", "1")
    };
    assert_eq!(
        status(as_basic(&read.secret, "PROPFIND", "/")).await,
        StatusCode::MULTI_STATUS
    );
    assert_eq!(
        status(as_basic(&read.secret, "MKCOL", "/Docs/new")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(as_basic(&write.secret, "MKCOL", "/Docs/new")).await,
        StatusCode::CREATED
    );
    // Someone else's login with alice's token is no login.
    assert_eq!(
        status(
            app.raw(method("PROPFIND"), "/dav/")
                .basic_auth("admin", Some(read.secret.clone()))
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    let bearer = app
        .raw(method("PROPFIND"), "/dav/Docs/")
        .bearer_auth(&read.secret)
        .header("Depth", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::MULTI_STATUS);
    assert!(bearer.text().await.unwrap().contains("/dav/Docs/new/"));
    assert_eq!(
        status(
            app.raw(Method::PUT, "/dav/Docs/x.txt")
                .bearer_auth(&read.secret)
                .body("x")
        )
        .await,
        StatusCode::FORBIDDEN
    );
}

async fn shares_appear_in_the_tree_and_locks_hold_across_users(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let (_, _carol) = app.user("carol", None).await;
    let team = alice.create_folder("Team", 0).await.unwrap();
    alice
        .upload(&team.id, "plan.txt", b"the plan".to_vec())
        .await
        .unwrap();
    let invitation = alice
        .invite(
            &team.id,
            &api::CreateCollaboration {
                user: Some("bob".into()),
                role: "editor".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    bob.accept_invitation(&invitation.id, None).await.unwrap();

    // Bob sees the share in his root; carol sees nothing of alice's (a foreign path is 404).
    let (_, body) = propfind(&app, "bob", "/", "1").await;
    assert!(body.contains("/dav/Team/"), "{body}");
    let (s, _) = propfind(&app, "carol", "/Team/", "0").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        status(dav(&app, "carol", "GET", "/Team/plan.txt")).await,
        StatusCode::NOT_FOUND
    );

    // Alice locks the file; bob (who may write) is refused with 423 until she unlocks.
    let res = dav(&app, "alice", "LOCK", "/Team/plan.txt")
        .header("Timeout", "Second-600")
        .body(
            r#"<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">
            <D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>
            <D:owner>alice</D:owner></D:lockinfo>"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.headers()["lock-token"].to_str().unwrap().to_string();
    assert_eq!(
        status(dav(&app, "bob", "PUT", "/Team/plan.txt").body("bob's plan")).await,
        StatusCode::LOCKED
    );
    assert_eq!(
        status(dav(&app, "bob", "DELETE", "/Team/plan.txt")).await,
        StatusCode::LOCKED
    );
    let relock = dav(&app, "bob", "LOCK", "/Team/plan.txt")
        .body(
            r#"<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">
            <D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>
            </D:lockinfo>"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(relock.status(), StatusCode::LOCKED);
    // Bob cannot use alice's token as his own.
    assert_eq!(
        status(
            dav(&app, "bob", "PUT", "/Team/plan.txt")
                .header("If", format!("({token})"))
                .body("bob's plan")
        )
        .await,
        StatusCode::LOCKED
    );
    // Alice, with her token, writes; then unlocks, and bob may write.
    assert_eq!(
        status(
            dav(&app, "alice", "PUT", "/Team/plan.txt")
                .header("If", format!("({token})"))
                .body("alice's plan")
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(dav(&app, "alice", "UNLOCK", "/Team/plan.txt").header("Lock-Token", &token)).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(dav(&app, "bob", "PUT", "/Team/plan.txt").body("bob's plan")).await,
        StatusCode::NO_CONTENT
    );
}

async fn depth_infinity_and_moves_into_themselves_are_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Big", 0).await.unwrap();
    let mut parent = top.id.clone();
    for i in 0..5 {
        parent = alice
            .create_folder_in(Some(&parent), &format!("level{i}"))
            .await
            .unwrap()
            .id;
        alice.upload(&parent, "f.txt", b"x".to_vec()).await.unwrap();
    }

    let res = dav(&app, "alice", "PROPFIND", "/Big/")
        .header("Depth", "infinity")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("propfind-finite-depth"));
    // Litmus's header does not get the tree walked either.
    let res = dav(&app, "alice", "PROPFIND", "/Big/")
        .header("Depth", "Infinity")
        .header("X-Litmus", "props: 1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let onto_itself = dav(&app, "alice", "MOVE", "/Big/level0/")
        .header("Destination", "/dav/Big/level0/")
        .send()
        .await
        .unwrap();
    assert_eq!(onto_itself.status(), StatusCode::FORBIDDEN);
    let into_child = dav(&app, "alice", "MOVE", "/Big/level0/")
        .header("Destination", "/dav/Big/level0/level1/moved/")
        .send()
        .await
        .unwrap();
    assert!(
        into_child.status().is_client_error() || into_child.status() == StatusCode::MULTI_STATUS,
        "{}",
        into_child.status()
    );
    // Nothing moved: the tree is as it was.
    alice
        .resolve("/Big/level0/level1/level2/level3/level4/f.txt")
        .await
        .unwrap();
    assert!(alice.resolve("/Big/level0/level1/moved").await.is_err());
}

async fn a_chunked_put_over_quota_stores_nothing(app: TestApp) {
    let (_, alice) = app.user("alice", Some(10_000)).await;
    alice.create_folder("Small", 0).await.unwrap();
    // No Content-Length: the body streams (chunked) and the quota stops it as it arrives.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![7u8; 1000])).collect();
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let res = dav(&app, "alice", "PUT", "/Small/big.bin")
        .body(body)
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    }
    let (s, _) = propfind(&app, "alice", "/Small/big.bin", "0").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A declared length over the quota is refused before the body.
    let res = dav(&app, "alice", "PUT", "/Small/big2.bin")
        .body(vec![1u8; 20_000])
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    }
    // Within the quota, a chunked PUT works.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..4).map(|_| Ok(vec![7u8; 1000])).collect();
    let res = dav(&app, "alice", "PUT", "/Small/ok.bin")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let file = alice.resolve("/Small/ok.bin").await.unwrap().file.unwrap();
    assert_eq!(file.size, 4000);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(app.staging_files(), 0, "nothing is left in staging");
}

async fn xml_bombs_and_odd_paths_are_harmless(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, _bob) = app.user("bob", None).await;
    alice.create_folder("Private", 0).await.unwrap();
    assert_eq!(
        status(dav(&app, "alice", "PUT", "/Private/secret.txt").body("secret")).await,
        StatusCode::CREATED
    );

    // Entity expansion ("billion laughs") in every body dav-server parses: refused, quickly.
    let bomb = |root: &str| {
        let mut x =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n<!ENTITY a \"aaaaaaaaaa\">\n");
        for i in 1..10 {
            x.push_str(&format!(
                "<!ENTITY {} \"{}\">\n",
                (b'a' + i) as char,
                format!("&{};", (b'a' + i - 1) as char).repeat(10)
            ));
        }
        x.push_str(&format!(
            "]>\n<D:{root} xmlns:D=\"DAV:\"><D:prop><D:x>&j;</D:x></D:prop></D:{root}>"
        ));
        x
    };
    for (verb, root) in [
        ("PROPFIND", "propfind"),
        ("PROPPATCH", "propertyupdate"),
        ("LOCK", "lockinfo"),
    ] {
        let started = std::time::Instant::now();
        let res = dav(&app, "alice", verb, "/Private/secret.txt")
            .header("Depth", "0")
            .body(bomb(root))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_client_error(),
            "{verb} with an entity bomb: {}",
            res.status()
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    // A body over dav-server's 64 KiB limit for XML is refused too.
    let huge = format!(
        "<?xml version=\"1.0\"?><D:propfind xmlns:D=\"DAV:\"><D:prop>{}</D:prop></D:propfind>",
        "<D:getetag/>".repeat(10_000)
    );
    let res = dav(&app, "alice", "PROPFIND", "/Private/")
        .header("Depth", "0")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());

    // `..` (percent-encoded, double-encoded; a plain one the client already resolves) never
    // leaves the caller's tree, and bob
    // cannot reach alice's file by any spelling.
    for path in [
        "/dav/Private/../../etc/passwd",
        "/dav/%2e%2e/%2e%2e/etc/passwd",
        "/dav/Private/%2E%2E/%2E%2E/etc/passwd",
        "/dav/%252e%252e/Private/secret.txt",
        "/dav/Private%2f..%2f..%2fetc%2fpasswd",
    ] {
        let res = app
            .raw(Method::GET, path)
            .basic_auth("bob", Some("password-bob"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
        assert_ne!(res.text().await.unwrap(), "secret", "{path}");
    }
    let res = app
        .raw(Method::GET, "/dav/Private/secret.txt")
        .basic_auth("bob", Some("password-bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A `..` that stays inside the tree resolves as it should.
    let res = dav(&app, "alice", "GET", "/Private/x/../secret.txt")
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == StatusCode::OK || res.status().is_client_error(),
        "{}",
        res.status()
    );

    // Odd Unicode names round-trip (combining marks, right-to-left, emoji, CJK).
    for name in [
        "Cafe\u{301}.txt",
        "\u{5e9}\u{5dc}\u{5d5}\u{5dd}.txt",
        "\u{1f600} smile.txt",
        "\u{6587}\u{4ef6}.txt",
    ] {
        let encoded = percent_encode(name);
        assert_eq!(
            status(
                dav(&app, "alice", "PUT", &format!("/Private/{encoded}")).body(name.to_string())
            )
            .await,
            StatusCode::CREATED,
            "{name}"
        );
        let res = dav(&app, "alice", "GET", &format!("/Private/{encoded}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.text().await.unwrap(), name);
    }
    let (_, body) = propfind(&app, "alice", "/Private/", "1").await;
    assert!(
        body.contains(&percent_encode("\u{1f600} smile.txt")),
        "{body}"
    );
    // Names Ferry refuses (a control character) are refused, not stored.
    assert_eq!(
        status(dav(&app, "alice", "PUT", "/Private/bad%01name.txt").body("x")).await,
        StatusCode::FORBIDDEN
    );
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn a_token_restricted_to_a_folder_sees_only_it(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let clients = alice.create_folder("clients", 0).await.unwrap();
    let acme = alice
        .create_folder_in(Some(&clients.id), "acme")
        .await
        .unwrap();
    alice
        .upload(&acme.id, "contract.pdf", "signed")
        .await
        .unwrap();
    let private = alice.create_folder("private", 0).await.unwrap();
    alice
        .upload(&private.id, "diary.txt", "dear diary")
        .await
        .unwrap();
    let issued = alice
        .create_token(&api::CreateToken {
            name: "acme mount".into(),
            kind: "device".into(),
            scopes: vec!["read".into(), "write".into()],
            folder_id: Some(acme.id.clone()),
            expires_at: None,
        })
        .await
        .unwrap();
    let as_token = |verb: &str, path: &str| {
        app.raw(method(verb), &format!("/dav{path}"))
            .basic_auth("alice", Some(&issued.secret))
    };

    // The root holds the folder alone, by its own name.
    let res = as_token("PROPFIND", "/")
        .header("Depth", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::MULTI_STATUS);
    let body = res.text().await.unwrap();
    assert!(body.contains("/dav/acme/"), "{body}");
    assert!(
        !body.contains("clients") && !body.contains("private"),
        "{body}"
    );
    let res = as_token("GET", "/acme/contract.pdf").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "signed");
    assert_eq!(
        as_token("PUT", "/acme/new.txt")
            .body("new")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    // Nothing else can be reached or made.
    for path in [
        "/private/diary.txt",
        "/private/",
        "/clients/",
        "/clients/acme/contract.pdf",
    ] {
        assert_eq!(
            as_token("GET", path).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_ne!(
        as_token("MKCOL", "/escape").send().await.unwrap().status(),
        StatusCode::CREATED
    );
}
