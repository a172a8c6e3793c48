//! Small files kept in the database (`storage.inline_max_bytes`, 64 KiB by default): a
//! simple upload that ends within the limit is stored with its row, not in the blob store;
//! it reads, ranges and archives like any other file, shares its content with the same bytes
//! uploaded another way, and goes when its last reference does.

use ferry_api as api;
use sha2::{Digest, Sha256};

use crate::archives::{LIST, python};
use crate::helpers::{TestApp, sha256_hex};
use crate::on_all_backends;

// Also on S3 (PostgreSQL + s3s-fs): `<name>::s3`.
on_all_backends!(
    small_files_live_in_the_database,
    archives_mix_inline_and_stored_contents,
    the_same_content_is_stored_once_whichever_way_it_came,
);

fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn small_files_live_in_the_database(app: TestApp) {
    let folder = app.admin.create_folder("inline", 0).await.unwrap();
    let small = bytes(4096, 1);
    let file = app
        .admin
        .upload(&folder.id, "small.bin", small.clone())
        .await
        .unwrap();
    assert_eq!(file.checksum_sha256, sha256_hex(&small));
    assert_eq!(
        app.stored_blobs(),
        0,
        "a 4 KiB file is not in the blob store"
    );
    assert_eq!(app.inline_blobs().await, 1);

    let got = app.admin.download(&file.id, &[]).await.unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(&got.body[..], &small[..]);
    let range = app
        .admin
        .download(&file.id, &[("Range", "bytes=100-199")])
        .await
        .unwrap();
    assert_eq!(range.status, 206);
    assert_eq!(&range.body[..], &small[100..200]);
    let tail = app
        .admin
        .download(&file.id, &[("Range", "bytes=-10")])
        .await
        .unwrap();
    assert_eq!(&tail.body[..], &small[4086..]);

    // The limit is inclusive; one byte more goes to the blob store.
    let at_limit = bytes(64 << 10, 2);
    let over = bytes((64 << 10) + 1, 3);
    app.admin
        .upload(&folder.id, "at-limit.bin", at_limit.clone())
        .await
        .unwrap();
    let big = app
        .admin
        .upload(&folder.id, "over.bin", over.clone())
        .await
        .unwrap();
    assert_eq!(app.inline_blobs().await, 2);
    assert_eq!(app.stored_blobs(), 1);
    let got = app.admin.download(&big.id, &[]).await.unwrap();
    assert_eq!(Sha256::digest(&got.body)[..], Sha256::digest(&over)[..]);

    // An empty file is content too.
    let empty = app
        .admin
        .upload(&folder.id, "empty.bin", Vec::new())
        .await
        .unwrap();
    assert_eq!(empty.size, 0);
    assert_eq!(app.inline_blobs().await, 3);
    let got = app.admin.download(&empty.id, &[]).await.unwrap();
    assert_eq!(got.status, 200);
    assert!(got.body.is_empty());

    // Gone with its last reference.
    app.admin.delete_file_permanently(&file.id).await.unwrap();
    app.run_jobs().await;
    assert_eq!(app.inline_blobs().await, 2);
    assert_eq!(app.stored_blobs(), 1);
}

async fn archives_mix_inline_and_stored_contents(app: TestApp) {
    let folder = app.admin.create_folder("mixed", 0).await.unwrap();
    // Inline and stored contents in turns, two inline ones next to each other.
    let files = [
        ("a-small.txt", bytes(10, 1)),
        ("b-big.bin", bytes(200 << 10, 2)),
        ("c-small.txt", bytes(5000, 3)),
        ("d-small.txt", bytes(1, 4)),
        ("e-big.bin", bytes(100 << 10, 5)),
        ("f-small.txt", bytes(64 << 10, 6)),
    ];
    for (name, content) in &files {
        app.admin
            .upload(&folder.id, name, content.clone())
            .await
            .unwrap();
    }
    assert_eq!(app.inline_blobs().await, 4);
    assert_eq!(app.stored_blobs(), 2);

    let res = app.admin.folder_archive(&folder.id, &[]).await.unwrap();
    assert_eq!(res.status(), 200);
    let whole = res.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.zip");
    std::fs::write(&path, &whole).unwrap();
    let listed = python(LIST, &path);
    for (name, content) in &files {
        let line = format!("mixed/{name}\t{}", sha256_hex(content));
        assert!(listed.contains(&line), "{line} not in {listed}");
    }

    // Ranges that start and end inside inline contents give the same bytes.
    let len = whole.len();
    for (start, end) in [
        (0, 40),
        (30, len / 2),
        (len / 3, len - 7),
        (len - 100, len - 1),
    ] {
        let res = app
            .admin
            .folder_archive(&folder.id, &[("Range", &format!("bytes={start}-{end}"))])
            .await
            .unwrap();
        assert_eq!(res.status(), 206);
        let part = res.bytes().await.unwrap();
        assert_eq!(&part[..], &whole[start..=end], "bytes {start}-{end}");
    }
}

async fn the_same_content_is_stored_once_whichever_way_it_came(app: TestApp) {
    let folder = app.admin.create_folder("dedup", 0).await.unwrap();
    let resumable = |name: &'static str, content: Vec<u8>| {
        let app = &app;
        let folder = folder.id.clone();
        async move {
            let upload = app
                .admin
                .create_upload(&api::CreateUpload {
                    uploader_name: None,
                    uploader_email: None,
                    folder_id: folder,
                    filename: name.into(),
                    size: content.len() as i64,
                    checksum_sha256: Some(sha256_hex(&content)),
                    part_size: None,
                    on_conflict: None,
                    relative_path: None,
                    modified_at: None,
                })
                .await
                .unwrap();
            app.admin
                .put_part(&upload.upload_id, 1, content, None)
                .await
                .unwrap();
            let done = app
                .admin
                .complete_upload(&upload.upload_id, &api::CompleteUpload::default())
                .await
                .unwrap();
            done.expect("published at once")
        }
    };

    // In the blob store first (a resumable upload), then the same bytes as a simple upload:
    // the simple upload refers to the stored blob and keeps no copy.
    let first = bytes(3000, 7);
    resumable("first-resumable.bin", first.clone()).await;
    assert_eq!(app.stored_blobs(), 1);
    let again = app
        .admin
        .upload(&folder.id, "first-simple.bin", first.clone())
        .await
        .unwrap();
    assert_eq!(app.stored_blobs(), 1);
    assert_eq!(app.inline_blobs().await, 0);
    assert_eq!(
        &app.admin.download(&again.id, &[]).await.unwrap().body[..],
        &first[..]
    );

    // In the database first, then the same bytes as a resumable upload: the upload refers to
    // the inline content and its session data is removed.
    let second = bytes(2000, 8);
    app.admin
        .upload(&folder.id, "second-simple.bin", second.clone())
        .await
        .unwrap();
    let file = resumable("second-resumable.bin", second.clone()).await;
    assert_eq!(app.inline_blobs().await, 1);
    assert_eq!(app.stored_blobs(), 1);
    assert_eq!(
        &app.admin.download(&file.id, &[]).await.unwrap().body[..],
        &second[..]
    );
    assert_eq!(app.staging_files(), 0);
}
