//! Multipart uploads left on S3 (issue #15): each one is recorded before its first part, the
//! record goes when the upload completes, and the collector aborts recorded uploads older than
//! `storage.s3.abort_incomplete_uploads_secs` that no unfinished session refers to. Against a
//! real s3s-fs, on PostgreSQL and on SQLite (where recording must not wait on the
//! transaction that creates the session).

use std::time::Duration;

use ferry_api as api;

use crate::helpers::{Backend, TestApp, sha256_hex};

const MIB: usize = 1 << 20;

/// A server on `backend`'s database with its blobs in a fresh s3s-fs; sessions and logins
/// last three days, so that a day later they are still live.
async fn spawn(backend: Backend) -> Option<TestApp> {
    let long_sessions = |c: &mut ferry_server::Config| {
        c.uploads.session_ttl_secs = 3 * 86_400;
        c.auth.token_ttl_secs = 3 * 86_400;
    };
    if ferry_blob::testing::binary().is_none() {
        eprintln!("{}", ferry_blob::testing::SKIP);
        return None;
    }
    if backend == Backend::Postgres {
        return Some(
            TestApp::spawn_with(Backend::S3, long_sessions)
                .await
                .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
        );
    }
    let server = ferry_blob::testing::S3Server::start()?;
    let options = server.options();
    let mut app = TestApp::spawn_with(Backend::Sqlite, |c| {
        long_sessions(c);
        c.storage.backend = ferry_app::config::StorageBackend::S3;
        c.storage.s3 = ferry_app::config::S3Config {
            bucket: options.bucket.clone(),
            endpoint: options.endpoint.clone(),
            region: options.region.clone(),
            allow_http: true,
            access_key_id: options.access_key_id.clone(),
            secret_access_key: options.secret_access_key.clone(),
            ..Default::default()
        };
    })
    .await
    .expect("sqlite always runs");
    app.s3 = Some(server);
    Some(app)
}

fn new_upload(folder: &str, name: &str, bytes: &[u8]) -> api::CreateUpload {
    api::CreateUpload {
        uploader_name: None,
        uploader_email: None,
        folder_id: folder.into(),
        filename: name.into(),
        size: bytes.len() as i64,
        checksum_sha256: Some(sha256_hex(bytes)),
        part_size: Some(5 * MIB as i64),
        on_conflict: None,
        relative_path: None,
        modified_at: None,
    }
}

async fn records(app: &TestApp) -> Vec<ferry_store::multipart_uploads::MultipartUpload> {
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    ferry_store::multipart_uploads::all(&mut conn)
        .await
        .unwrap()
}

async fn an_abandoned_upload_is_aborted_and_a_live_one_left_alone(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("in", 0).await.unwrap();
    let bytes: Vec<u8> = (0..10 * MIB).map(|i| (i % 251) as u8).collect();
    let (first, second) = (&bytes[..5 * MIB], &bytes[5 * MIB..]);
    let lost = alice
        .create_upload(&new_upload(&folder.id, "lost.bin", &bytes))
        .await
        .unwrap();
    let live = alice
        .create_upload(&new_upload(&folder.id, "live.bin", &bytes))
        .await
        .unwrap();
    for id in [&lost.upload_id, &live.upload_id] {
        alice.put_part(id, 1, first.to_vec(), None).await.unwrap();
    }
    let recorded = records(&app).await;
    let mut sessions: Vec<_> = recorded.iter().map(|r| r.session_id.clone()).collect();
    sessions.sort();
    let mut expected = vec![Some(lost.upload_id.clone()), Some(live.upload_id.clone())];
    expected.sort();
    assert_eq!(sessions, expected);
    let parts_stored = app.staging_files();
    assert!(parts_stored >= 2, "both uploads hold a part on S3");

    // The session row of one goes without its multipart upload (a crash, a restore...).
    {
        let state = app.server.as_ref().unwrap().state();
        let mut conn = state.store.conn().await.unwrap();
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(&lost.upload_id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    // Not old enough yet: nothing is aborted.
    app.run_jobs().await;
    assert_eq!(records(&app).await.len(), 2);
    assert_eq!(app.staging_files(), parts_stored);

    app.clock.advance(Duration::from_secs(25 * 3600));
    app.run_jobs().await;
    let left = records(&app).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].session_id.as_deref(), Some(live.upload_id.as_str()));
    // The lost upload's part is gone from S3; the live one's is still there.
    let after = app.staging_files();
    assert!(
        after > 0 && after < parts_stored,
        "{after} of {parts_stored}"
    );

    // The live upload finishes normally, and its record goes with it.
    alice
        .put_part(&live.upload_id, 2, second.to_vec(), None)
        .await
        .unwrap();
    let mut result = alice
        .complete_upload(&live.upload_id, &api::CompleteUpload::default())
        .await
        .unwrap();
    for _ in 0..200 {
        match result {
            Ok(_) => break,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                result = alice
                    .complete_upload(&live.upload_id, &api::CompleteUpload::default())
                    .await
                    .unwrap();
            }
        }
    }
    let file = result.expect("the live upload completes");
    assert_eq!(file.checksum_sha256, sha256_hex(&bytes));
    assert_eq!(records(&app).await, vec![]);
    assert_eq!(app.staging_files(), 0);
}

/// A refused upload (a taken name) keeps neither its multipart upload nor its record.
async fn a_refused_upload_keeps_no_multipart_upload(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("in", 0).await.unwrap();
    alice
        .upload(&folder.id, "taken.bin", b"here first".to_vec())
        .await
        .unwrap();
    let bytes = vec![7u8; 6 * MIB];
    let mut req = new_upload(&folder.id, "taken.bin", &bytes);
    req.on_conflict = Some("fail".into());
    assert!(alice.create_upload(&req).await.is_err());
    assert_eq!(records(&app).await, vec![]);
    assert_eq!(app.staging_files(), 0);
}

macro_rules! on_s3 {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::helpers::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_s3() {
                if let Some(app) = super::spawn(Backend::Sqlite).await {
                    super::$name(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres_s3() {
                if let Some(app) = super::spawn(Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

on_s3!(
    an_abandoned_upload_is_aborted_and_a_live_one_left_alone,
    a_refused_upload_keeps_no_multipart_upload,
);
