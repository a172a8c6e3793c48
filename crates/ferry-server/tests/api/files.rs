//! Files: simple upload, metadata, downloads with Range, deletion and retention hold.

use ferry_api as api;
use ferry_client::{Client, ClientError};
use reqwest::Method;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse, sha256_hex};
use crate::{on_all_backends, on_both_backends, on_both_backends_with};

on_both_backends!(
    multipart_upload_refuses_bad_forms,
    unknown_file_ids_are_not_found,
    other_users_files_are_not_found,
    early_upload_errors_close_the_connection_cleanly,
);

// Also on S3 (PostgreSQL + s3s-fs): `<name>::s3`.
on_all_backends!(
    upload_download_delete_flow,
    quota_is_enforced_and_nothing_is_kept,
    upload_refuses_bad_input,
    multipart_upload_with_ttl,
    same_name_is_renamed_or_refused,
    empty_files_upload_and_download,
);

on_both_backends_with!(without_purge; files_past_their_ttl_are_expired);

/// The purge job would delete expired files (then they are 404) before the test sees them.
fn without_purge(c: &mut ferry_server::Config) {
    c.storage.gc_interval_secs = 3600;
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn upload_download_delete_flow(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("Partner deliveries", 30).await.unwrap();
    let data = pseudo_random(3 << 20, 7);
    let file = alice
        .upload(&folder.id, "média export.zip", data.clone())
        .await
        .unwrap();
    assert_eq!(file.size, data.len() as i64);
    assert_eq!(file.checksum_sha256, sha256_hex(&data));
    assert_eq!(file.mime_type, "application/zip");
    assert_eq!(file.retention.state, "active");

    let meta = alice.get_file(&file.id).await.unwrap();
    assert_eq!(meta.name, "média export.zip");

    let full = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(full.status, 200);
    assert_eq!(full.body.as_ref(), data.as_slice());
    let etag = full.headers["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", file.checksum_sha256));
    assert_eq!(
        full.headers["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"m_dia export.zip\"; filename*=UTF-8''m%C3%A9dia%20export.zip"
    );

    let part = alice
        .download(&file.id, &[("range", "bytes=100-199")])
        .await
        .unwrap();
    assert_eq!(part.status, 206);
    assert_eq!(part.body.as_ref(), &data[100..200]);
    assert_eq!(
        part.headers["content-range"],
        format!("bytes 100-199/{}", data.len()).as_str()
    );

    let suffix = alice
        .download(&file.id, &[("range", "bytes=-10")])
        .await
        .unwrap();
    assert_eq!(suffix.body.as_ref(), &data[data.len() - 10..]);

    let multi = alice
        .download(&file.id, &[("range", "bytes=0-4,1000-1004")])
        .await
        .unwrap();
    assert_eq!(multi.status, 206);
    let ctype = multi.headers["content-type"].to_str().unwrap();
    let boundary = ctype
        .strip_prefix("multipart/byteranges; boundary=")
        .expect(ctype);
    let body = multi.body.as_ref();
    assert_eq!(
        multi.headers["content-length"],
        body.len().to_string().as_str()
    );
    let text = String::from_utf8_lossy(body);
    assert_eq!(text.matches(&format!("--{boundary}")).count(), 3);
    assert!(text.contains(&format!("Content-Range: bytes 1000-1004/{}", data.len())));
    let first = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&body[first..first + 5], &data[0..5]);

    let not_modified = alice
        .download(&file.id, &[("if-none-match", &etag)])
        .await
        .unwrap();
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());

    let stale = alice
        .download(
            &file.id,
            &[("range", "bytes=0-9"), ("if-range", "\"0000\"")],
        )
        .await
        .unwrap();
    assert_eq!(stale.status, 200, "a stale If-Range gets the whole file");
    assert_eq!(stale.body.len(), data.len());

    let past_end = alice
        .download(&file.id, &[("range", &format!("bytes={}-", data.len()))])
        .await
        .unwrap();
    assert_eq!(past_end.status, 416);
    assert_eq!(
        past_end.headers["content-range"],
        format!("bytes */{}", data.len()).as_str()
    );
    let err: ferry_api::ErrorBody = serde_json::from_slice(&past_end.body).unwrap();
    assert_eq!(err.error.code, "range_not_satisfiable");

    let listed = alice.list_files(&folder.id, None, None).await.unwrap();
    assert_eq!(listed.files.len(), 1);

    // The folder keeps deleted files for 30 days: the file is held, not gone.
    let held = alice
        .delete_file(&file.id)
        .await
        .unwrap()
        .expect("held file returned");
    assert_eq!(held.retention.state, "held");
    assert!(held.retention.held_until.is_some());
    let gone = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(gone.status, 410);
    let err: ferry_api::ErrorBody = serde_json::from_slice(&gone.body).unwrap();
    assert_eq!(err.error.code, "file_held");
    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_api_error(alice.delete_file(&file.id).await, 410, "file_held");
    // Admins may still read a held file.
    let by_admin = app.admin.download(&file.id, &[]).await.unwrap();
    assert_eq!(by_admin.status, 200);
    assert_eq!(by_admin.body.len(), data.len());

    // A folder without retention deletes at once.
    let scratch = alice.create_folder("scratch", 0).await.unwrap();
    let tmp = alice
        .upload(&scratch.id, "tmp.bin", b"temporary".to_vec())
        .await
        .unwrap();
    assert!(alice.delete_file(&tmp.id).await.unwrap().is_none());
    assert_api_error(alice.get_file(&tmp.id).await, 404, "not_found");
}

async fn quota_is_enforced_and_nothing_is_kept(app: TestApp) {
    let (_, bob) = app.user("bob", Some(1000)).await;
    let folder = bob.create_folder("small", 0).await.unwrap();
    bob.upload(&folder.id, "a.bin", vec![1u8; 600])
        .await
        .unwrap();
    let blobs_before = app.blob_files().await;
    assert_api_error(
        bob.upload(&folder.id, "b.bin", vec![2u8; 600]).await,
        413,
        "quota_exceeded",
    );
    // Chunked (no Content-Length): refused while streaming.
    let chunks = futures::stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![3u8; 100])));
    assert_api_error(
        bob.upload(&folder.id, "c.bin", reqwest::Body::wrap_stream(chunks))
            .await,
        413,
        "quota_exceeded",
    );
    assert_eq!(app.blob_files().await, blobs_before);
    assert_eq!(app.staging_files(), 0);
    let me = bob.me().await.unwrap();
    assert_eq!(me.quota.used_bytes, 600);
    assert_eq!(
        bob.list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
}

/// `POST /folders/{id}/files?{query}` with `body` as `content_type`.
async fn upload_raw(
    client: &Client,
    folder_id: &str,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Result<api::File, ClientError> {
    let res = client
        .request(Method::POST, &format!("/folders/{folder_id}/files?{query}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    parse(res).await
}

const BOUNDARY: &str = "ferry-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body (RFC 7578) of `(field name, file name, content)` parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

async fn upload_refuses_bad_input(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("in", 0).await.unwrap();
    let octets = "application/octet-stream";
    let data = b"some bytes".to_vec();

    assert_field_error(
        upload_raw(&alice, &folder.id, "", octets, data.clone()).await,
        400,
        "missing_field",
        "filename",
    );
    // No Content-Type is taken as raw bytes, so the file name is still required.
    let res = alice
        .request(Method::POST, &format!("/folders/{}/files", folder.id))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_field_error(
        parse::<api::File>(res).await,
        400,
        "missing_field",
        "filename",
    );

    for name in ["../x", "..", "a/b", "a%5Cb", "nul%00", "", "%20padded"] {
        assert_field_error(
            upload_raw(
                &alice,
                &folder.id,
                &format!("filename={name}"),
                octets,
                data.clone(),
            )
            .await,
            400,
            "invalid_name",
            "filename",
        );
    }
    assert_field_error(
        alice.upload(&folder.id, "../x", data.clone()).await,
        400,
        "invalid_name",
        "filename",
    );

    for ttl in ["-5", "0", "99999999999", "315360001"] {
        assert_field_error(
            upload_raw(
                &alice,
                &folder.id,
                &format!("filename=a.txt&ttl={ttl}"),
                octets,
                data.clone(),
            )
            .await,
            400,
            "invalid_value",
            "ttl",
        );
    }
    for (query, field) in [
        ("filename=a.txt&ttl=soon", "ttl"),
        ("filename=a.txt&ttl=1.5", "ttl"),
        ("filename=a.txt&on_conflict=maybe", "on_conflict"),
    ] {
        assert_field_error(
            upload_raw(&alice, &folder.id, query, octets, data.clone()).await,
            400,
            "invalid_query",
            field,
        );
    }

    for content_type in ["application/json", "text/plain", "image/png"] {
        assert_api_error(
            upload_raw(
                &alice,
                &folder.id,
                "filename=a.txt",
                content_type,
                data.clone(),
            )
            .await,
            400,
            "unsupported_content_type",
        );
    }

    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert_eq!(app.blob_files().await, 0);
    assert_eq!(app.staging_files(), 0);

    // The longest ttl (ten years) is fine.
    let file = upload_raw(
        &alice,
        &folder.id,
        "filename=a.txt&ttl=315360000",
        octets,
        data,
    )
    .await
    .unwrap();
    assert!(file.retention.expires_at.is_some());
}

async fn multipart_upload_with_ttl(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("forms", 0).await.unwrap();
    let data = pseudo_random(300_000, 11);

    let body = multipart(&[("ttl", None, b"3600"), ("file", Some("report.pdf"), &data)]);
    let res = alice
        .request(Method::POST, &format!("/folders/{}/files", folder.id))
        .header("content-type", multipart_type())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let file: api::File = parse(res).await.unwrap();
    assert_eq!(file.name, "report.pdf");
    assert_eq!(file.size, data.len() as i64);
    assert_eq!(file.checksum_sha256, sha256_hex(&data));
    assert_eq!(file.mime_type, "application/pdf");
    assert_eq!(file.folder_id, folder.id);
    let expires = file
        .retention
        .expires_at
        .clone()
        .expect("ttl gives expires_at");
    let expires =
        time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let left = (expires - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((3500..=3601).contains(&left), "expires in {left}s");

    let down = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(down.status, 200);
    assert_eq!(down.body.as_ref(), data.as_slice());

    // The `ttl` field may come after the file; other fields are ignored.
    let body = multipart(&[
        ("comment", None, b"ignored"),
        ("file", Some("notes.txt"), b"hello multipart"),
        ("ttl", None, b"60"),
    ]);
    let notes = upload_raw(&alice, &folder.id, "", &multipart_type(), body)
        .await
        .unwrap();
    assert_eq!(notes.name, "notes.txt");
    assert_eq!(notes.size, 15);
    assert!(notes.retention.expires_at.is_some());

    // Without a ttl the file does not expire; the `filename` query names the file.
    let body = multipart(&[("file", Some("orig.bin"), b"renamed by query")]);
    let named = upload_raw(
        &alice,
        &folder.id,
        "filename=chosen.txt",
        &multipart_type(),
        body,
    )
    .await
    .unwrap();
    assert_eq!(named.name, "chosen.txt");
    assert!(named.retention.expires_at.is_none());
    assert_eq!(
        alice.download(&named.id, &[]).await.unwrap().body.as_ref(),
        b"renamed by query"
    );
    assert_eq!(app.staging_files(), 0);
}

async fn multipart_upload_refuses_bad_forms(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("forms", 0).await.unwrap();
    let form = multipart_type();
    let post = |body: Vec<u8>| upload_raw(&alice, &folder.id, "", &form, body);

    assert_field_error(
        post(multipart(&[("ttl", None, b"60")])).await,
        400,
        "missing_field",
        "file",
    );
    assert_field_error(
        post(multipart(&[
            ("file", Some("a.txt"), b"x"),
            ("ttl", None, b"soon"),
        ]))
        .await,
        400,
        "invalid_value",
        "ttl",
    );
    for ttl in [b"-5".as_slice(), b"0", b"99999999999"] {
        assert_field_error(
            post(multipart(&[
                ("ttl", None, ttl),
                ("file", Some("a.txt"), b"x"),
            ]))
            .await,
            400,
            "invalid_value",
            "ttl",
        );
    }
    assert_field_error(
        post(multipart(&[("file", Some("../evil"), b"x")])).await,
        400,
        "invalid_name",
        "filename",
    );
    assert_field_error(
        post(multipart(&[("file", None, b"x")])).await,
        400,
        "missing_field",
        "filename",
    );
    assert_api_error(
        post(multipart(&[
            ("file", Some("a.txt"), b"x"),
            ("file", Some("b.txt"), b"y"),
        ]))
        .await,
        400,
        "invalid_multipart",
    );
    // A multipart type without its boundary.
    assert_api_error(
        upload_raw(
            &alice,
            &folder.id,
            "",
            "multipart/form-data",
            multipart(&[("file", Some("a.txt"), b"x")]),
        )
        .await,
        400,
        "invalid_multipart",
    );

    assert!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert_eq!(app.blob_files().await, 0);
    assert_eq!(app.staging_files(), 0);
}

async fn files_past_their_ttl_are_expired(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("short-lived", 0).await.unwrap();
    let octets = "application/octet-stream";
    let file = upload_raw(
        &alice,
        &folder.id,
        "filename=brief.txt&ttl=3",
        octets,
        b"soon gone".to_vec(),
    )
    .await
    .unwrap();
    assert!(file.retention.expires_at.is_some());
    assert_eq!(
        alice.get_file(&file.id).await.unwrap().retention.state,
        "active"
    );
    let keeper = alice
        .upload(&folder.id, "keeper.txt", b"stays".to_vec())
        .await
        .unwrap();

    // Expired but not yet purged (the purge job is off here): 410, not 404.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    assert_api_error(alice.get_file(&file.id).await, 410, "file_expired");
    let gone = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(gone.status, 410);
    let err: api::ErrorBody = serde_json::from_slice(&gone.body).unwrap();
    assert_eq!(err.error.code, "file_expired");
    let ranged = alice
        .download(&file.id, &[("range", "bytes=0-1")])
        .await
        .unwrap();
    assert_eq!(ranged.status, 410);

    let names: Vec<_> = alice
        .list_files(&folder.id, None, None)
        .await
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["keeper.txt"], "expired files are not listed");
    assert_eq!(alice.download(&keeper.id, &[]).await.unwrap().status, 200);
}

async fn same_name_is_renamed_or_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("dupes", 0).await.unwrap();
    let octets = "application/octet-stream";

    let mut names = Vec::new();
    for i in 0..3 {
        let data = format!("version {i}").into_bytes();
        names.push(
            alice
                .upload(&folder.id, "report.pdf", data)
                .await
                .unwrap()
                .name,
        );
    }
    assert_eq!(names, ["report.pdf", "report (1).pdf", "report (2).pdf"]);

    alice
        .upload(&folder.id, "README", b"1".to_vec())
        .await
        .unwrap();
    assert_eq!(
        alice
            .upload(&folder.id, "README", b"2".to_vec())
            .await
            .unwrap()
            .name,
        "README (1)"
    );
    alice
        .upload(&folder.id, ".env", b"1".to_vec())
        .await
        .unwrap();
    assert_eq!(
        alice
            .upload(&folder.id, ".env", b"2".to_vec())
            .await
            .unwrap()
            .name,
        ".env (1)"
    );
    let renamed = upload_raw(
        &alice,
        &folder.id,
        "filename=README&on_conflict=rename",
        octets,
        b"3".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(renamed.name, "README (2)");

    let used = alice.me().await.unwrap().quota.used_bytes;
    let blobs = app.blob_files().await;
    assert_api_error(
        upload_raw(
            &alice,
            &folder.id,
            "filename=report.pdf&on_conflict=fail",
            octets,
            b"new content".to_vec(),
        )
        .await,
        409,
        "name_conflict",
    );
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        used,
        "nothing charged"
    );
    assert_eq!(app.blob_files().await, blobs, "nothing stored");
    assert_eq!(app.staging_files(), 0);
    let fresh = upload_raw(
        &alice,
        &folder.id,
        "filename=fresh.pdf&on_conflict=fail",
        octets,
        b"ok".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(fresh.name, "fresh.pdf");

    // Concurrent uploads of one name each get a name of their own.
    let uploads = (0..6).map(|i| {
        let alice = alice.clone();
        let id = folder.id.clone();
        async move {
            let data = format!("concurrent {i}").into_bytes();
            alice.upload(&id, "same.txt", data).await.unwrap()
        }
    });
    let mut names: Vec<_> = futures::future::join_all(uploads)
        .await
        .into_iter()
        .map(|f| f.name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "same (1).txt",
            "same (2).txt",
            "same (3).txt",
            "same (4).txt",
            "same (5).txt",
            "same.txt"
        ]
    );

    // A deleted file frees its name; another folder has its own names.
    let doomed = alice
        .upload(&folder.id, "doomed.txt", b"x".to_vec())
        .await
        .unwrap();
    alice.delete_file(&doomed.id).await.unwrap();
    assert_eq!(
        alice
            .upload(&folder.id, "doomed.txt", b"y".to_vec())
            .await
            .unwrap()
            .name,
        "doomed.txt"
    );
    let other = alice.create_folder("other", 0).await.unwrap();
    assert_eq!(
        alice
            .upload(&other.id, "report.pdf", b"z".to_vec())
            .await
            .unwrap()
            .name,
        "report.pdf"
    );
}

async fn unknown_file_ids_are_not_found(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("f", 0).await.unwrap();
    for id in [
        "fil_0123456789abcdef01234567",
        "fld_0123456789abcdef01234567",
        folder.id.as_str(),
        "fil_",
        "fil_ZZZ",
        "..%2F..%2Fetc%2Fpasswd",
    ] {
        assert_api_error(alice.get_file(id).await, 404, "not_found");
        let res = alice.download(id, &[]).await.unwrap();
        assert_eq!(res.status, 404, "{id}");
        let err: api::ErrorBody = serde_json::from_slice(&res.body).unwrap();
        assert_eq!(err.error.code, "not_found");
        assert_api_error(alice.delete_file(id).await, 404, "not_found");
        assert_api_error(app.admin.get_file(id).await, 404, "not_found");
    }
}

async fn other_users_files_are_not_found(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let folder = alice.create_folder("mine", 0).await.unwrap();
    let file = alice
        .upload(&folder.id, "secret.txt", b"top secret".to_vec())
        .await
        .unwrap();

    assert_api_error(bob.get_file(&file.id).await, 404, "not_found");
    let res = bob.download(&file.id, &[]).await.unwrap();
    assert_eq!(res.status, 404);
    let err: api::ErrorBody = serde_json::from_slice(&res.body).unwrap();
    assert_eq!(err.error.code, "not_found");
    assert!(!res.body.windows(6).any(|w| w == b"secret"));
    let ranged = bob
        .download(&file.id, &[("range", "bytes=0-3")])
        .await
        .unwrap();
    assert_eq!(ranged.status, 404);
    assert_api_error(bob.delete_file(&file.id).await, 404, "not_found");

    // Still there for its owner.
    assert_eq!(alice.get_file(&file.id).await.unwrap().name, "secret.txt");
    assert_eq!(
        alice.download(&file.id, &[]).await.unwrap().body.as_ref(),
        b"top secret"
    );
    assert_eq!(
        alice
            .list_files(&folder.id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
}

async fn empty_files_upload_and_download(app: TestApp) {
    let (_, alice) = app.user("alice", Some(0)).await;
    let folder = alice.create_folder("empty", 0).await.unwrap();
    let empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(sha256_hex(b""), empty_sha);

    // Even a zero quota admits an empty file.
    let file = alice
        .upload(&folder.id, "empty.txt", Vec::new())
        .await
        .unwrap();
    assert_eq!(file.size, 0);
    assert_eq!(file.checksum_sha256, empty_sha);
    assert_eq!(alice.get_file(&file.id).await.unwrap().size, 0);

    let down = alice.download(&file.id, &[]).await.unwrap();
    assert_eq!(down.status, 200);
    assert!(down.body.is_empty());
    assert_eq!(down.headers["content-length"], "0");
    assert_eq!(
        down.headers["etag"].to_str().unwrap(),
        format!("\"{empty_sha}\"")
    );

    // The same through a form.
    let body = multipart(&[("file", Some("empty.bin"), b"")]);
    let form = upload_raw(&alice, &folder.id, "", &multipart_type(), body)
        .await
        .unwrap();
    assert_eq!((form.size, form.checksum_sha256.as_str()), (0, empty_sha));
    assert!(alice.download(&form.id, &[]).await.unwrap().body.is_empty());
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
}

/// Sends `head` and the first part of a request body on a raw connection, reads the answer
/// (given before the body is complete), then tries to finish the body and send a second
/// request on the same connection. Returns the first answer's head and whether the connection
/// stayed usable.
async fn early_answer_on_raw_connection(
    app: &TestApp,
    head: String,
    first: &[u8],
    rest: &[u8],
) -> (String, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    let mut buf = Vec::new();
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed without an answer");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    return head;
                }
            }
        }
    })
    .await
    .expect("an answer within 10 s");
    // Finish the body and ask again on the same connection.
    let second = async {
        stream.write_all(rest).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: ferry\r\n\r\n")
            .await?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(answer);
            }
            answer.extend_from_slice(&chunk[..n]);
            if answer.windows(6).any(|w| w == b"\"ok\"}") {
                return Ok(answer);
            }
        }
    };
    let usable = match tokio::time::timeout(std::time::Duration::from_secs(20), second).await {
        Ok(Ok(answer)) => answer.starts_with(b"HTTP/1.1 200"),
        _ => false,
    };
    (response, usable)
}

/// An upload refused before its body is read (unknown folder, declared size over quota) must
/// not leave the client with a connection it believes is reusable but the server closes: the
/// answer either says `Connection: close`, or the connection keeps working.
async fn early_upload_errors_close_the_connection_cleanly(app: TestApp) {
    let (_, alice) = app.user("alice", Some(1000)).await;
    let folder = alice.create_folder("mine", 0).await.unwrap();
    let (_, _bob) = app.user("bob", None).await;
    let bob_token = app
        .anon
        .login("bob", "password-bob")
        .await
        .unwrap()
        .access_token;
    let alice_token = app
        .anon
        .login("alice", "password-alice")
        .await
        .unwrap()
        .access_token;
    let chunk = |n: usize| {
        let mut c = format!("{n:x}\r\n").into_bytes();
        c.extend(std::iter::repeat_n(b'x', n));
        c.extend_from_slice(b"\r\n");
        c
    };
    let mut last = chunk(1000);
    last.extend_from_slice(b"0\r\n\r\n");

    // 404: someone else's folder, chunked body.
    let head = format!(
        "POST /api/v1/folders/{}/files?filename=a.bin HTTP/1.1\r\nHost: ferry\r\n\
         Authorization: Bearer {bob_token}\r\nContent-Type: application/octet-stream\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        folder.id
    );
    let (answer, usable) = early_answer_on_raw_connection(&app, head, &chunk(1000), &last).await;
    assert!(answer.starts_with("http/1.1 404"), "{answer}");
    let mut broken = Vec::new();
    if !answer.contains("\r\nconnection: close") && !usable {
        broken.push(answer);
    }

    // 413: a declared length over the quota.
    let head = format!(
        "POST /api/v1/folders/{}/files?filename=b.bin HTTP/1.1\r\nHost: ferry\r\n\
         Authorization: Bearer {alice_token}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 5000\r\n\r\n",
        folder.id
    );
    let (answer, usable) =
        early_answer_on_raw_connection(&app, head, &[b'y'; 1000], &[b'y'; 4000]).await;
    assert!(answer.starts_with("http/1.1 413"), "{answer}");
    if !answer.contains("\r\nconnection: close") && !usable {
        broken.push(answer);
    }
    assert_eq!(app.blob_files().await, 0);
    assert!(
        broken.is_empty(),
        "the server closed the connection after answering without `Connection: close`:\n{}",
        broken.join("\n\n")
    );
}
