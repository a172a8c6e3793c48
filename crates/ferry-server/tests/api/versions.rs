//! Versions: a file keeps its id while `PUT …/content`, `on_conflict: new_version` uploads
//! and restores add versions; old versions are listed, downloaded, deleted and counted in the
//! quota; `versions.max_per_file` prunes; links serve the version they were made for.

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;

use crate::helpers::{TestApp, assert_api_error, parse, sha256_hex};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends!(
    put_content_adds_versions_under_one_id,
    if_match_refuses_a_lost_content_update,
    uploads_with_new_version_keep_the_id,
    links_serve_the_version_they_were_made_for,
);
on_both_backends_with!(two_versions; old_versions_beyond_the_limit_are_pruned);

fn two_versions(c: &mut ferry_server::Config) {
    c.versions.max_per_file = 2;
}

async fn put(
    c: &Client,
    id: &str,
    body: &'static [u8],
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut req = c
        .request(Method::PUT, &format!("/files/{id}/content"))
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}

async fn versions(c: &Client, id: &str) -> Vec<api::FileVersion> {
    parse::<api::FileVersionList>(
        c.request(Method::GET, &format!("/files/{id}/versions"))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap()
    .versions
}

async fn version_body(c: &Client, id: &str, n: i64) -> reqwest::Response {
    c.request(Method::GET, &format!("/files/{id}/versions/{n}/content"))
        .send()
        .await
        .unwrap()
}

async fn put_content_adds_versions_under_one_id(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"one".to_vec())
        .await
        .unwrap();
    assert_eq!(file.version, 1);
    let res = put(&alice, &file.id, b"second", None).await;
    assert_eq!(res.status(), 200);
    let v2: api::File = res.json().await.unwrap();
    assert_eq!(
        (v2.id.as_str(), v2.version, v2.size),
        (file.id.as_str(), 2, 6)
    );
    assert_eq!(v2.checksum_sha256, sha256_hex(b"second"));
    assert_eq!(
        alice.download(&file.id, &[]).await.unwrap().body.as_ref(),
        b"second"
    );
    let list = versions(&alice, &file.id).await;
    assert_eq!(list.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(list[1].created_by.as_ref().unwrap().login, "alice");
    let old = version_body(&alice, &file.id, 1).await;
    assert_eq!(
        old.headers()["etag"],
        format!("\"{}\"", sha256_hex(b"one")).as_str()
    );
    assert_eq!(old.bytes().await.unwrap().as_ref(), b"one");
    let range = alice
        .request(
            Method::GET,
            &format!("/files/{}/versions/1/content", file.id),
        )
        .header("range", "bytes=1-")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.bytes().await.unwrap().as_ref(), b"ne");
    // Old versions count towards the quota.
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 9);
    // Restoring makes the old content the next version.
    let restored: api::File = parse(
        alice
            .request(
                Method::POST,
                &format!("/files/{}/versions/1/restore", file.id),
            )
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!((restored.version, restored.size), (3, 3));
    assert_eq!(
        alice.download(&file.id, &[]).await.unwrap().body.as_ref(),
        b"one"
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 12);
    // Deleting: an old one frees its bytes; the current one and an unknown one are refused.
    let delete = |n: &'static str| {
        let alice = alice.clone();
        let url = format!("/files/{}/versions/{n}", file.id);
        async move { alice.request(Method::DELETE, &url).send().await.unwrap() }
    };
    assert_eq!(delete("2").await.status(), 204);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 6);
    assert_api_error(parse::<()>(delete("3").await).await, 409, "current_version");
    assert_api_error(parse::<()>(delete("99").await).await, 404, "not_found");
    assert_eq!(delete("x").await.status(), 400);
    assert_api_error(
        parse::<()>(version_body(&alice, &file.id, 2).await).await,
        404,
        "not_found",
    );
    let (_, mallory) = app.user("mallory", None).await;
    assert_api_error(
        parse::<api::File>(put(&mallory, &file.id, b"evil", None).await).await,
        404,
        "not_found",
    );
    let events = app
        .admin
        .audit_events(&[
            (
                "action",
                "file.version_created,file.version_restored,file.version_deleted",
            ),
            ("target", &file.id),
        ])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 3);
}

async fn if_match_refuses_a_lost_content_update(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"base".to_vec())
        .await
        .unwrap();
    let meta = alice
        .request(Method::GET, &format!("/files/{}", file.id))
        .send()
        .await
        .unwrap();
    let etag = meta.headers()["etag"].to_str().unwrap().to_string();
    // Editor one saves with the metadata ETag it read.
    assert_eq!(
        put(&alice, &file.id, b"editor one", Some(&etag))
            .await
            .status(),
        200
    );
    // Editor two, with the same stale ETag, is refused; nothing changes.
    let stale = put(&alice, &file.id, b"editor two", Some(&etag)).await;
    assert_api_error(parse::<api::File>(stale).await, 412, "precondition_failed");
    assert_eq!(
        alice.download(&file.id, &[]).await.unwrap().body.as_ref(),
        b"editor one"
    );
    // The content ETag works as well.
    let content_tag = format!("\"{}\"", sha256_hex(b"editor one"));
    assert_eq!(
        put(&alice, &file.id, b"three", Some(&content_tag))
            .await
            .status(),
        200
    );
    let stale = put(&alice, &file.id, b"four", Some(&content_tag)).await;
    assert_api_error(parse::<api::File>(stale).await, 412, "precondition_failed");
    assert_eq!(versions(&alice, &file.id).await.len(), 3);
    // The refused bodies left nothing behind in staging.
    assert_eq!(app.staging_files(), 0);
}

async fn uploads_with_new_version_keep_the_id(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "Report.pdf", b"v1".to_vec())
        .await
        .unwrap();
    // Simple upload, matching the name without case.
    let v2: api::File = parse(
        alice
            .request(
                Method::POST,
                &format!(
                    "/folders/{}/files?filename=report.PDF&on_conflict=new_version",
                    folder.id
                ),
            )
            .header("content-type", "application/octet-stream")
            .body("v2")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        (v2.id.as_str(), v2.version, v2.name.as_str()),
        (file.id.as_str(), 2, "Report.pdf")
    );
    // A resumable upload.
    let data = b"version three".to_vec();
    let upload = alice
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.id.clone(),
            filename: "Report.pdf".into(),
            size: data.len() as i64,
            checksum_sha256: Some(sha256_hex(&data)),
            part_size: None,
            on_conflict: Some("new_version".into()),
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    alice
        .put_part(&upload.upload_id, 1, data.clone(), None)
        .await
        .unwrap();
    let done = alice
        .complete_upload(
            &upload.upload_id,
            &api::CompleteUpload {
                parts: Some(vec![1]),
                checksum_sha256: Some(sha256_hex(&data)),
            },
        )
        .await
        .unwrap()
        .expect("completed");
    assert_eq!((done.id.as_str(), done.version), (file.id.as_str(), 3));
    // Without a file of that name, new_version makes a new file.
    let fresh: api::File = parse(
        alice
            .request(
                Method::POST,
                &format!(
                    "/folders/{}/files?filename=new.txt&on_conflict=new_version",
                    folder.id
                ),
            )
            .header("content-type", "application/octet-stream")
            .body("n")
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(fresh.version, 1);
    // A folder's name cannot take a version: refused before a byte is sent.
    alice
        .create_folder_in(Some(&folder.id), "Sub")
        .await
        .unwrap();
    let onto_folder = alice
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.id.clone(),
            filename: "sub".into(),
            size: 1,
            checksum_sha256: None,
            part_size: None,
            on_conflict: Some("new_version".into()),
            relative_path: None,
            modified_at: None,
        })
        .await;
    assert_api_error(onto_folder, 409, "name_conflict");
    assert_eq!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        2
    );
}

async fn links_serve_the_version_they_were_made_for(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"as sent".to_vec())
        .await
        .unwrap();
    let link = alice
        .create_link(
            &file.id,
            &api::CreateLink {
                expires_in: Some(600),
                max_downloads: Some(2),
                watermark: None,
                password: None,
                show_location: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        put(&alice, &file.id, b"edited later", None).await.status(),
        200
    );
    let body = app
        .anon
        .link_content(&link.url, &[])
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.as_ref(), b"as sent");
    // Once that version is deleted, the link has nothing to serve.
    let res = alice
        .request(Method::DELETE, &format!("/files/{}/versions/1", file.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        410,
        "link_revoked",
    );
}

async fn old_versions_beyond_the_limit_are_pruned(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("docs", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"1".to_vec())
        .await
        .unwrap();
    for body in [b"22".as_slice(), b"333", b"4444"] {
        let res = alice
            .request(Method::PUT, &format!("/files/{}/content", file.id))
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let list = versions(&alice, &file.id).await;
    assert_eq!(list.iter().map(|v| v.version).collect::<Vec<_>>(), [4, 3]);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 7);
    assert_eq!(alice.get_file(&file.id).await.unwrap().version, 4);
}
