//! Upload links (file requests): anyone holding one uploads into its folder (simple, native
//! resumable and tus) and lists or reads nothing; its limits hold under concurrent uploads;
//! expired, revoked and used-up links answer 410; passwords; the uploader on the file, the
//! `link.uploaded` audit event and the owner's notice.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ferry_api as api;
use ferry_client::{Client, Uploader};
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, assert_api_error, assert_field_error, sha256_hex};
use crate::on_both_backends;

on_both_backends!(
    an_anonymous_simple_upload_lands_in_the_folder_with_its_uploader,
    nothing_can_be_listed_read_or_overwritten_through_the_link,
    a_resumable_upload_through_the_link_lands_in_the_folder,
    a_tus_upload_through_the_link_lands_in_the_folder,
    max_files_holds_under_concurrent_uploads,
    max_bytes_holds_under_concurrent_uploads,
    an_aborted_upload_gives_its_room_back,
    an_expired_upload_gives_its_room_back,
    expired_revoked_and_listed_links,
    a_password_protects_the_upload_link,
    each_upload_gets_a_subfolder_when_asked,
);

fn link_request(max_files: Option<i64>, max_bytes: Option<i64>) -> api::CreateUploadLink {
    api::CreateUploadLink {
        expires_in: Some(3600),
        max_files,
        max_bytes,
        password: None,
        subfolder_per_upload: None,
    }
}

fn uploader(name: &str) -> Uploader {
    Uploader {
        name: Some(name.into()),
        email: Some(format!("{}@example.com", name.to_lowercase())),
    }
}

/// Alice, her folder `inbox`, and an upload link on it.
async fn setup(app: &TestApp, request: api::CreateUploadLink) -> (Client, api::Folder, api::Link) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let link = alice
        .create_upload_link(&folder.id, &request)
        .await
        .unwrap();
    (alice, folder, link)
}

async fn file_names(client: &Client, folder_id: &str) -> Vec<String> {
    let mut names: Vec<String> = client
        .list_files(folder_id, None, None)
        .await
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.name)
        .collect();
    names.sort();
    names
}

async fn an_anonymous_simple_upload_lands_in_the_folder_with_its_uploader(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(None, None)).await;
    assert_eq!(link.kind, "upload");
    assert_eq!(link.folder_id.as_deref(), Some(folder.id.as_str()));
    assert_eq!(link.status, "active");

    let info = app.anon.link_info(&link.url).await.unwrap();
    assert_eq!(
        (info.kind.as_str(), info.name.as_str()),
        ("upload", "inbox")
    );
    assert!(!info.password_required);

    let file = app
        .anon
        .upload_to_link(
            &link.url,
            "report.pdf",
            b"quarterly".to_vec(),
            &uploader("Bob"),
        )
        .await
        .unwrap();
    assert_eq!(file.name, "report.pdf");
    assert_eq!(file.folder_id, folder.id);

    // Alice sees it, with who brought it.
    let seen = alice.get_file(&file.id).await.unwrap();
    let via = seen.uploaded_via_link.expect("came through a link");
    assert_eq!(via.link_id, link.id);
    assert_eq!(via.name.as_deref(), Some("Bob"));
    assert_eq!(via.email.as_deref(), Some("bob@example.com"));
    assert_eq!(seen.owner.login, "alice");
    let content = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(&content.body[..], b"quarterly");

    // A file uploaded otherwise has no such mark.
    let own = alice
        .upload(&folder.id, "own.txt", b"mine".to_vec())
        .await
        .unwrap();
    assert!(own.uploaded_via_link.is_none());

    // Her notice, and the audit event.
    let notices = alice.notices(false, None, None).await.unwrap().notices;
    let notice = notices
        .iter()
        .find(|n| n.kind == "link.uploaded")
        .expect("a notice of the upload");
    assert_eq!(notice.data["file_id"], file.id.as_str());
    assert_eq!(notice.data["uploader_name"], "Bob");
    assert_eq!(notice.data["link_id"], link.id.as_str());
    let events = alice
        .audit_events(&[("action", "link.uploaded")])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].target.id, link.id);
    assert!(events[0].actor.is_none());
    assert_eq!(events[0].details["uploader_email"], "bob@example.com");
    assert_eq!(events[0].details["file_id"], file.id.as_str());

    // The counts on the link.
    let listed = alice
        .list_my_links_of_kind("upload", None, None, None)
        .await
        .unwrap()
        .links;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].files_used, Some(1));
    assert_eq!(listed[0].bytes_used, Some(9));
}

async fn nothing_can_be_listed_read_or_overwritten_through_the_link(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(None, None)).await;
    let original = alice
        .upload(&folder.id, "plan.txt", b"original".to_vec())
        .await
        .unwrap();
    let token = ferry_client::link_token(&link.url).to_string();

    // Not a download link: nothing to fetch, nothing to list.
    let res = app
        .raw(Method::GET, &format!("/d/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .raw(Method::GET, &format!("/api/v1/links/{token}/items"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{res:?}");
    // The link token is no credential for anything else.
    let with_link = app.anon.with_upload_link(&link.url);
    assert_api_error(with_link.get_file(&original.id).await, 401, "unauthorized");
    assert_api_error(
        with_link.list_files(&folder.id, None, None).await,
        401,
        "unauthorized",
    );
    assert_api_error(
        with_link.list_uploads(None, None, None).await,
        401,
        "unauthorized",
    );
    // Another user's upload is not the link's.
    let (_, bob) = app.user("bob", None).await;
    let bobs_folder = bob.create_folder("b", 0).await.unwrap();
    let bobs = bob
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: bobs_folder.id.clone(),
            filename: "x.bin".into(),
            size: 3,
            checksum_sha256: None,
            part_size: None,
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    assert_api_error(
        with_link.get_upload(&bobs.upload_id).await,
        404,
        "not_found",
    );
    assert_api_error(
        with_link
            .put_part(&bobs.upload_id, 1, b"abc".to_vec(), None)
            .await,
        404,
        "not_found",
    );

    // Same name: renamed, never replaced.
    let again = app
        .anon
        .upload_to_link(
            &link.url,
            "plan.txt",
            b"overwritten?".to_vec(),
            &Uploader::default(),
        )
        .await
        .unwrap();
    assert_eq!(again.name, "plan (1).txt");
    let content = alice.download(&original.id, &[]).await.unwrap();
    assert_eq!(&content.body[..], b"original");
    assert_eq!(alice.get_file(&original.id).await.unwrap().version, 1);
    // new_version is refused, and so is a folder of one's choosing.
    let mut new = api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: String::new(),
        filename: "plan.txt".into(),
        size: 3,
        checksum_sha256: None,
        part_size: None,
        on_conflict: Some("new_version".into()),
        relative_path: None,
        modified_at: None,
    };
    assert_field_error(
        with_link.create_upload(&new).await,
        400,
        "invalid_value",
        "on_conflict",
    );
    new.on_conflict = None;
    new.folder_id = bobs_folder.id.clone();
    assert_field_error(
        with_link.create_upload(&new).await,
        400,
        "invalid_field",
        "folder_id",
    );
    let res = app
        .raw(Method::POST, "/api/v1/tus/")
        .header("tus-resumable", "1.0.0")
        .header("x-link-token", &token)
        .header("upload-length", "3")
        .header(
            "upload-metadata",
            format!(
                "filename {},on_conflict {}",
                b64("plan.txt"),
                b64("new_version")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // A forged token opens nothing (its last character changed: one time in 64 the real one
    // ends in `A`, which made an earlier version of this test forge nothing and fail).
    let last = if token.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    assert_api_error(
        app.anon
            .upload_to_link(&forged, "x.txt", b"x".to_vec(), &Uploader::default())
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        file_names(&alice, &folder.id).await,
        ["plan (1).txt", "plan.txt"]
    );
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

async fn a_resumable_upload_through_the_link_lands_in_the_folder(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(Some(5), None)).await;
    let with_link = app.anon.with_upload_link(&link.url);
    let data: Vec<u8> = (0..(6 << 20)).map(|i| (i % 251) as u8).collect();
    let upload = with_link
        .create_upload(&api::CreateUpload {
            uploader_name: Some("Carol".into()),
            uploader_email: Some("carol@example.com".into()),
            folder_id: String::new(),
            filename: "video.bin".into(),
            size: data.len() as i64,
            checksum_sha256: None,
            part_size: Some(5 << 20),
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    assert_eq!(upload.part_count, 2);
    assert_eq!(upload.folder_id, folder.id);
    for part in &upload.parts {
        let bytes = data[part.offset as usize..(part.offset + part.size) as usize].to_vec();
        with_link
            .put_part(&upload.upload_id, part.part_no, bytes, None)
            .await
            .unwrap();
    }
    assert_eq!(
        with_link
            .get_upload(&upload.upload_id)
            .await
            .unwrap()
            .received_parts,
        [1, 2]
    );
    let done = with_link
        .complete_upload(
            &upload.upload_id,
            &api::CompleteUpload {
                parts: None,
                checksum_sha256: Some(sha256_hex(&data)),
            },
        )
        .await
        .unwrap();
    let file = match done {
        Ok(file) => file,
        Err(pending) => {
            let mut upload = pending;
            for _ in 0..600 {
                if upload.file_id.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                upload = with_link.get_upload(&upload.upload_id).await.unwrap();
            }
            alice
                .get_file(upload.file_id.as_deref().unwrap())
                .await
                .unwrap()
        }
    };
    let seen = alice.get_file(&file.id).await.unwrap();
    assert_eq!(seen.folder_id, folder.id);
    assert_eq!(seen.size, data.len() as i64);
    let via = seen.uploaded_via_link.expect("through the link");
    assert_eq!(via.name.as_deref(), Some("Carol"));
    let events = alice
        .audit_events(&[("action", "link.uploaded")])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["method"], "resumable");
}

async fn a_tus_upload_through_the_link_lands_in_the_folder(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(None, None)).await;
    let token = ferry_client::link_token(&link.url).to_string();
    let data = b"tus through a file request".to_vec();
    let res = app
        .raw(Method::POST, "/api/v1/tus/")
        .header("tus-resumable", "1.0.0")
        .header("x-link-token", &token)
        .header("upload-length", data.len().to_string())
        .header(
            "upload-metadata",
            format!(
                "filename {},uploader_name {}",
                b64("notes.txt"),
                b64("Dave")
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{res:?}");
    let location = res.headers()["location"].to_str().unwrap().to_string();
    // Without the link, the upload is nobody's to continue.
    let res = app
        .raw(Method::HEAD, &location)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .raw(Method::HEAD, &location)
        .header("tus-resumable", "1.0.0")
        .header("x-link-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["upload-offset"], "0");
    let res = app
        .raw(Method::PATCH, &location)
        .header("tus-resumable", "1.0.0")
        .header("x-link-token", &token)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "{res:?}");
    let files = alice
        .list_files(&folder.id, None, None)
        .await
        .unwrap()
        .files;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "notes.txt");
    let via = files[0]
        .uploaded_via_link
        .clone()
        .expect("through the link");
    assert_eq!(via.name.as_deref(), Some("Dave"));
    let content = alice.download(&files[0].id, &[]).await.unwrap();
    assert_eq!(&content.body[..], &data[..]);
}

/// `n` simple uploads of `size` bytes through `link` at once: how many succeeded, and checks
/// that every other one was `410 link_exhausted`.
async fn concurrent_uploads(app: &TestApp, link: &api::Link, n: usize, size: usize) -> usize {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = app.anon.clone();
            let url = link.url.clone();
            tokio::spawn(async move {
                client
                    .upload_to_link(
                        &url,
                        &format!("f{i}.bin"),
                        vec![i as u8; size],
                        &Uploader::default(),
                    )
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            other => {
                assert_api_error(other, 410, "link_exhausted");
            }
        }
    }
    ok
}

async fn max_files_holds_under_concurrent_uploads(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(Some(3), None)).await;
    assert_eq!(concurrent_uploads(&app, &link, 10, 100).await, 3);
    assert_eq!(file_names(&alice, &folder.id).await.len(), 3);
    assert_api_error(app.anon.link_info(&link.url).await, 410, "link_exhausted");
    let listed = alice
        .list_my_links_of_kind("upload", Some("exhausted"), None, None)
        .await
        .unwrap()
        .links;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].files_used, Some(3));
    assert_api_error(
        app.anon
            .upload_to_link(&link.url, "late.txt", b"x".to_vec(), &Uploader::default())
            .await,
        410,
        "link_exhausted",
    );
}

async fn max_bytes_holds_under_concurrent_uploads(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(None, Some(250))).await;
    assert_eq!(concurrent_uploads(&app, &link, 10, 100).await, 2);
    assert_eq!(file_names(&alice, &folder.id).await.len(), 2);
    let info = app.anon.link_info(&link.url).await.unwrap();
    assert_eq!(info.bytes_left, Some(50));
    // What is left still takes a small file.
    app.anon
        .upload_to_link(&link.url, "small.txt", vec![1; 50], &Uploader::default())
        .await
        .unwrap();
    assert_api_error(app.anon.link_info(&link.url).await, 410, "link_exhausted");
}

async fn an_aborted_upload_gives_its_room_back(app: TestApp) {
    let (alice, folder, link) = setup(&app, link_request(Some(1), None)).await;
    let with_link = app.anon.with_upload_link(&link.url);
    let new = api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: String::new(),
        filename: "big.bin".into(),
        size: 10,
        checksum_sha256: None,
        part_size: None,
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    };
    let upload = with_link.create_upload(&new).await.unwrap();
    // The one file the link takes is under way.
    assert_api_error(with_link.create_upload(&new).await, 410, "link_exhausted");
    assert_api_error(
        app.anon
            .upload_to_link(&link.url, "a.txt", b"a".to_vec(), &Uploader::default())
            .await,
        410,
        "link_exhausted",
    );
    with_link.abort_upload(&upload.upload_id).await.unwrap();
    // Given back: the link takes a file again.
    app.anon
        .upload_to_link(&link.url, "a.txt", b"a".to_vec(), &Uploader::default())
        .await
        .unwrap();
    assert_eq!(file_names(&alice, &folder.id).await, ["a.txt"]);
}

async fn expired_revoked_and_listed_links(app: TestApp) {
    let (alice, folder, short) = setup(
        &app,
        api::CreateUploadLink {
            expires_in: Some(60),
            ..link_request(None, None)
        },
    )
    .await;
    let long = alice
        .create_upload_link(&folder.id, &link_request(None, None))
        .await
        .unwrap();
    // A download link too: GET /links lists both kinds, `kind` one of them.
    let file = alice
        .upload(&folder.id, "d.txt", b"d".to_vec())
        .await
        .unwrap();
    let download = alice
        .create_link(&file.id, &api::CreateLink::default())
        .await
        .unwrap();
    let all = alice
        .list_my_links_page(None, None, None)
        .await
        .unwrap()
        .links;
    let ids: Vec<&str> = all.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [download.id.as_str(), long.id.as_str(), short.id.as_str()]
    );
    let uploads = alice
        .list_my_links_of_kind("upload", None, None, None)
        .await
        .unwrap()
        .links;
    assert_eq!(uploads.len(), 2);
    assert!(uploads.iter().all(|l| l.kind == "upload"));
    let downloads = alice
        .list_my_links_of_kind("download", None, None, None)
        .await
        .unwrap()
        .links;
    assert_eq!(downloads.len(), 1);
    // Paging across both kinds.
    let first = alice.list_my_links_page(None, Some(2), None).await.unwrap();
    assert_eq!(first.links.len(), 2);
    let second = alice
        .list_my_links_page(None, Some(2), first.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(second.links.len(), 1);
    assert_eq!(second.links[0].id, short.id);

    app.clock.advance(Duration::from_secs(61));
    assert_api_error(
        app.anon
            .upload_to_link(&short.url, "x.txt", b"x".to_vec(), &Uploader::default())
            .await,
        410,
        "link_expired",
    );
    assert_api_error(app.anon.link_info(&short.url).await, 410, "link_expired");

    alice.revoke_link(&long.id).await.unwrap();
    assert_api_error(
        app.anon
            .upload_to_link(&long.url, "x.txt", b"x".to_vec(), &Uploader::default())
            .await,
        410,
        "link_revoked",
    );
    let with_link = app.anon.with_upload_link(&long.url);
    assert_api_error(
        with_link
            .create_upload(&api::CreateUpload {
                uploader_name: None,
                uploader_email: None,
                folder_id: String::new(),
                filename: "y.bin".into(),
                size: 1,
                checksum_sha256: None,
                part_size: None,
                on_conflict: None,
                relative_path: None,
                modified_at: None,
            })
            .await,
        410,
        "link_revoked",
    );
    let revoked = alice
        .list_my_links_of_kind("upload", Some("revoked"), None, None)
        .await
        .unwrap()
        .links;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].id, long.id);
    let expired = alice
        .list_my_links_of_kind("upload", Some("expired"), None, None)
        .await
        .unwrap()
        .links;
    assert_eq!(expired[0].id, short.id);
    // Someone else may not revoke it.
    let (_, bob) = app.user("bob", None).await;
    assert_api_error(bob.revoke_link(&short.id).await, 404, "not_found");
}

async fn a_password_protects_the_upload_link(app: TestApp) {
    let (alice, folder, link) = setup(
        &app,
        api::CreateUploadLink {
            password: Some("open sesame 42".into()),
            ..link_request(None, None)
        },
    )
    .await;
    assert!(link.password_required);
    let info = app.anon.link_info(&link.url).await.unwrap();
    assert!(info.password_required);
    assert_api_error(
        app.anon
            .upload_to_link(&link.url, "x.txt", b"x".to_vec(), &Uploader::default())
            .await,
        401,
        "link_password_required",
    );
    assert_api_error(
        app.anon.unlock_link(&link.url, "wrong password").await,
        401,
        "invalid_link_password",
    );
    let access = app
        .anon
        .unlock_link(&link.url, "open sesame 42")
        .await
        .unwrap();
    let unlocked = app.anon.with_link_access(&access.link_access_token);
    unlocked
        .upload_to_link(&link.url, "x.txt", b"x".to_vec(), &Uploader::default())
        .await
        .unwrap();
    // The resumable protocol wants the access token too.
    let new = api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: String::new(),
        filename: "y.bin".into(),
        size: 1,
        checksum_sha256: None,
        part_size: None,
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    };
    assert_api_error(
        app.anon
            .with_upload_link(&link.url)
            .create_upload(&new)
            .await,
        401,
        "link_password_required",
    );
    unlocked
        .with_upload_link(&link.url)
        .create_upload(&new)
        .await
        .unwrap();
    assert_eq!(file_names(&alice, &folder.id).await, ["x.txt"]);
    let failed = alice
        .audit_events(&[("action", "link.unlock_failed")])
        .await
        .unwrap()
        .events;
    assert_eq!(failed.len(), 1);
}

async fn each_upload_gets_a_subfolder_when_asked(app: TestApp) {
    let (alice, folder, link) = setup(
        &app,
        api::CreateUploadLink {
            subfolder_per_upload: Some(true),
            ..link_request(None, None)
        },
    )
    .await;
    assert_eq!(link.subfolder_per_upload, Some(true));
    let first = app
        .anon
        .upload_to_link(&link.url, "a.txt", b"a".to_vec(), &uploader("Erin"))
        .await
        .unwrap();
    let second = app
        .anon
        .upload_to_link(&link.url, "a.txt", b"b".to_vec(), &uploader("Erin"))
        .await
        .unwrap();
    assert_ne!(first.folder_id, second.folder_id);
    assert_eq!(
        (first.name.as_str(), second.name.as_str()),
        ("a.txt", "a.txt")
    );
    let subfolders = alice.children(&folder.id, None, None).await.unwrap();
    let names: Vec<String> = subfolders.folders.iter().map(|f| f.name.clone()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.contains("Erin")), "{names:?}");
    for f in [&first, &second] {
        let seen = alice.get_file(&f.id).await.unwrap();
        assert!(seen.path.starts_with("/inbox/"), "{}", seen.path);
    }
}

async fn an_expired_upload_gives_its_room_back(app: TestApp) {
    let (alice, folder, link) = setup(
        &app,
        api::CreateUploadLink {
            expires_in: Some(7 * 86_400),
            ..link_request(Some(1), Some(1000))
        },
    )
    .await;
    let with_link = app.anon.with_upload_link(&link.url);
    let upload = with_link
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: String::new(),
            filename: "never.bin".into(),
            size: 1000,
            checksum_sha256: None,
            part_size: None,
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    let info = app.anon.link_info(&link.url).await;
    assert_api_error(info, 410, "link_exhausted");
    // The session outlives its time to live; the sweep ends it and gives the room back.
    app.clock.advance(Duration::from_secs(86_401));
    app.run_jobs().await;
    assert_eq!(
        with_link
            .get_upload(&upload.upload_id)
            .await
            .unwrap()
            .status,
        "expired"
    );
    let info = app.anon.link_info(&link.url).await.unwrap();
    assert_eq!((info.files_left, info.bytes_left), (Some(1), Some(1000)));
    app.anon
        .upload_to_link(
            &link.url,
            "late.txt",
            b"late".to_vec(),
            &Uploader::default(),
        )
        .await
        .unwrap();
    // Alice's session ended meanwhile too.
    drop(alice);
    let session = app.anon.login("alice", "password-alice").await.unwrap();
    let alice = app.anon.with_token(session.access_token);
    assert_eq!(file_names(&alice, &folder.id).await, ["late.txt"]);
}
