//! The scrubber: blobs are re-read once their last check is older than `scrub.interval_secs`;
//! a damaged one is audited as `blob.corrupt` (once per check) and counted in the metrics,
//! sound ones are not reported.

use std::time::Duration;

use reqwest::Method;
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, TestApp};

fn interval(c: &mut ferry_server::Config) {
    c.scrub.interval_secs = 3600;
    // The bytes are damaged on disk, so they must be there, not in the database.
    c.storage.inline_max_bytes = 0;
}

crate::on_both_backends_with!(interval; the_scrubber_finds_a_damaged_blob_when_it_is_due);
crate::on_both_backends_with!(hourly; the_scrubber_finds_damaged_content_in_the_database);

fn hourly(c: &mut ferry_server::Config) {
    c.scrub.interval_secs = 3600;
}

/// Small files live in the database (`storage.inline_max_bytes`): their content is checked
/// against its hash as a file's is.
async fn the_scrubber_finds_damaged_content_in_the_database(app: TestApp) {
    let folder = app.admin.create_folder("scrubbed", 0).await.unwrap();
    let bad = b"this small content will rot in the database".to_vec();
    app.admin
        .upload(&folder.id, "bad.txt", bad.clone())
        .await
        .unwrap();
    assert_eq!(app.inline_blobs().await, 1);
    let sha = hex::encode(Sha256::digest(&bad));
    {
        let state = app.server.as_ref().unwrap().state();
        let mut conn = state.store.conn().await.unwrap();
        sqlx::query("UPDATE blob_contents SET content = $1 WHERE sha256 = $2")
            .bind(&b"this small content will ROT in the database"[..])
            .bind(&sha)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    app.clock.advance(Duration::from_secs(2 * 3600));
    app.run_jobs().await;
    let events = app
        .admin
        .audit_events(&[("action", "blob.corrupt")])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].target.id, sha);
    assert_eq!(events[0].details["problem"], "mismatch");
}

async fn the_scrubber_finds_a_damaged_blob_when_it_is_due(app: TestApp) {
    let folder = app.admin.create_folder("scrubbed", 0).await.unwrap();
    let good = b"this content stays as it was".to_vec();
    let bad = b"this content will rot on disk".to_vec();
    app.admin
        .upload(&folder.id, "good.txt", good.clone())
        .await
        .unwrap();
    app.admin
        .upload(&folder.id, "bad.txt", bad.clone())
        .await
        .unwrap();
    let key = hex::encode(Sha256::digest(&bad));
    let path = app
        .dir
        .path()
        .join("blobs")
        .join(&key[..2])
        .join(&key[2..4])
        .join(&key);
    std::fs::write(&path, b"this content will ROT on disk").unwrap();
    let corrupt_events = || async {
        app.admin
            .audit_events(&[("action", "blob.corrupt")])
            .await
            .unwrap()
            .events
    };

    // Not due yet: stored just now.
    app.run_jobs().await;
    assert!(corrupt_events().await.is_empty());

    app.clock.advance(Duration::from_secs(2 * 3600));
    app.run_jobs().await;
    let events = corrupt_events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].target.kind, "blob");
    assert_eq!(events[0].target.id, key);
    assert_eq!(events[0].outcome, "failure");
    assert_eq!(events[0].details["problem"], "mismatch");
    assert_eq!(
        events[0].details["actual_sha256"],
        hex::encode(Sha256::digest(b"this content will ROT on disk"))
    );
    let metrics = app.raw(Method::GET, "/metrics").send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("ferry_scrub_problems_total{problem=\"mismatch\"}"),
        "{text}"
    );

    // Checked now: not again until the next interval.
    app.run_jobs().await;
    assert_eq!(corrupt_events().await.len(), 1);
    app.clock.advance(Duration::from_secs(2 * 3600));
    app.run_jobs().await;
    assert_eq!(corrupt_events().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_scrubber_reads_nothing() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.scrub.enabled = false;
        c.scrub.interval_secs = 1;
        c.storage.inline_max_bytes = 0;
    })
    .await
    .unwrap();
    let folder = app.admin.create_folder("f", 0).await.unwrap();
    let bad = b"rots unnoticed".to_vec();
    app.admin
        .upload(&folder.id, "bad.txt", bad.clone())
        .await
        .unwrap();
    let key = hex::encode(Sha256::digest(&bad));
    let path = app
        .dir
        .path()
        .join("blobs")
        .join(&key[..2])
        .join(&key[2..4])
        .join(&key);
    std::fs::write(&path, b"rots UNnoticed").unwrap();
    app.clock.advance(Duration::from_secs(3600));
    app.run_jobs().await;
    let events = app
        .admin
        .audit_events(&[("action", "blob.corrupt")])
        .await
        .unwrap()
        .events;
    assert!(events.is_empty());
}

crate::on_all_backends!(collector_idle; fsck_orphans_are_what_no_row_refers_to);

/// The background collector would remove an ended upload's data (what the test lists as an
/// orphan) if it ran between the test ending the upload and listing: it runs once an hour here.
fn collector_idle(c: &mut ferry_server::Config) {
    c.storage.gc_interval_secs = 3600;
}

/// What `ferry admin fsck` lists as orphans (`scrub::orphans`), on local disk and S3: not
/// thumbnails, files or the data of unfinished uploads (a part, a tus chunk); a blob nobody
/// refers to is, and so is the data of an upload that has ended.
async fn fsck_orphans_are_what_no_row_refers_to(app: TestApp) {
    use ferry_app::scrub::{Orphan, orphans};
    let state = app.server.as_ref().unwrap().state().clone();
    let folder = app.admin.create_folder("f", 0).await.unwrap();
    let img = image::RgbImage::from_fn(300, 200, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png).unwrap();
    let file = app
        .admin
        .upload(&folder.id, "picture.png", png.into_inner())
        .await
        .unwrap();
    let thumb = app
        .admin
        .request(Method::GET, &format!("/files/{}/thumbnails/m", file.id))
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), 200);
    let renditions = {
        let mut conn = state.store.conn().await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM blob_renditions WHERE storage_key IS NOT NULL",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        n
    };
    assert!(renditions > 0, "a thumbnail is stored as a blob");

    // A native upload with a part, a tus upload with a chunk too small for an S3 part.
    let bytes = vec![3u8; 6 << 20];
    let native = app
        .admin
        .create_upload(&ferry_api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: folder.id.clone(),
            filename: "open.bin".into(),
            size: bytes.len() as i64,
            checksum_sha256: None,
            part_size: Some(5 << 20),
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    app.admin
        .put_part(&native.upload_id, 1, bytes[..5 << 20].to_vec(), None)
        .await
        .unwrap();
    let metadata = {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        format!("filename {},folder_id {}", b64("tus.bin"), b64(&folder.id))
    };
    let created = app
        .admin
        .request(Method::POST, "/tus/")
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "100")
        .header("upload-metadata", metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let tus_id = location.rsplit('/').next().unwrap().to_string();
    let path = location.strip_prefix("/api/v1").unwrap().to_string();
    let patched = app
        .admin
        .request(Method::PATCH, &path)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", "0")
        .body(vec![9u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);

    assert_eq!(
        orphans(&state.store, state.blobs.as_ref()).await.unwrap(),
        vec![]
    );

    // A blob nobody refers to, and the data of an upload that ended without removing it.
    let body: ferry_blob::ByteStream<'static> = Box::pin(futures::stream::iter(vec![Ok(
        bytes::Bytes::from_static(b"nobody refers to me"),
    )]));
    let staged = state.blobs.stage(body, 1 << 20).await.unwrap();
    let key = staged.key.clone();
    state.blobs.publish(staged).await.unwrap();
    {
        let mut conn = state.store.conn().await.unwrap();
        sqlx::query("UPDATE uploads SET status = 'failed' WHERE id = $1")
            .bind(&tus_id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    let found = orphans(&state.store, state.blobs.as_ref()).await.unwrap();
    assert_eq!(
        found,
        vec![Orphan::Blob(key), Orphan::UploadData(tus_id.clone())]
    );
}
