//! The scrubber: blobs are re-read once their last check is older than `scrub.interval_secs`;
//! a damaged one is audited as `blob.corrupt` (once per check) and counted in the metrics,
//! sound ones are not reported.

use std::time::Duration;

use reqwest::Method;
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, TestApp};

fn interval(c: &mut ferry_server::Config) {
    c.scrub.interval_secs = 3600;
}

crate::on_both_backends_with!(interval; the_scrubber_finds_a_damaged_blob_when_it_is_due);

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
