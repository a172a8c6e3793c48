//! `GET /uploads` (the caller's own uploads, the unfinished ones by default, newest first, paged)
//! and `quota.reserved_bytes`, the space those uploads hold.

use std::time::Duration;

use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{TestApp, assert_api_error, sha256_hex};
use crate::on_both_backends_with;

/// Sessions expire after an hour (tokens live a day), so a test can move past an expiry and
/// still be logged in.
fn short_sessions(c: &mut ferry_server::Config) {
    c.uploads.session_ttl_secs = 3600;
}

on_both_backends_with!(short_sessions;
    the_list_shows_ones_own_unfinished_uploads_newest_first,
    the_list_pages_without_gaps_or_duplicates,
    the_status_filter_selects_what_is_listed,
    reserved_bytes_follow_unfinished_uploads,
);

/// Starts an upload of `size` bytes (content `bytes` when given) named `name` in `folder`.
async fn start(client: &Client, folder: &str, name: &str, bytes: &[u8]) -> api::Upload {
    client
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.into(),
            filename: name.into(),
            size: bytes.len() as i64,
            checksum_sha256: Some(sha256_hex(bytes)),
            part_size: None,
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .expect("upload starts")
}

/// Sends the one part of a small upload and completes it.
async fn finish(client: &Client, id: &str, bytes: &[u8]) -> api::File {
    client
        .put_part(id, 1, bytes.to_vec(), None)
        .await
        .expect("part");
    let mut result = client
        .complete_upload(id, &api::CompleteUpload::default())
        .await
        .expect("complete");
    for _ in 0..200 {
        match result {
            Ok(file) => return file,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                result = client
                    .complete_upload(id, &api::CompleteUpload::default())
                    .await
                    .expect("complete");
            }
        }
    }
    panic!("upload {id} never completed")
}

fn ids(list: &api::UploadList) -> Vec<&str> {
    list.uploads.iter().map(|u| u.upload_id.as_str()).collect()
}

/// Every page of the caller's uploads with `status`, `limit` at a time.
async fn all_pages(client: &Client, status: Option<&str>, limit: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = client
            .list_uploads(status, Some(limit), cursor.as_deref())
            .await
            .expect("page");
        assert!(page.uploads.len() as i64 <= limit);
        out.extend(page.uploads.iter().map(|u| u.upload_id.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

async fn the_list_shows_ones_own_unfinished_uploads_newest_first(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let inbox = alice.create_folder("inbox", 0).await.unwrap();
    let bobs = bob.create_folder("bobs", 0).await.unwrap();
    assert!(
        alice
            .list_uploads(None, None, None)
            .await
            .unwrap()
            .uploads
            .is_empty()
    );

    let bytes = vec![7u8; 1000];
    let first = start(&alice, &inbox.id, "first.bin", &bytes).await;
    app.clock.advance(Duration::from_secs(1));
    let second = start(&alice, &inbox.id, "second.bin", &[1u8; 300]).await;
    app.clock.advance(Duration::from_secs(1));
    let third = start(&alice, &inbox.id, "third.bin", &[2u8; 5]).await;
    let bobs_upload = start(&bob, &bobs.id, "bob.bin", &[3u8; 10]).await;
    // An admin's upload into alice's folder is the admin's, not alice's (she pays for it).
    let admins = start(&app.admin, &inbox.id, "admin.bin", &[4u8; 20]).await;

    alice
        .put_part(&first.upload_id, 1, bytes.clone(), None)
        .await
        .unwrap();
    let list = alice.list_uploads(None, None, None).await.unwrap();
    assert_eq!(
        ids(&list),
        [
            third.upload_id.as_str(),
            &second.upload_id,
            &first.upload_id
        ]
    );
    assert!(list.next_cursor.is_none());
    // Each is the same Upload that GET /uploads/{id} shows, progress included.
    let shown = &list.uploads[2];
    assert_eq!(
        (shown.filename.as_str(), shown.folder_id.as_str()),
        ("first.bin", inbox.id.as_str())
    );
    assert_eq!((shown.size, shown.bytes_received), (1000, 1000));
    assert_eq!(shown.received_parts, [1]);
    assert_eq!(shown.status, "open");
    assert_eq!(shown.expires_at, first.expires_at);
    assert_eq!(
        serde_json::to_value(shown).unwrap(),
        serde_json::to_value(alice.get_upload(&first.upload_id).await.unwrap()).unwrap()
    );

    // Everyone sees their own only: admins too.
    assert_eq!(
        ids(&bob.list_uploads(None, None, None).await.unwrap()),
        [bobs_upload.upload_id.as_str()]
    );
    assert_eq!(
        ids(&app.admin.list_uploads(None, None, None).await.unwrap()),
        [admins.upload_id.as_str()]
    );
    assert_api_error(
        app.anon.list_uploads(None, None, None).await,
        401,
        "unauthorized",
    );
}

async fn the_list_pages_without_gaps_or_duplicates(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let inbox = alice.create_folder("inbox", 0).await.unwrap();
    // Seven uploads, each a little later than the one before. (Ties in time are broken by
    // the id: the store's conformance suite checks that.)
    let mut made = Vec::new();
    for i in 0..7u8 {
        app.clock.advance(Duration::from_millis(10));
        made.push(start(&alice, &inbox.id, &format!("f{i}.bin"), &[i; 10]).await);
    }
    let expected: Vec<String> = made.iter().rev().map(|u| u.upload_id.clone()).collect();
    let listed = alice.list_uploads(None, None, None).await.unwrap();
    let times: Vec<&str> = listed
        .uploads
        .iter()
        .map(|u| u.created_at.as_str())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    for limit in [1, 2, 3, 7, 100] {
        assert_eq!(
            all_pages(&alice, None, limit).await,
            expected,
            "limit {limit}"
        );
    }
    let page = alice.list_uploads(None, Some(7), None).await.unwrap();
    assert!(page.next_cursor.is_none(), "a full last page has no cursor");

    // An upload started between two pages comes first on a new listing, never in the middle.
    let page = alice.list_uploads(None, Some(3), None).await.unwrap();
    app.clock.advance(Duration::from_secs(1));
    let newest = start(&alice, &inbox.id, "late.bin", &[9; 10]).await;
    let rest = all_pages_from(&alice, page.next_cursor.as_deref().unwrap()).await;
    let mut seen: Vec<String> = page.uploads.iter().map(|u| u.upload_id.clone()).collect();
    seen.extend(rest);
    assert_eq!(seen, expected);
    assert_eq!(
        alice
            .list_uploads(None, Some(1), None)
            .await
            .unwrap()
            .uploads[0]
            .upload_id,
        newest.upload_id
    );

    for (limit, cursor, code) in [
        (Some(0), None, "invalid_value"),
        (Some(1001), None, "invalid_value"),
        (None, Some("not-a-cursor"), "invalid_cursor"),
    ] {
        let body = assert_api_error(alice.list_uploads(None, limit, cursor).await, 400, code);
        assert!(body.error.field.is_some(), "{body:?}");
    }
}

async fn all_pages_from(client: &Client, cursor: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = Some(cursor.to_string());
    while let Some(c) = cursor {
        let page = client
            .list_uploads(None, Some(2), Some(&c))
            .await
            .expect("page");
        out.extend(page.uploads.iter().map(|u| u.upload_id.clone()));
        cursor = page.next_cursor;
    }
    out
}

async fn the_status_filter_selects_what_is_listed(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let inbox = alice.create_folder("inbox", 0).await.unwrap();
    let done_bytes = b"finished content".to_vec();
    let done = start(&alice, &inbox.id, "done.txt", &done_bytes).await;
    app.clock.advance(Duration::from_secs(1));
    let dropped = start(&alice, &inbox.id, "dropped.bin", &[1; 10]).await;
    app.clock.advance(Duration::from_secs(1));
    let open = start(&alice, &inbox.id, "open.bin", &[2; 10]).await;

    let file = finish(&alice, &done.upload_id, &done_bytes).await;
    alice.abort_upload(&dropped.upload_id).await.unwrap();

    let listed = |status: Option<&'static str>| {
        let alice = alice.clone();
        async move {
            ids(&alice.list_uploads(status, None, None).await.unwrap())
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        }
    };
    // By default: what still holds space.
    assert_eq!(listed(None).await, [open.upload_id.as_str()]);
    assert_eq!(listed(Some("open")).await, [open.upload_id.as_str()]);
    assert_eq!(listed(Some("completed")).await, [done.upload_id.as_str()]);
    let completed = alice
        .list_uploads(Some("completed"), None, None)
        .await
        .unwrap();
    assert_eq!(
        completed.uploads[0].file_id.as_deref(),
        Some(file.id.as_str())
    );
    assert_eq!(listed(Some("aborted")).await, [dropped.upload_id.as_str()]);
    assert!(listed(Some("failed")).await.is_empty());
    assert!(listed(Some("completing")).await.is_empty());
    assert_eq!(
        listed(Some("open,aborted,completed")).await,
        [
            open.upload_id.as_str(),
            dropped.upload_id.as_str(),
            done.upload_id.as_str()
        ]
    );

    // Past its expiry, the sweeper ends the open one: it is listed as expired, no longer open.
    app.clock.advance(Duration::from_secs(3601));
    app.run_jobs().await;
    assert!(listed(None).await.is_empty());
    assert_eq!(listed(Some("expired")).await, [open.upload_id.as_str()]);
    assert_eq!(
        listed(Some("open,completing,completed,failed,aborted,expired"))
            .await
            .len(),
        3
    );

    for bad in ["bogus", "", "OPEN", "open,", "open;aborted"] {
        let body = assert_api_error(
            alice.list_uploads(Some(bad), None, None).await,
            400,
            "invalid_query",
        );
        assert_eq!(body.error.field.as_deref(), Some("status"), "{bad:?}");
    }
}

async fn reserved_bytes_follow_unfinished_uploads(app: TestApp) {
    let (alice_user, alice) = app.user("alice", Some(10_000)).await;
    let inbox = alice.create_folder("inbox", 0).await.unwrap();
    let quota = |c: Client| async move { c.me().await.unwrap().quota };
    let zero = api::UserQuota {
        limit_bytes: Some(10_000),
        used_bytes: 0,
        reserved_bytes: 0,
        reserved_uploads: 0,
    };
    assert_eq!(quota(alice.clone()).await, zero);

    let big_bytes = vec![5u8; 4000];
    let big = start(&alice, &inbox.id, "big.bin", &big_bytes).await;
    let small_bytes = vec![6u8; 1000];
    let small = start(&alice, &inbox.id, "small.bin", &small_bytes).await;
    // The reservation is part of used_bytes, not added on top.
    let q = quota(alice.clone()).await;
    assert_eq!(
        (q.used_bytes, q.reserved_bytes, q.reserved_uploads),
        (5000, 5000, 2)
    );

    // An admin's upload into alice's folder is paid for by alice: it counts for her.
    let admins = start(&app.admin, &inbox.id, "admin.bin", &[1; 500]).await;
    let q = quota(alice.clone()).await;
    assert_eq!(
        (q.used_bytes, q.reserved_bytes, q.reserved_uploads),
        (5500, 5500, 3)
    );
    assert_eq!(quota(app.admin.clone()).await.reserved_bytes, 0);
    // Admins see it on the user too.
    let seen = app.admin.get_user(&alice_user.id).await.unwrap();
    assert_eq!(
        (seen.quota.reserved_bytes, seen.quota.reserved_uploads),
        (5500, 3)
    );
    let listed = app.admin.list_users(None, None).await.unwrap();
    let in_list = listed.users.iter().find(|u| u.id == alice_user.id).unwrap();
    assert_eq!(in_list.quota, seen.quota);

    // Aborting gives the space back.
    alice.abort_upload(&big.upload_id).await.unwrap();
    app.admin.abort_upload(&admins.upload_id).await.unwrap();
    let q = quota(alice.clone()).await;
    assert_eq!(
        (q.used_bytes, q.reserved_bytes, q.reserved_uploads),
        (1000, 1000, 1)
    );

    // Completing keeps the charge, now as the file's: nothing is reserved any more.
    finish(&alice, &small.upload_id, &small_bytes).await;
    let q = quota(alice.clone()).await;
    assert_eq!(
        (q.used_bytes, q.reserved_bytes, q.reserved_uploads),
        (1000, 0, 0)
    );

    // Expiry gives it back too.
    start(&alice, &inbox.id, "forgotten.bin", &big_bytes).await;
    assert_eq!(quota(alice.clone()).await.reserved_bytes, 4000);
    app.clock.advance(Duration::from_secs(3601));
    app.run_jobs().await;
    let q = quota(alice.clone()).await;
    assert_eq!(
        (q.used_bytes, q.reserved_bytes, q.reserved_uploads),
        (1000, 0, 0)
    );
}
