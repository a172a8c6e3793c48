//! Folder links: anyone holding one lists the folder's live tree and downloads its files one
//! by one or as a zip; each file is counted on its own (`max_downloads × size`), a zip counts
//! once for every file in it, all or nothing, under concurrency too; a ranged or resumed zip
//! pays only for the file bytes it carries; passwords, revocation, what cannot be reached
//! (trash, `..`, other folders), listing in `GET /links` and receipts in the audit.

use std::process::Command;

use ferry_api as api;
use ferry_client::Client;
use reqwest::StatusCode;

use crate::helpers::{TestApp, assert_api_error, sha256_hex};
use crate::on_both_backends;

on_both_backends!(
    a_folder_link_lists_and_serves_its_live_tree,
    each_file_counts_on_its_own_and_a_zip_counts_every_file_once,
    concurrent_zips_deliver_the_budget_exactly_once,
    concurrent_file_downloads_deliver_each_files_budget_exactly,
    a_ranged_or_interrupted_zip_pays_only_for_what_it_carries,
    passwords_revocation_permissions_and_listing,
    a_recipient_saves_a_link_to_their_storage_counted_once,
);

fn link_request(max_downloads: Option<i64>, password: Option<&str>) -> api::CreateLink {
    api::CreateLink {
        expires_in: Some(3600),
        max_downloads,
        watermark: None,
        password: password.map(str::to_string),
        show_location: None,
    }
}

fn content(seed: u32, len: u32) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

/// Alice's folder `Project` with `a.txt`, `Sub/b.bin`, a deleted file and a deleted
/// subfolder, and the contents of the two live files.
async fn project(app: &TestApp) -> (Client, api::Folder, Vec<u8>, Vec<u8>) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder_in(None, "Project").await.unwrap();
    let sub = alice.create_folder_in(Some(&top.id), "Sub").await.unwrap();
    let old = alice.create_folder_in(Some(&top.id), "Old").await.unwrap();
    let a = content(1, 40_000);
    let b = content(2, 150_000);
    alice.upload(&top.id, "a.txt", a.clone()).await.unwrap();
    alice.upload(&sub.id, "b.bin", b.clone()).await.unwrap();
    alice
        .upload(&old.id, "c.txt", b"old".to_vec())
        .await
        .unwrap();
    let gone = alice
        .upload(&top.id, "gone.txt", b"gone".to_vec())
        .await
        .unwrap();
    alice.delete_file(&gone.id).await.unwrap();
    alice.delete_folder(&old.id, false).await.unwrap();
    (alice, top, a, b)
}

fn token(link: &api::Link) -> String {
    ferry_client::link_token(&link.url).to_string()
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.raw(reqwest::Method::GET, path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn items(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    get(
        app,
        &format!("/api/v1/links/{token}/items?path={}", urlencode(path)),
        &[],
    )
    .await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /links` with `query`.
async fn my_links(client: &Client, query: &[(&str, &str)]) -> api::LinkList {
    client
        .request(reqwest::Method::GET, "/links")
        .query(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The link as `GET /links` shows it once `bytes` have been settled (a delivery is settled
/// just after its last byte went out).
async fn settled(client: &Client, link_id: &str, bytes: i64) -> api::Link {
    for _ in 0..200 {
        let listed = my_links(client, &[("kind", "download")]).await;
        let link = listed.links.into_iter().find(|l| l.id == link_id).unwrap();
        if link.bytes_delivered >= bytes {
            return link;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{link_id} never reached {bytes} bytes delivered");
}

async fn error_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: api::ErrorBody = res.json().await.unwrap();
    (status, body.error.code)
}

/// Each entry of a zip with the SHA-256 of its content, as Python's `zipfile` reads it.
fn zip_entries(bytes: &[u8]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, hashlib\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist():\n    print(i.filename + '\\t' + hashlib.sha256(z.read(i)).hexdigest())",
        )
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (name, sha) = l.split_once('\t').unwrap();
            (name.to_string(), sha.to_string())
        })
        .collect()
}

async fn a_folder_link_lists_and_serves_its_live_tree(app: TestApp) {
    let (alice, top, a, b) = project(&app).await;
    let link = alice
        .create_folder_link(&top.id, &link_request(Some(2), None))
        .await
        .unwrap();
    assert_eq!(link.kind, "download");
    assert_eq!(link.folder_id.as_deref(), Some(top.id.as_str()));
    assert!(
        link.url.contains("/s/"),
        "a folder link's URL is its landing page"
    );
    let t = token(&link);

    let info: api::LinkInfo = get(&app, &format!("/api/v1/links/{t}/info"), &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (info.kind.as_str(), info.name.as_str(), info.downloads_left),
        ("folder", "Project", Some(2))
    );

    let root: api::LinkItems = items(&app, &t, "").await.json().await.unwrap();
    assert_eq!(root.path, "");
    let names = |l: &api::LinkItems| {
        (
            l.folders.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
            l.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        names(&root),
        (vec!["Sub".to_string()], vec!["a.txt".to_string()])
    );
    assert_eq!(root.files[0].checksum_sha256, sha256_hex(&a));
    assert_eq!(root.files[0].downloads_left, Some(2));
    let sub: api::LinkItems = items(&app, &t, "sub/").await.json().await.unwrap();
    assert_eq!(names(&sub), (vec![], vec!["Sub/b.bin".to_string()]));

    // The file's URL downloads it, as does its path in any case.
    let res = reqwest::get(&root.files[0].url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), a);
    let res = get(&app, &format!("/d/{t}/SUB/B.BIN"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), b);
    // A range of a file through the folder link.
    let res = get(
        &app,
        &format!("/d/{t}/Sub/b.bin"),
        &[("range", "bytes=10-19")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap().to_vec(), b[10..20].to_vec());

    // Nothing in the trash, above the link's folder, or not a folder, can be named.
    for path in [
        "Old",
        "gone.txt",
        "..",
        "../Project",
        "a.txt",
        "nope",
        "Sub/../..",
    ] {
        assert_eq!(
            error_code(items(&app, &t, path).await).await,
            (404, "not_found".into()),
            "{path}"
        );
    }
    for path in [
        "Old/c.txt",
        "gone.txt",
        "..%2Fa.txt",
        "%2E%2E/Project/a.txt",
        "Sub",
        "Sub/nope",
    ] {
        let res = get(&app, &format!("/d/{t}/{path}"), &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // The zip holds the live tree under the folder's name.
    let res = get(&app, &format!("/d/{t}?format=zip"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    assert_eq!(
        zip_entries(&bytes),
        vec![
            ("Project/".to_string(), sha256_hex(b"")),
            ("Project/a.txt".to_string(), sha256_hex(&a)),
            ("Project/Sub/".to_string(), sha256_hex(b"")),
            ("Project/Sub/b.bin".to_string(), sha256_hex(&b)),
        ]
    );
    assert_eq!(
        error_code(get(&app, &format!("/d/{t}?format=tar"), &[]).await).await,
        (400, "invalid_value".into())
    );
    // A subfolder's zip.
    let res = get(&app, &format!("/d/{t}?path=Sub"), &[]).await;
    let status = res.status();
    let body = res.bytes().await.unwrap();
    // b.bin has had two downloads (one by URL, one in the whole zip; the range was a part):
    // its budget of 2 × size cannot pay for a third.
    assert_eq!(
        status,
        StatusCode::GONE,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let sub: api::LinkItems = items(&app, &t, "Sub").await.json().await.unwrap();
    assert_eq!(sub.files[0].downloads_left, Some(0));
}

async fn each_file_counts_on_its_own_and_a_zip_counts_every_file_once(app: TestApp) {
    let (alice, top, a, b) = project(&app).await;
    let link = alice
        .create_folder_link(&top.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let t = token(&link);
    // a.txt once: its budget is spent, b.bin's is not.
    assert_eq!(
        get(&app, &format!("/d/{t}/a.txt"), &[])
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        a
    );
    assert_eq!(
        error_code(get(&app, &format!("/d/{t}/a.txt"), &[]).await).await,
        (410, "link_exhausted".into())
    );
    // A zip needs one download of every file in it: refused as a whole, nothing taken.
    assert_eq!(
        error_code(get(&app, &format!("/d/{t}"), &[]).await).await,
        (410, "link_exhausted".into())
    );
    // The subfolder's zip only needs b.bin.
    let res = get(&app, &format!("/d/{t}?format=zip&path=Sub"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let zipped = zip_entries(&res.bytes().await.unwrap());
    assert_eq!(zipped[1], ("Sub/b.bin".to_string(), sha256_hex(&b)));
    assert_eq!(
        error_code(get(&app, &format!("/d/{t}/Sub/b.bin"), &[]).await).await,
        (410, "link_exhausted".into())
    );
    // A new version is new content with a budget of its own.
    let a2 = content(9, 1000);
    let top_files = alice.list_files(&top.id, None, None).await.unwrap();
    let a_id = top_files
        .files
        .iter()
        .find(|f| f.name == "a.txt")
        .unwrap()
        .id
        .clone();
    let updated: api::File = alice
        .request(
            reqwest::Method::POST,
            &format!(
                "/folders/{}/files?filename=a.txt&on_conflict=new_version",
                top.id
            ),
        )
        .header("content-type", "application/octet-stream")
        .body(a2.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((updated.id.as_str(), updated.version), (a_id.as_str(), 2));
    assert_eq!(
        get(&app, &format!("/d/{t}/a.txt"), &[])
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        a2
    );

    // The link as listed: its folder, and the downloads of all its files.
    let mine = settled(&alice, &link.id, (a.len() + b.len() + a2.len()) as i64).await;
    assert_eq!(mine.folder_id.as_deref(), Some(top.id.as_str()));
    assert_eq!(mine.file_id, "");
    assert_eq!(mine.downloads_used, 3);
    assert_eq!(mine.bytes_delivered, (a.len() + b.len() + a2.len()) as i64);
    // Receipts: each file's downloads are audited under the folder link.
    let events = app
        .admin
        .audit_events(&[("action", "link.downloaded"), ("limit", "100")])
        .await
        .unwrap()
        .events;
    let mine: Vec<&api::Event> = events.iter().filter(|e| e.target.id == link.id).collect();
    assert_eq!(mine.len(), 3, "{events:#?}");
    assert!(mine.iter().any(|e| e.details["via"] == "archive"));
    let exhausted = app
        .admin
        .audit_events(&[("action", "link.exhausted"), ("limit", "100")])
        .await
        .unwrap()
        .events;
    // Each file version used up its single download.
    assert_eq!(
        exhausted.iter().filter(|e| e.target.id == link.id).count(),
        3
    );
}

async fn concurrent_zips_deliver_the_budget_exactly_once(app: TestApp) {
    let (alice, top, _, _) = project(&app).await;
    let link = alice
        .create_folder_link(&top.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let t = token(&link);
    let url = format!("{}/d/{t}?format=zip", app.url);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let res = reqwest::get(&url).await.unwrap();
                let status = res.status();
                let body = res.bytes().await.unwrap();
                (status, body.len())
            })
        })
        .collect();
    let mut delivered = 0;
    for task in tasks {
        let (status, len) = task.await.unwrap();
        match status {
            StatusCode::OK => {
                assert!(len > 190_000);
                delivered += 1;
            }
            StatusCode::GONE => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(delivered, 1);
    for path in ["a.txt", "Sub/b.bin"] {
        assert_eq!(
            error_code(get(&app, &format!("/d/{t}/{path}"), &[]).await).await,
            (410, "link_exhausted".into()),
            "{path}"
        );
    }
}

async fn concurrent_file_downloads_deliver_each_files_budget_exactly(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder_in(None, "Three").await.unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("f{i}.bin"), content(i, 200_000 + i * 1000)))
        .collect();
    for (name, bytes) in &files {
        alice.upload(&top.id, name, bytes.clone()).await.unwrap();
    }
    let link = alice
        .create_folder_link(&top.id, &link_request(Some(2), None))
        .await
        .unwrap();
    let t = token(&link);
    // 30 concurrent downloads of each of the three files.
    let tasks: Vec<_> = files
        .iter()
        .flat_map(|(name, _)| (0..30).map(move |_| name.clone()))
        .map(|name| {
            let url = format!("{}/d/{t}/{name}", app.url);
            tokio::spawn(async move {
                let res = reqwest::get(&url).await.unwrap();
                let status = res.status();
                (name, status, res.bytes().await.unwrap().to_vec())
            })
        })
        .collect();
    let mut copies = std::collections::HashMap::new();
    for task in tasks {
        let (name, status, body) = task.await.unwrap();
        match status {
            StatusCode::OK => {
                let expected = &files.iter().find(|(n, _)| *n == name).unwrap().1;
                assert_eq!(&body, expected, "{name}");
                *copies.entry(name).or_insert(0) += 1;
            }
            StatusCode::GONE => {}
            other => panic!("unexpected {other} for {name}"),
        }
    }
    for (name, _) in &files {
        assert_eq!(copies.get(name), Some(&2), "{name}: {copies:?}");
    }
    let total: i64 = files.iter().map(|(_, b)| 2 * b.len() as i64).sum();
    let listed = settled(&alice, &link.id, total).await;
    assert_eq!((listed.downloads_used, listed.bytes_delivered), (6, total));
}

async fn a_ranged_or_interrupted_zip_pays_only_for_what_it_carries(app: TestApp) {
    let (alice, top, a, b) = project(&app).await;
    let link = alice
        .create_folder_link(&top.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let t = token(&link);
    let path = format!("/d/{t}");
    let head = app.raw(reqwest::Method::HEAD, &path).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let total: usize = head.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // In two ranges, split inside b.bin: together one download of each file.
    let split = total - 50_000;
    let first = get(&app, &path, &[("range", &format!("bytes=0-{}", split - 1))]).await;
    assert_eq!(first.status(), StatusCode::PARTIAL_CONTENT);
    let mut whole = first.bytes().await.unwrap().to_vec();
    let second = get(&app, &path, &[("range", &format!("bytes={split}-"))]).await;
    assert_eq!(second.status(), StatusCode::PARTIAL_CONTENT);
    whole.extend_from_slice(&second.bytes().await.unwrap());
    assert_eq!(whole.len(), total);
    let entries = zip_entries(&whole);
    assert_eq!(entries[1].1, sha256_hex(&a));
    assert_eq!(entries[3].1, sha256_hex(&b));
    // Now every file is used up; the central directory alone carries no file's bytes.
    assert_eq!(
        error_code(get(&app, &path, &[]).await).await,
        (410, "link_exhausted".into())
    );
    let tail = get(&app, &path, &[("range", "bytes=-22")]).await;
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);

    // An interrupted zip, cut off inside a file much larger than the socket buffers: the
    // client resumes where it stopped and pays nothing twice.
    let big_folder = alice.create_folder_in(Some(&top.id), "Big").await.unwrap();
    let big = content(5, 24 << 20);
    alice
        .upload(&big_folder.id, "big.bin", big.clone())
        .await
        .unwrap();
    let link = alice
        .create_folder_link(&top.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let path = format!("/d/{}?path=Big", token(&link));
    let mut res = get(&app, &path, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut received = Vec::new();
    while received.len() < 60_000 {
        received.extend_from_slice(&res.chunk().await.unwrap().unwrap());
    }
    drop(res);
    // The settlement of the cut-off delivery lands in the background.
    let cut = settled(&alice, &link.id, 1).await;
    assert!(
        cut.bytes_delivered < big.len() as i64,
        "cut off mid-way: {} bytes",
        cut.bytes_delivered
    );
    let rest = get(
        &app,
        &path,
        &[("range", &format!("bytes={}-", received.len()))],
    )
    .await;
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    received.extend_from_slice(&rest.bytes().await.unwrap());
    let entries = zip_entries(&received);
    assert_eq!(entries[1], ("Big/big.bin".to_string(), sha256_hex(&big)));
    let done = settled(&alice, &link.id, big.len() as i64).await;
    assert_eq!(
        (done.bytes_delivered, done.downloads_used),
        (big.len() as i64, 1)
    );
    // The whole file was paid for once: no second download.
    assert_eq!(
        error_code(get(&app, &path, &[]).await).await,
        (410, "link_exhausted".into())
    );
}

async fn passwords_revocation_permissions_and_listing(app: TestApp) {
    let (alice, top, a, _) = project(&app).await;
    let (bob_user, bob) = app.user("bob", None).await;
    // Bob sees nothing of Alice's folder; as a viewer he may not link it.
    assert_api_error(
        bob.create_folder_link(&top.id, &link_request(None, None))
            .await,
        404,
        "not_found",
    );
    let invitation = alice
        .invite(
            &top.id,
            &api::CreateCollaboration {
                user: Some(bob_user.login.clone()),
                group: None,
                email: None,
                role: "viewer".into(),
                message: None,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    bob.accept_invitation(&invitation.id, None).await.unwrap();
    assert_api_error(
        bob.create_folder_link(&top.id, &link_request(None, None))
            .await,
        403,
        "permission_denied",
    );
    assert_api_error(
        alice
            .create_folder_link(
                &top.id,
                &api::CreateLink {
                    watermark: Some(true),
                    ..link_request(None, None)
                },
            )
            .await,
        422,
        "watermark_unsupported",
    );

    let link = alice
        .create_folder_link(&top.id, &link_request(None, Some("correct horse battery")))
        .await
        .unwrap();
    assert!(link.password_required);
    let t = token(&link);
    for path in [
        format!("/d/{t}/a.txt"),
        format!("/d/{t}"),
        format!("/api/v1/links/{t}/items"),
    ] {
        assert_eq!(
            error_code(get(&app, &path, &[]).await).await,
            (401, "link_password_required".into()),
            "{path}"
        );
    }
    let wrong = app
        .raw(reqwest::Method::POST, &format!("/api/v1/links/{t}/unlock"))
        .json(&serde_json::json!({"password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(wrong).await,
        (401, "invalid_link_password".into())
    );
    let access: api::LinkAccess = app
        .raw(reqwest::Method::POST, &format!("/api/v1/links/{t}/unlock"))
        .json(&serde_json::json!({"password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let with = [("x-link-access", access.link_access_token.as_str())];
    let res = get(&app, &format!("/d/{t}/a.txt"), &with).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), a);
    let listed = get(&app, &format!("/api/v1/links/{t}/items"), &with).await;
    assert_eq!(listed.status(), StatusCode::OK);
    // Its access token opens this link only.
    let other = alice
        .create_folder_link(&top.id, &link_request(None, Some("another password!")))
        .await
        .unwrap();
    assert_eq!(
        error_code(get(&app, &format!("/d/{}/a.txt", token(&other)), &with).await).await,
        (401, "link_password_required".into())
    );

    // Listed with the caller's links, by state.
    let active = my_links(
        &alice,
        &[("state", "active"), ("folder_id", top.id.as_str())],
    )
    .await;
    assert_eq!(active.links.len(), 2);
    assert!(my_links(&bob, &[]).await.links.is_empty());

    // Revoked: every door of the link answers 410 at once.
    alice.revoke_link(&link.id).await.unwrap();
    for path in [
        format!("/d/{t}/a.txt"),
        format!("/d/{t}"),
        format!("/api/v1/links/{t}/info"),
    ] {
        assert_eq!(
            error_code(get(&app, &path, &with).await).await,
            (410, "link_revoked".into()),
            "{path}"
        );
    }
    let revoked = my_links(&alice, &[("state", "revoked")]).await;
    assert_eq!(revoked.links.len(), 1);
    // A link whose folder went to the trash is gone.
    alice.delete_folder(&top.id, false).await.unwrap();
    assert_eq!(
        error_code(get(&app, &format!("/api/v1/links/{}/info", token(&other)), &[]).await).await,
        (404, "not_found".into())
    );
}

/// `POST /links/{token}/save` as `client`.
async fn save(
    app: &TestApp,
    client: Option<&Client>,
    token: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    let path = format!("/links/{token}/save");
    match client {
        Some(c) => c.request(reqwest::Method::POST, &path),
        None => app.raw(reqwest::Method::POST, &format!("/api/v1{path}")),
    }
    .json(&body)
    .send()
    .await
    .unwrap()
}

async fn a_recipient_saves_a_link_to_their_storage_counted_once(app: TestApp) {
    let (alice, top, a, b) = project(&app).await;
    let (_, bob) = app.user("bob", None).await;
    let inbox = bob.create_folder_in(None, "Inbox").await.unwrap();
    let a_file = alice
        .list_files(&top.id, None, None)
        .await
        .unwrap()
        .files
        .into_iter()
        .find(|f| f.name == "a.txt")
        .unwrap();

    // A file link: saved once, then used up.
    let file_link = alice
        .create_link(&a_file.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let ft = token(&file_link);
    let into_inbox = serde_json::json!({"folder_id": inbox.id});
    let res = save(&app, None, &ft, into_inbox.clone()).await;
    assert_eq!(error_code(res).await, (401, "unauthorized".into()));
    // Only into a folder of one's own (or one shared for writing).
    let res = save(
        &app,
        Some(&bob),
        &ft,
        serde_json::json!({"folder_id": top.id}),
    )
    .await;
    assert_eq!(error_code(res).await, (404, "not_found".into()));
    let res = save(&app, Some(&bob), &ft, into_inbox.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved: api::Resolved = res.json().await.unwrap();
    let copy = saved.file.unwrap();
    assert_eq!(
        (copy.folder_id.as_str(), copy.name.as_str()),
        (inbox.id.as_str(), "a.txt")
    );
    assert_eq!(copy.checksum_sha256, sha256_hex(&a));
    assert_eq!(copy.owner.login, "bob");
    let content = bob
        .content(&copy.id, &[])
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(content.to_vec(), a);
    let res = save(&app, Some(&bob), &ft, into_inbox.clone()).await;
    assert_eq!(error_code(res).await, (410, "link_exhausted".into()));
    assert_eq!(
        error_code(get(&app, &format!("/d/{ft}"), &[]).await).await,
        (410, "link_exhausted".into())
    );

    // A folder link: a subfolder saved counts one download of each file in it.
    let folder_link = alice
        .create_folder_link(&top.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let t = token(&folder_link);
    let res = save(
        &app,
        Some(&bob),
        &t,
        serde_json::json!({"folder_id": inbox.id, "path": "Sub", "name": "From Alice"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved: api::Resolved = res.json().await.unwrap();
    let sub_copy = saved.folder.unwrap();
    assert_eq!(sub_copy.name, "From Alice");
    let in_copy = bob
        .list_files(&sub_copy.id, None, None)
        .await
        .unwrap()
        .files;
    assert_eq!(in_copy.len(), 1);
    assert_eq!(in_copy[0].checksum_sha256, sha256_hex(&b));
    assert_eq!(
        error_code(get(&app, &format!("/d/{t}/Sub/b.bin"), &[]).await).await,
        (410, "link_exhausted".into())
    );
    // The whole folder needs b.bin again: refused as a whole, nothing made, nothing taken.
    let res = save(&app, Some(&bob), &t, into_inbox.clone()).await;
    assert_eq!(error_code(res).await, (410, "link_exhausted".into()));
    let folders = bob.children(&inbox.id, None, None).await.unwrap().folders;
    assert_eq!(folders.len(), 1, "{folders:?}");
    // One file by its path; a.txt's single download is still there.
    let res = save(
        &app,
        Some(&bob),
        &t,
        serde_json::json!({"folder_id": inbox.id, "path": "a.txt", "on_conflict": "fail"}),
    )
    .await;
    assert_eq!(error_code(res).await, (409, "name_conflict".into()));
    // The conflict gave the download back: it still works.
    let res = save(
        &app,
        Some(&bob),
        &t,
        serde_json::json!({"folder_id": inbox.id, "path": "a.txt"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved: api::Resolved = res.json().await.unwrap();
    assert_eq!(saved.file.unwrap().name, "a (1).txt");
    assert_eq!(
        error_code(get(&app, &format!("/d/{t}/a.txt"), &[]).await).await,
        (410, "link_exhausted".into())
    );
    // Receipts under the folder link say the files were saved.
    let events = app
        .admin
        .audit_events(&[("action", "link.downloaded"), ("limit", "100")])
        .await
        .unwrap()
        .events;
    let saved_receipts: Vec<_> = events
        .iter()
        .filter(|e| e.target.id == folder_link.id)
        .collect();
    assert_eq!(saved_receipts.len(), 2, "{saved_receipts:#?}");

    // A recipient without room: refused, and the download is given back.
    let (_, carol) = app.user("carol", Some(1000)).await;
    let carols = carol.create_folder_in(None, "Mine").await.unwrap();
    let other = alice
        .create_folder_link(&top.id, &link_request(Some(1), None))
        .await
        .unwrap();
    let res = save(
        &app,
        Some(&carol),
        &token(&other),
        serde_json::json!({"folder_id": carols.id, "path": "a.txt"}),
    )
    .await;
    assert_eq!(error_code(res).await, (413, "quota_exceeded".into()));
    let res = get(&app, &format!("/d/{}/a.txt", token(&other)), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
}
