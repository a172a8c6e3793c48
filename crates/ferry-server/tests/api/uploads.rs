//! Resumable uploads: parts in any order and in parallel, verification, bad input, races.

use base64::Engine;
use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{Backend, TestApp, assert_api_error, sha256_hex};
use crate::on_all_backends;

// Also on S3 (PostgreSQL + s3s-fs): `<name>::s3`.
on_all_backends!(
    parts_in_any_order_and_in_parallel_make_a_verified_file,
    bad_parts_get_their_codes,
    a_wrong_whole_file_checksum_fails_the_upload_and_keeps_nothing,
    abort_quota_and_foreign_uploads,
    concurrent_retries_and_completes_agree,
    empty_and_huge_declared_sizes,
    on_conflict_fail_refuses_a_taken_name_before_any_byte,
    a_parts_list_must_name_every_part_exactly_once,
    an_upload_whose_folder_was_deleted_fails_and_gives_its_space_back,
    parts_sent_in_order_in_parallel_are_hashed_before_completion,
);

const MIB: usize = 1 << 20;

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 12) as u8)
        .collect()
}

fn new_upload(folder: &str, name: &str, bytes: &[u8], part_size: usize) -> api::CreateUpload {
    api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: folder.into(),
        filename: name.into(),
        size: bytes.len() as i64,
        checksum_sha256: Some(sha256_hex(bytes)),
        part_size: Some(part_size as i64),
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    }
}

fn part(bytes: &[u8], part_size: usize, n: i64) -> Vec<u8> {
    let start = (n as usize - 1) * part_size;
    bytes[start..(start + part_size).min(bytes.len())].to_vec()
}

fn digest_header(bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(d)
    )
}

async fn complete(client: &Client, id: &str) -> Result<api::File, ferry_client::ClientError> {
    let mut result = client
        .complete_upload(id, &api::CompleteUpload::default())
        .await?;
    // A 202 means verification continues: poll until it ends.
    for _ in 0..200 {
        match result {
            Ok(file) => return Ok(file),
            Err(upload) if upload.status == "completing" => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                result = client
                    .complete_upload(id, &api::CompleteUpload::default())
                    .await?;
            }
            Err(upload) => panic!("unexpected upload state {upload:?}"),
        }
    }
    panic!("upload {id} never completed")
}

async fn parts_in_any_order_and_in_parallel_make_a_verified_file(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(12 * MIB + 12345, 1);
    let ps = 5 * MIB;
    let up = alice
        .create_upload(&new_upload(&folder.id, "big.bin", &bytes, ps))
        .await
        .unwrap();
    assert_eq!(
        (up.part_size, up.part_count, up.status.as_str()),
        (ps as i64, 3, "open")
    );
    assert_eq!(up.parts[2].offset, 2 * ps as i64);
    assert_eq!(up.parts[2].size, (bytes.len() - 2 * ps) as i64);
    assert_eq!(
        up.parts[0].url,
        format!("/api/v1/uploads/{}/parts/1", up.upload_id)
    );

    // Part 3 first, then 1 and 2 at the same time.
    let r3 = alice
        .put_part(&up.upload_id, 3, part(&bytes, ps, 3), None)
        .await
        .unwrap();
    assert_eq!(r3.checksum_sha256, sha256_hex(&part(&bytes, ps, 3)));
    let digest = digest_header(&part(&bytes, ps, 1));
    let (a, b) = tokio::join!(
        alice.put_part(&up.upload_id, 1, part(&bytes, ps, 1), Some(&digest)),
        alice.put_part(&up.upload_id, 2, part(&bytes, ps, 2), None),
    );
    assert_eq!(a.unwrap().size, ps as i64);
    assert_eq!(b.unwrap().part_no, 2);
    let status = alice.get_upload(&up.upload_id).await.unwrap();
    assert_eq!(status.received_parts, vec![1, 2, 3]);
    assert_eq!(status.bytes_received, bytes.len() as i64);

    let file = complete(&alice, &up.upload_id).await.unwrap();
    assert_eq!(file.checksum_sha256, sha256_hex(&bytes));
    assert_eq!(file.size, bytes.len() as i64);
    let got = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(got.body.as_ref(), bytes.as_slice());
    // Completing again returns the same file; the session shows it.
    assert_eq!(complete(&alice, &up.upload_id).await.unwrap().id, file.id);
    let done = alice.get_upload(&up.upload_id).await.unwrap();
    assert_eq!(
        (done.status.as_str(), done.file_id.as_deref()),
        ("completed", Some(file.id.as_str()))
    );
    // Refusals come before the body is read, so these send a token byte.
    assert_api_error(
        alice.put_part(&up.upload_id, 1, vec![0], None).await,
        409,
        "upload_already_completed",
    );
    // The quota counts the file once.
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        bytes.len() as i64
    );
}

async fn bad_parts_get_their_codes(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(6 * MIB, 2);
    let ps = 5 * MIB;
    let up = alice
        .create_upload(&new_upload(&folder.id, "x.bin", &bytes, ps))
        .await
        .unwrap();
    let id = &up.upload_id;
    assert_api_error(
        alice.put_part(id, 0, vec![1], None).await,
        400,
        "invalid_part_number",
    );
    assert_api_error(
        alice.put_part(id, 3, vec![1], None).await,
        400,
        "invalid_part_number",
    );
    let res = alice
        .request(reqwest::Method::PATCH, &format!("/uploads/{id}/parts/abc"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_api_error(
        alice.put_part(id, 2, vec![0u8; 10], None).await,
        400,
        "part_size_mismatch",
    );
    // Chunked with too many bytes: refused while streaming.
    let too_long = futures::stream::iter((0..2).map(|_| Ok::<_, std::io::Error>(vec![0u8; MIB])));
    assert_api_error(
        alice
            .put_part(id, 2, reqwest::Body::wrap_stream(too_long), None)
            .await,
        400,
        "part_size_mismatch",
    );
    let wrong_digest = digest_header(b"something else");
    assert_api_error(
        alice
            .put_part(id, 2, part(&bytes, ps, 2), Some(&wrong_digest))
            .await,
        422,
        "part_checksum_mismatch",
    );
    assert_api_error(
        alice
            .put_part(id, 2, part(&bytes, ps, 2), Some("sha-256=nope"))
            .await,
        400,
        "invalid_digest",
    );
    let res = alice
        .request(reqwest::Method::PATCH, &format!("/uploads/{id}/parts/2"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        alice
            .get_upload(id)
            .await
            .unwrap()
            .received_parts
            .is_empty(),
        "no bad part was kept"
    );

    alice
        .put_part(id, 1, part(&bytes, ps, 1), None)
        .await
        .unwrap();
    let body = assert_api_error(
        alice
            .complete_upload(id, &api::CompleteUpload::default())
            .await,
        409,
        "upload_incomplete",
    );
    assert_eq!(
        body.error.details.unwrap()["missing_parts"],
        serde_json::json!([2])
    );
    let mut bad = new_upload(&folder.id, "y.bin", &bytes, ps);
    bad.checksum_sha256 = Some("abc".into());
    assert_api_error(alice.create_upload(&bad).await, 400, "invalid_checksum");
    for wish in [MIB as i64, 6 << 30] {
        let mut bad = new_upload(&folder.id, "y.bin", &bytes, ps);
        bad.part_size = Some(wish);
        assert_api_error(alice.create_upload(&bad).await, 400, "invalid_value");
    }
    let mut bad = new_upload(&folder.id, "../y.bin", &bytes, ps);
    bad.size = -1;
    assert_api_error(alice.create_upload(&bad).await, 400, "invalid_name");
    let mut bad = new_upload(&folder.id, "y.bin", &bytes, ps);
    bad.size = -1;
    assert_api_error(alice.create_upload(&bad).await, 400, "invalid_value");
}

async fn a_wrong_whole_file_checksum_fails_the_upload_and_keeps_nothing(app: TestApp) {
    let (_, alice) = app.user("alice", Some(100 * MIB as i64)).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(7 * MIB, 3);
    let ps = 5 * MIB;
    let mut req = new_upload(&folder.id, "x.bin", &bytes, ps);
    req.checksum_sha256 = Some(sha256_hex(b"not this file"));
    let up = alice.create_upload(&req).await.unwrap();
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        bytes.len() as i64,
        "space is reserved"
    );
    for n in 1..=2 {
        alice
            .put_part(&up.upload_id, n, part(&bytes, ps, n), None)
            .await
            .unwrap();
    }
    let blobs = app.blob_files().await;
    let body = assert_api_error(
        complete(&alice, &up.upload_id).await,
        422,
        "checksum_mismatch",
    );
    assert_eq!(body.error.details.unwrap()["actual"], sha256_hex(&bytes));
    assert_eq!(
        alice.get_upload(&up.upload_id).await.unwrap().status,
        "failed"
    );
    assert_eq!(app.blob_files().await, blobs);
    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        0,
        "space released"
    );
    assert_api_error(
        alice.put_part(&up.upload_id, 1, vec![0], None).await,
        409,
        "upload_failed",
    );

    // The checksum may instead come at completion; a malformed one is refused.
    let mut req = new_upload(&folder.id, "late.bin", &bytes, ps);
    req.checksum_sha256 = None;
    let up = alice.create_upload(&req).await.unwrap();
    for n in 1..=2 {
        alice
            .put_part(&up.upload_id, n, part(&bytes, ps, n), None)
            .await
            .unwrap();
    }
    assert_api_error(
        alice
            .complete_upload(&up.upload_id, &api::CompleteUpload::default())
            .await,
        400,
        "missing_field",
    );
    let malformed = api::CompleteUpload {
        parts: None,
        checksum_sha256: Some("zz".into()),
    };
    assert_api_error(
        alice.complete_upload(&up.upload_id, &malformed).await,
        400,
        "invalid_checksum",
    );
    let good = api::CompleteUpload {
        parts: Some(vec![1, 2]),
        checksum_sha256: Some(sha256_hex(&bytes)),
    };
    let file = match alice.complete_upload(&up.upload_id, &good).await.unwrap() {
        Ok(f) => f,
        Err(_) => complete(&alice, &up.upload_id).await.unwrap(),
    };
    assert_eq!(file.checksum_sha256, sha256_hex(&bytes));
}

async fn abort_quota_and_foreign_uploads(app: TestApp) {
    let (_, alice) = app.user("alice", Some(10 * MIB as i64)).await;
    let (_, mallory) = app.user("mallory", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(6 * MIB, 4);
    let ps = 5 * MIB;
    let mut too_big = new_upload(&folder.id, "big.bin", &bytes, ps);
    too_big.size = 11 * MIB as i64;
    assert_api_error(alice.create_upload(&too_big).await, 413, "quota_exceeded");

    let up = alice
        .create_upload(&new_upload(&folder.id, "x.bin", &bytes, ps))
        .await
        .unwrap();
    let id = &up.upload_id;
    // Another user cannot see, feed, complete or abort it, and cannot upload into the folder.
    assert_api_error(mallory.get_upload(id).await, 404, "not_found");
    assert_api_error(
        mallory.put_part(id, 1, part(&bytes, ps, 1), None).await,
        404,
        "not_found",
    );
    assert_api_error(
        mallory
            .complete_upload(id, &api::CompleteUpload::default())
            .await,
        404,
        "not_found",
    );
    assert_api_error(mallory.abort_upload(id).await, 404, "not_found");
    assert_api_error(
        mallory
            .create_upload(&new_upload(&folder.id, "m.bin", &bytes, ps))
            .await,
        404,
        "not_found",
    );
    assert_api_error(
        alice.get_upload("upl_000000000000000000000000").await,
        404,
        "not_found",
    );
    assert_api_error(
        alice.get_upload("fil_000000000000000000000000").await,
        404,
        "not_found",
    );

    alice
        .put_part(id, 1, part(&bytes, ps, 1), None)
        .await
        .unwrap();
    alice.abort_upload(id).await.unwrap();
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert_api_error(
        alice.put_part(id, 2, vec![0], None).await,
        409,
        "upload_aborted",
    );
    assert_api_error(
        alice
            .complete_upload(id, &api::CompleteUpload::default())
            .await,
        409,
        "upload_aborted",
    );
    assert_eq!(alice.get_upload(id).await.unwrap().status, "aborted");
}

async fn concurrent_retries_and_completes_agree(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(11 * MIB, 5);
    let ps = 5 * MIB;
    let up = alice
        .create_upload(&new_upload(&folder.id, "x.bin", &bytes, ps))
        .await
        .unwrap();
    let id = up.upload_id.clone();
    // The same part three times at once, with the others.
    let sends = (1..=3).chain([2, 2]).map(|n| {
        let alice = alice.clone();
        let id = id.clone();
        let body = part(&bytes, ps, n);
        tokio::spawn(async move { alice.put_part(&id, n, body, None).await })
    });
    for s in futures::future::join_all(sends).await {
        s.unwrap().unwrap();
    }
    // Two completes at once: one file, the same for both.
    let (a, b) = tokio::join!(complete(&alice, &id), complete(&alice, &id));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.id, b.id);
    assert_eq!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
    assert_eq!(
        alice.download(&a.id, &[]).await.unwrap().body.as_ref(),
        bytes.as_slice()
    );
}

async fn empty_and_huge_declared_sizes(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let up = alice
        .create_upload(&new_upload(&folder.id, "empty.txt", b"", 5 * MIB))
        .await
        .unwrap();
    assert_eq!((up.part_count, up.parts[0].size), (1, 0));
    alice
        .put_part(&up.upload_id, 1, Vec::new(), None)
        .await
        .unwrap();
    let file = complete(&alice, &up.upload_id).await.unwrap();
    assert_eq!(file.checksum_sha256, sha256_hex(b""));

    // The reference example: 18,446,744,073 bytes is planned as 275 parts of 64 MiB.
    let seed = api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: folder.id.clone(),
        filename: "media-export.zip".into(),
        size: 18_446_744_073,
        checksum_sha256: Some("0".repeat(64)),
        part_size: None,
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    };
    let up = alice.create_upload(&seed).await.unwrap();
    assert_eq!((up.part_size, up.part_count), (64 << 20, 275));
    assert_eq!(
        up.parts.last().unwrap().size,
        18_446_744_073 - 274 * (64 << 20)
    );
    alice.abort_upload(&up.upload_id).await.unwrap();

    let huge = api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        size: 6 << 40,
        ..seed
    };
    assert_api_error(alice.create_upload(&huge).await, 413, "file_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_after_expiry_are_refused_and_the_sweeper_releases_space() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.uploads.session_ttl_secs = 3600)
        .await
        .unwrap();
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(MIB, 6);
    let up = alice
        .create_upload(&new_upload(&folder.id, "x.bin", &bytes, 5 * MIB))
        .await
        .unwrap();
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, MIB as i64);
    // An hour and a bit later (the server's clock moves; nothing sleeps).
    app.clock.advance(std::time::Duration::from_secs(3601));
    assert_api_error(
        alice.put_part(&up.upload_id, 1, vec![0], None).await,
        410,
        "upload_session_expired",
    );
    assert_api_error(
        alice
            .complete_upload(&up.upload_id, &api::CompleteUpload::default())
            .await,
        410,
        "upload_session_expired",
    );
    // One pass of the workers marks the session expired and removes its data.
    app.run_jobs().await;
    let data = app.dir.path().join("uploads").join(&up.upload_id);
    assert_eq!(
        alice.get_upload(&up.upload_id).await.unwrap().status,
        "expired"
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert!(!data.exists(), "session data removed");
    // The audit dates the expiry by the server's clock, an hour on.
    let events = app
        .admin
        .audit_events(&[("action", "upload.expired")])
        .await
        .unwrap()
        .events;
    let expired = time::OffsetDateTime::parse(
        &events[0].time,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(expired - time::OffsetDateTime::now_utc() > time::Duration::minutes(59));
}

async fn on_conflict_fail_refuses_a_taken_name_before_any_byte(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let bytes = data(1000, 7);
    let first = alice
        .create_upload(&new_upload(&folder.id, "Report.pdf", &bytes, 5 * MIB))
        .await
        .unwrap();
    alice
        .put_part(&first.upload_id, 1, bytes.clone(), None)
        .await
        .unwrap();
    complete(&alice, &first.upload_id).await.unwrap();

    let mut again = new_upload(&folder.id, "Report.pdf", &bytes, 5 * MIB);
    again.on_conflict = Some("fail".into());
    assert_api_error(alice.create_upload(&again).await, 409, "name_conflict");
    // Nothing was reserved for the refused upload.
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 1000);

    // A name taken while the parts arrive is still refused at completion.
    let mut late = new_upload(&folder.id, "late.pdf", &bytes, 5 * MIB);
    late.on_conflict = Some("fail".into());
    let late = alice.create_upload(&late).await.unwrap();
    let other = alice
        .create_upload(&new_upload(&folder.id, "late.pdf", &bytes, 5 * MIB))
        .await
        .unwrap();
    alice
        .put_part(&other.upload_id, 1, bytes.clone(), None)
        .await
        .unwrap();
    complete(&alice, &other.upload_id).await.unwrap();
    alice
        .put_part(&late.upload_id, 1, bytes.clone(), None)
        .await
        .unwrap();
    assert_api_error(
        complete(&alice, &late.upload_id).await,
        409,
        "name_conflict",
    );
}

async fn a_parts_list_must_name_every_part_exactly_once(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let ps = 5 * MIB;
    let bytes = data(2 * ps + 10, 3);
    let up = alice
        .create_upload(&new_upload(&folder.id, "three.bin", &bytes, ps))
        .await
        .unwrap();
    for n in 1..=3 {
        alice
            .put_part(&up.upload_id, n, part(&bytes, ps, n), None)
            .await
            .unwrap();
    }
    let with_parts = |parts: Vec<i64>| api::CompleteUpload {
        parts: Some(parts),
        ..Default::default()
    };
    for bad in [vec![1, 2, 2, 3], vec![1, 3], vec![]] {
        let body = assert_api_error(
            alice
                .complete_upload(&up.upload_id, &with_parts(bad.clone()))
                .await,
            400,
            "invalid_parts",
        );
        assert_eq!(body.error.field.as_deref(), Some("parts"), "{bad:?}");
    }
    let body = assert_api_error(
        alice
            .complete_upload(&up.upload_id, &with_parts(vec![1, 2, 2, 3]))
            .await,
        400,
        "invalid_parts",
    );
    assert_eq!(
        body.error.details.unwrap()["duplicates"],
        serde_json::json!([2])
    );
    assert_api_error(
        alice
            .complete_upload(&up.upload_id, &with_parts(vec![1, 2, 3, 4]))
            .await,
        400,
        "invalid_part_number",
    );
    // Nothing was published by the refusals; the exact list completes.
    assert_eq!(
        alice.get_upload(&up.upload_id).await.unwrap().status,
        "open"
    );
    let file = alice
        .complete_upload(&up.upload_id, &with_parts(vec![3, 1, 2]))
        .await
        .unwrap();
    let file = match file {
        Ok(file) => file,
        Err(_) => complete(&alice, &up.upload_id).await.unwrap(),
    };
    assert_eq!(file.checksum_sha256, sha256_hex(&bytes));
}

async fn an_upload_whose_folder_was_deleted_fails_and_gives_its_space_back(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let sub = alice.create_folder_in(Some(&top.id), "sub").await.unwrap();
    let bytes = data(1000, 3);
    let up = alice
        .create_upload(&new_upload(&sub.id, "late.bin", &bytes, 5 * MIB))
        .await
        .unwrap();
    alice
        .put_part(&up.upload_id, 1, bytes.clone(), None)
        .await
        .unwrap();
    assert_eq!(alice.me().await.unwrap().quota.reserved_bytes, 1000);
    // The folder goes to the trash while the upload is open: completing finds nowhere to put
    // the file, so the upload fails for good instead of staying `completing`.
    alice.delete_folder(&sub.id, false).await.unwrap();
    assert_api_error(complete(&alice, &up.upload_id).await, 404, "not_found");
    let after = alice.get_upload(&up.upload_id).await.unwrap();
    assert_eq!(after.status, "failed");
    let me = alice.me().await.unwrap();
    assert_eq!((me.quota.reserved_bytes, me.quota.used_bytes), (0, 0));
}

/// Parts sent in order but in parallel (as `ferry upload` does): the whole-file hash reaches
/// the last part without completion reading anything back, on S3 too, where a part cannot be
/// read before the upload is composed (each part waiting for the ones before it holds its
/// bytes for the hash).
async fn parts_sent_in_order_in_parallel_are_hashed_before_completion(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("inbox", 0).await.unwrap();
    let ps = 5 * MIB;
    let bytes = data(4 * ps + 999, 7);
    let up = alice
        .create_upload(&new_upload(&folder.id, "parallel.bin", &bytes, ps))
        .await
        .unwrap();
    let sends = (1..=5).map(|n| alice.put_part(&up.upload_id, n, part(&bytes, ps, n), None));
    for sent in futures::future::join_all(sends).await {
        sent.unwrap();
    }
    let state = app.server.as_ref().unwrap().state();
    let mut hashed = 0;
    for _ in 0..500 {
        let mut conn = state.store.conn().await.unwrap();
        hashed = ferry_store::uploads::get(&mut conn, &up.upload_id)
            .await
            .unwrap()
            .unwrap()
            .hashed_parts;
        if hashed == 5 {
            break;
        }
        drop(conn);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(hashed, 5, "the whole-file hash did not reach the last part");
    let file = complete(&alice, &up.upload_id).await.unwrap();
    assert_eq!(file.checksum_sha256, sha256_hex(&bytes));
    let got = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(got.body.as_ref(), bytes.as_slice());
}
