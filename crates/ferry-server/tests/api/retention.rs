//! Retention: held files are restored or purged when the hold ends; ttl files are purged.

use std::time::Duration;

use crate::helpers::{TestApp, assert_api_error};
use crate::on_both_backends;

on_both_backends!(
    held_files_restore_and_purge,
    ttl_files_expire_and_are_purged,
    an_expired_file_gives_its_name_to_the_next_upload,
);

async fn wait_until<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) -> bool {
    for _ in 0..300 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn held_files_restore_and_purge(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, mallory) = app.user("mallory", None).await;
    let folder = alice.create_folder("kept", 30).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"first".to_vec())
        .await
        .unwrap();
    assert_api_error(alice.restore_file(&file.id).await, 409, "file_not_held");
    alice.delete_file(&file.id).await.unwrap();
    // Meanwhile a new a.txt arrives; the restored one steps aside.
    alice
        .upload(&folder.id, "a.txt", b"second".to_vec())
        .await
        .unwrap();
    assert_api_error(mallory.restore_file(&file.id).await, 404, "not_found");
    let restored = alice.restore_file(&file.id).await.unwrap();
    assert_eq!(
        (restored.retention.state.as_str(), restored.name.as_str()),
        ("active", "a (1).txt")
    );
    assert_eq!(
        alice.download(&file.id, &[]).await.unwrap().body.as_ref(),
        b"first"
    );

    // Held again, and the hold ends (moved to the past here rather than waiting 30 days).
    alice.delete_file(&file.id).await.unwrap();
    let used_before = alice.me().await.unwrap().quota.used_bytes;
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    for sql in [
        "UPDATE files SET held_until = 1 WHERE id = $1",
        "UPDATE trash_items SET held_until = 1, purge_at = 1 WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(&file.id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    assert!(
        wait_until(|| async { alice.get_file(&file.id).await.is_err() }).await,
        "purged"
    );
    assert_api_error(alice.get_file(&file.id).await, 404, "not_found");
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, used_before - 5);
    let purged = app
        .admin
        .audit_events(&[("action", "file.purged"), ("target", &file.id)])
        .await
        .unwrap()
        .events;
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0].details["reason"], "retention");
}

async fn ttl_files_expire_and_are_purged(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("short", 0).await.unwrap();
    let res = alice
        .request(
            reqwest::Method::POST,
            &format!("/folders/{}/files?filename=brief.txt&ttl=1", folder.id),
        )
        .header("content-type", "application/octet-stream")
        .body("gone soon")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let file: ferry_api::File = res.json().await.unwrap();
    assert!(file.retention.expires_at.is_some());
    let blobs = app.blob_files().await;
    assert!(
        wait_until(|| async {
            alice
                .get_file(&file.id)
                .await
                .is_err_and(|e| e.code() == Some("not_found"))
        })
        .await
    );
    assert!(
        wait_until(|| async { app.blob_files().await < blobs }).await,
        "the unreferenced blob is collected"
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
}

async fn an_expired_file_gives_its_name_to_the_next_upload(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let folder = alice.create_folder("drop", 0).await.unwrap();
    let upload = |query: &str, body: &'static str| {
        alice
            .request(
                reqwest::Method::POST,
                &format!("/folders/{}/files?filename=brief.txt{query}", folder.id),
            )
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let first: ferry_api::File = upload("&ttl=60", "old")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Past its time to live, before the collector has run: the name is free again, and the
    // new content is a new file, not a version of one nobody can see.
    app.clock.advance(std::time::Duration::from_secs(61));
    let res = upload("&on_conflict=new_version", "new content")
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let second: ferry_api::File = res.json().await.unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!((second.name.as_str(), second.version), ("brief.txt", 1));
    assert_eq!(alice.get_file(&second.id).await.unwrap().size, 11);
    let names: Vec<_> = alice
        .list_files(&folder.id, None, None)
        .await
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["brief.txt"]);
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        11,
        "the old bytes are free"
    );
}
