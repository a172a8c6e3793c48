//! Archives: a folder (`GET /folders/{id}/archive`) or a list of items (`POST /archives`) as a
//! stored zip that `unzip`, Python's `zipfile` and `bsdtar` open, with names and contents as
//! in Ferry; ranges and resumes give the same bytes; zip64 for more than 65,535 entries and
//! for files over 4 GiB; the files are audited once per archive delivered to its end.

use std::path::Path;
use std::process::Command;

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;

use crate::helpers::{TestApp, assert_api_error, sha256_hex};
use crate::{on_all_backends, on_both_backends};

on_both_backends!(
    old_blobs_get_their_crc_on_first_archive,
    more_than_65535_entries_use_zip64,
    a_file_over_4_gib_uses_zip64,
);

// Also on S3 (PostgreSQL + s3s-fs): `<name>::s3`.
on_all_backends!(
    a_folder_archive_opens_everywhere_with_its_tree,
    ranges_and_resumes_give_the_same_bytes,
    item_lists_and_bad_input,
    resumable_uploads_keep_their_crc,
);

/// Runs `python3 -c script path` and returns its standard output.
pub(crate) fn python(script: &str, path: &Path) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `unzip -t` and `bsdtar -tf` accept the archive (bsdtar: skipped with a message when it is
/// not installed; `.ci/run` installs it).
fn check_with_tools(path: &Path) -> Vec<String> {
    let out = Command::new("unzip")
        .arg("-tq")
        .arg(path)
        .output()
        .expect("unzip runs");
    assert!(
        out.status.success(),
        "unzip -t failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match Command::new("bsdtar").arg("-tf").arg(path).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "bsdtar -tf failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        }
        Err(_) => {
            eprintln!("SKIPPED: bsdtar is not installed (apt-get install libarchive-tools)");
            Vec::new()
        }
    }
}

/// Python's view: `testzip()` passes, and every entry's name with the SHA-256 of its content.
pub(crate) const LIST: &str = r#"import sys, zipfile, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for i in z.infolist():
    assert i.compress_type == zipfile.ZIP_STORED and i.flag_bits & 0x800
    print(i.filename + '\t' + hashlib.sha256(z.read(i)).hexdigest())"#;

async fn body_of(
    res: reqwest::Response,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

/// The archive downloads audited, once at least `expected` are (an archive is audited just
/// after its last byte went out), and after a moment more, so that extra ones show too.
async fn archive_events(app: &TestApp, expected: usize) -> Vec<api::Event> {
    let read = || async {
        app.admin
            .audit_events(&[("action", "file.downloaded"), ("limit", "1000")])
            .await
            .unwrap()
            .events
            .into_iter()
            .filter(|e| e.details["via"] == "archive")
            .collect::<Vec<_>>()
    };
    for _ in 0..200 {
        if read().await.len() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    read().await
}

async fn a_folder_archive_opens_everywhere_with_its_tree(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Fotos été", 0).await.unwrap();
    let sub = alice.create_folder_in(Some(&top.id), "sub").await.unwrap();
    alice
        .create_folder_in(Some(&top.id), "empty")
        .await
        .unwrap();
    let big: Vec<u8> = (0..700_000u32).map(|i| (i * 7 % 251) as u8).collect();
    alice
        .upload(&top.id, "a.txt", b"hello".to_vec())
        .await
        .unwrap();
    alice
        .upload(&top.id, "naïve ü.bin", big.clone())
        .await
        .unwrap();
    alice
        .upload(&sub.id, "b.txt", b"inner".to_vec())
        .await
        .unwrap();

    let res = alice.folder_archive(&top.id, &[]).await.unwrap();
    let (status, headers, zip) = body_of(res).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(headers["content-length"], zip.len().to_string().as_str());
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(headers["etag"].to_str().unwrap().starts_with("\"zip-"));
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''Fotos%20%C3%A9t%C3%A9.zip")
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.zip");
    std::fs::write(&path, &zip).unwrap();
    let listed = python(LIST, &path);
    let mut expected = vec![
        "Fotos été/\t".to_string() + &sha256_hex(b""),
        format!("Fotos été/a.txt\t{}", sha256_hex(b"hello")),
        format!("Fotos été/naïve ü.bin\t{}", sha256_hex(&big)),
        "Fotos été/empty/\t".to_string() + &sha256_hex(b""),
        "Fotos été/sub/\t".to_string() + &sha256_hex(b""),
        format!("Fotos été/sub/b.txt\t{}", sha256_hex(b"inner")),
    ];
    let mut got: Vec<String> = listed.lines().map(str::to_string).collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let tar = check_with_tools(&path);
    if !tar.is_empty() {
        let mut names: Vec<String> = expected
            .iter()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        names.sort();
        let mut tar = tar;
        tar.sort();
        assert_eq!(tar, names);
    }

    let events = archive_events(&app, 3).await;
    assert_eq!(events.len(), 3, "each file once");
    assert!(events.iter().all(|e| e.target.kind == "file"));
}

async fn ranges_and_resumes_give_the_same_bytes(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("R", 0).await.unwrap();
    for i in 0..5u8 {
        let content: Vec<u8> = (0..50_000u32).map(|j| (j as u8) ^ i).collect();
        alice
            .upload(&top.id, &format!("f{i}.bin"), content)
            .await
            .unwrap();
    }
    let (_, headers, whole) = body_of(alice.folder_archive(&top.id, &[]).await.unwrap()).await;
    let etag = headers["etag"].to_str().unwrap().to_string();
    let len = whole.len();
    assert_eq!(archive_events(&app, 5).await.len(), 5);

    // A range in the middle, across entry boundaries: exactly those bytes, no audit.
    let (status, headers, middle) = body_of(
        alice
            .folder_archive(&top.id, &[("range", "bytes=40000-160000")])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(
        headers["content-range"],
        format!("bytes 40000-160000/{len}").as_str()
    );
    assert_eq!(middle, whole[40_000..=160_000]);
    assert_eq!(archive_events(&app, 5).await.len(), 5);

    // A resumed download: the rest, held to the ETag; it reaches the end, so it counts.
    let range = format!("bytes={}-", len / 3);
    let (status, _, rest) = body_of(
        alice
            .folder_archive(&top.id, &[("range", &range), ("if-range", &etag)])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 206);
    let mut resumed = whole[..len / 3].to_vec();
    resumed.extend_from_slice(&rest);
    assert_eq!(resumed, whole);
    assert_eq!(archive_events(&app, 10).await.len(), 10);

    // The same archive again has the same ETag; If-None-Match answers 304.
    let (status, _, _) = body_of(
        alice
            .folder_archive(&top.id, &[("if-none-match", &etag)])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 304);

    // After a change, the old ETag is stale: If-Range gives the whole (new) archive.
    alice
        .upload(&top.id, "new.txt", b"changed".to_vec())
        .await
        .unwrap();
    let (status, headers, fresh) = body_of(
        alice
            .folder_archive(&top.id, &[("range", &range), ("if-range", &etag)])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_ne!(headers["etag"].to_str().unwrap(), etag);
    assert_eq!(headers["content-length"], fresh.len().to_string().as_str());
    assert!(fresh.len() > len);

    let too_far = format!("bytes={}-", fresh.len() + 10);
    let res = alice.folder_archive(&top.id, &[("range", &too_far)]).await;
    assert_api_error(res, 416, "range_not_satisfiable");
    // That full archive was delivered: audited (6 files now).
    assert_eq!(archive_events(&app, 16).await.len(), 16);

    // A whole archive the client drops after its first bytes is no download: not audited.
    let big = alice.create_folder("Big", 0).await.unwrap();
    alice
        .upload(&big.id, "big.bin", vec![7u8; 24 << 20])
        .await
        .unwrap();
    let mut res = alice.folder_archive(&big.id, &[]).await.unwrap();
    let mut received = 0;
    while received < 65_536 {
        received += res.chunk().await.unwrap().unwrap().len();
    }
    drop(res);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(archive_events(&app, 16).await.len(), 16);
}

async fn post_archive(c: &Client, items: Vec<String>) -> reqwest::Response {
    c.request(Method::POST, "/archives")
        .json(&api::ArchiveRequest { items })
        .send()
        .await
        .unwrap()
}

async fn item_lists_and_bad_input(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let docs = alice.create_folder("Docs", 0).await.unwrap();
    let other = alice.create_folder("Other", 0).await.unwrap();
    let inner = alice
        .upload(&docs.id, "inner.txt", b"in docs".to_vec())
        .await
        .unwrap();
    let same = alice
        .upload(&other.id, "inner.txt", b"in other".to_vec())
        .await
        .unwrap();

    let res = alice
        .archive(&[docs.id.clone(), inner.id.clone(), same.id.clone()], &[])
        .await
        .unwrap();
    let (_, _, zip) = body_of(res).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.zip");
    std::fs::write(&path, &zip).unwrap();
    let mut got: Vec<String> = python(LIST, &path).lines().map(str::to_string).collect();
    got.sort();
    let mut expected = vec![
        "Docs/\t".to_string() + &sha256_hex(b""),
        format!("Docs/inner.txt\t{}", sha256_hex(b"in docs")),
        format!("inner.txt\t{}", sha256_hex(b"in docs")),
        format!("inner (2).txt\t{}", sha256_hex(b"in other")),
    ];
    expected.sort();
    assert_eq!(got, expected);
    check_with_tools(&path);

    // Empty, too many, unknown ids, and someone else's folder.
    let res = post_archive(&alice, vec![]).await;
    assert_eq!(res.status(), 400);
    let res = post_archive(&alice, vec![inner.id.clone(); 1001]).await;
    assert_eq!(res.status(), 400);
    let res = post_archive(&alice, vec!["fil_0123456789abcdef0123456789abcdef".into()]).await;
    assert_eq!(res.status(), 404);
    let res = post_archive(&alice, vec!["nonsense".into()]).await;
    assert_eq!(res.status(), 404);
    assert_api_error(bob.folder_archive(&docs.id, &[]).await, 404, "not_found");
    let res = post_archive(&bob, vec![docs.id.clone()]).await;
    assert_eq!(res.status(), 404);

    // Visible but not readable: an uploader gets 403.
    let invitation = alice
        .invite(
            &docs.id,
            &api::CreateCollaboration {
                user: Some("bob".into()),
                role: "uploader".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    bob.accept_invitation(&invitation.id, None).await.unwrap();
    assert_api_error(
        bob.folder_archive(&docs.id, &[]).await,
        403,
        "permission_denied",
    );
    let res = post_archive(&bob, vec![docs.id.clone()]).await;
    assert_eq!(res.status(), 403);
    // An invisible item wins over an unreadable one.
    let res = post_archive(&bob, vec![docs.id.clone(), other.id.clone()]).await;
    assert_eq!(res.status(), 404);
}

async fn old_blobs_get_their_crc_on_first_archive(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Old", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "old.txt", b"published before CRCs".to_vec())
        .await
        .unwrap();
    let state = app.server.as_ref().unwrap().state();
    {
        let mut conn = state.store.conn().await.unwrap();
        sqlx::query("UPDATE blobs SET crc32 = NULL")
            .execute(&mut *conn)
            .await
            .unwrap();
        let crcs = ferry_store::archives::blob_crcs(
            &mut conn,
            std::slice::from_ref(&file.checksum_sha256),
        )
        .await
        .unwrap();
        assert!(crcs.is_empty());
    }
    let (_, _, zip) = body_of(alice.folder_archive(&top.id, &[]).await.unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.zip");
    std::fs::write(&path, &zip).unwrap();
    assert!(python(LIST, &path).contains(&sha256_hex(b"published before CRCs")));
    let mut conn = state.store.conn().await.unwrap();
    let crcs =
        ferry_store::archives::blob_crcs(&mut conn, std::slice::from_ref(&file.checksum_sha256))
            .await
            .unwrap();
    assert_eq!(
        crcs.get(&file.checksum_sha256),
        Some(&crc32fast::hash(b"published before CRCs"))
    );
}

/// Inserts `n` tiny files named `f<i>.txt` (one shared blob) into `folder_id` directly.
async fn bulk_files(app: &TestApp, folder_id: &str, owner_id: &str, content: &[u8], n: usize) {
    let state = app.server.as_ref().unwrap().state();
    let sha = sha256_hex(content);
    let blob = app
        .dir
        .path()
        .join("blobs")
        .join(&sha[..2])
        .join(&sha[2..4]);
    std::fs::create_dir_all(&blob).unwrap();
    std::fs::write(blob.join(&sha), content).unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("f{i:06}.txt")).collect();
    let mut tx = state.store.begin().await.unwrap();
    ferry_store::archives::insert_files_bulk(
        &mut tx,
        folder_id,
        owner_id,
        &sha,
        content.len() as i64,
        crc32fast::hash(content),
        &names,
        1_700_000_000_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn more_than_65535_entries_use_zip64(app: TestApp) {
    let (alice_user, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Many", 0).await.unwrap();
    bulk_files(&app, &top.id, &alice_user.id, b"tiny\n", 65_600).await;
    let (status, _, zip) = body_of(alice.folder_archive(&top.id, &[]).await.unwrap()).await;
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.zip");
    std::fs::write(&path, &zip).unwrap();
    let out = python(
        r#"import sys, zipfile, struct
data = open(sys.argv[1], 'rb').read()
assert data[-22:-18] == b'PK\x05\x06' and data[-42:-38] == b'PK\x06\x07'
assert struct.unpack('<H', data[-12:-10])[0] == 0xFFFF
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
names = z.namelist()
assert names[0] == 'Many/' and names[-1] == 'Many/f065599.txt'
assert all(z.read(n) == b'tiny\n' for n in names[1:100])
print(len(names))"#,
        &path,
    );
    assert_eq!(out.trim(), "65601");
    let tar = check_with_tools(&path);
    if !tar.is_empty() {
        assert_eq!(tar.len(), 65_601);
    }
}

/// CRC-32 of `len` zero bytes, by combining the CRC of a zero block (no 4 GiB pass).
fn crc_of_zeros(len: u64) -> u32 {
    const BLOCK: u64 = 1 << 20;
    let zeros = vec![0u8; BLOCK as usize];
    let block = crc32fast::hash(&zeros);
    let mut h = crc32fast::Hasher::new();
    let mut left = len;
    while left >= BLOCK {
        h.combine(&crc32fast::Hasher::new_with_initial_len(block, BLOCK));
        left -= BLOCK;
    }
    h.update(&zeros[..left as usize]);
    h.finalize()
}

async fn a_file_over_4_gib_uses_zip64(app: TestApp) {
    let (alice_user, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Big", 0).await.unwrap();
    // A sparse blob of 4 GiB + 10 zero bytes, its row inserted directly.
    let size: u64 = (4 << 30) + 10;
    let sha = "0".repeat(63) + "1";
    let dir = app
        .dir
        .path()
        .join("blobs")
        .join(&sha[..2])
        .join(&sha[2..4]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::File::create(dir.join(&sha))
        .unwrap()
        .set_len(size)
        .unwrap();
    {
        let state = app.server.as_ref().unwrap().state();
        let mut tx = state.store.begin().await.unwrap();
        ferry_store::archives::insert_files_bulk(
            &mut tx,
            &top.id,
            &alice_user.id,
            &sha,
            size as i64,
            crc_of_zeros(size),
            &["huge.bin".to_string()],
            1_700_000_000_000,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    // After the huge file, so that its local header sits beyond 4 GiB.
    alice
        .upload(&top.id, "small.txt", b"after the big one".to_vec())
        .await
        .unwrap();

    // Everything but the middle of the huge file's (zero) data, into a sparse local copy: the
    // same bytes as the archive without moving 4 GiB through the test.
    let (status, headers, head) = body_of(
        alice
            .folder_archive(&top.id, &[("range", "bytes=0-4095")])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 206);
    let total: u64 = headers["content-range"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total > size);
    let tail_from = total - 65_536;
    let (status, _, tail) = body_of(
        alice
            .folder_archive(&top.id, &[("range", &format!("bytes={tail_from}-"))])
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 206);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("big.zip");
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(&path).unwrap();
        f.set_len(total).unwrap();
        f.write_all(&head).unwrap();
        f.seek(SeekFrom::Start(tail_from)).unwrap();
        f.write_all(&tail).unwrap();
    }
    let out = python(
        r#"import sys, zipfile
data = open(sys.argv[1], 'rb')
z = zipfile.ZipFile(sys.argv[1])
infos = {i.filename: i for i in z.infolist()}
assert sorted(infos) == ['Big/', 'Big/huge.bin', 'Big/small.txt'], sorted(infos)
assert infos['Big/huge.bin'].file_size == 4 * 2**30 + 10
assert infos['Big/huge.bin'].compress_size == 4 * 2**30 + 10
assert infos['Big/small.txt'].header_offset > 2**32
assert z.read('Big/small.txt') == b'after the big one'
with z.open('Big/huge.bin') as h:
    assert h.read(1 << 20) == bytes(1 << 20)
print('ok')"#,
        &path,
    );
    assert_eq!(out.trim(), "ok");
    let listed = Command::new("bsdtar").arg("-tf").arg(&path).output();
    match listed {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).lines().count(),
                3,
                "bsdtar lists three entries"
            );
        }
        Err(_) => eprintln!("SKIPPED: bsdtar is not installed (apt-get install libarchive-tools)"),
    }
}

async fn resumable_uploads_keep_their_crc(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Parts", 0).await.unwrap();
    let part_size = 5 << 20;
    let bytes: Vec<u8> = (0..(5 * part_size / 2))
        .map(|i| (i as u8).wrapping_mul(13) ^ (i >> 11) as u8)
        .collect();
    let up = alice
        .create_upload(&api::CreateUpload {
            folder_id: top.id.clone(),
            filename: "parts.bin".into(),
            size: bytes.len() as i64,
            checksum_sha256: Some(sha256_hex(&bytes)),
            part_size: Some(part_size as i64),
            on_conflict: None,
            relative_path: None,
            modified_at: None,
            uploader_name: None,
            uploader_email: None,
        })
        .await
        .unwrap();
    // Out of order: the whole-file hash (and CRC) is advanced part by part as the prefix grows.
    for n in [2i64, 3, 1] {
        let start = (n as usize - 1) * part_size;
        let end = (start + part_size).min(bytes.len());
        alice
            .put_part(&up.upload_id, n, bytes[start..end].to_vec(), None)
            .await
            .unwrap();
    }
    let mut file = None;
    for _ in 0..200 {
        match alice
            .complete_upload(&up.upload_id, &api::CompleteUpload::default())
            .await
            .unwrap()
        {
            Ok(f) => {
                file = Some(f);
                break;
            }
            Err(u) if u.status == "completing" => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(u) => panic!("unexpected upload state {u:?}"),
        }
    }
    let file = file.expect("the upload completes");
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    let crcs =
        ferry_store::archives::blob_crcs(&mut conn, std::slice::from_ref(&file.checksum_sha256))
            .await
            .unwrap();
    assert_eq!(
        crcs.get(&file.checksum_sha256),
        Some(&crc32fast::hash(&bytes)),
        "the CRC-32 was kept when the upload was published"
    );
    let (_, _, zip) = body_of(alice.folder_archive(&top.id, &[]).await.unwrap()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parts.zip");
    std::fs::write(&path, &zip).unwrap();
    assert!(python(LIST, &path).contains(&sha256_hex(&bytes)));
}
