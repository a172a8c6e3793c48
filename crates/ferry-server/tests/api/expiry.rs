//! Folder expiry (seed 004's sessions): a top-level folder's `expires_at` is its whole tree's;
//! past it, the folder, everything below it and its links answer `410 folder_expired`, and
//! the collector removes it (held in the trash instead when a retention rule keeps it).

use std::time::Duration;

use ferry_api as api;
use ferry_client::Client;
use ferry_core::timefmt::rfc3339;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::on_both_backends;

on_both_backends!(
    expired_folders_answer_410_and_are_removed,
    expiry_is_set_on_top_level_folders_and_carried_by_the_tree,
    an_expired_folder_under_retention_is_held,
);

/// The server's time in `secs` seconds, as RFC 3339.
fn in_secs(app: &TestApp, secs: i64) -> String {
    rfc3339(app.server.as_ref().unwrap().state().now_ms() + secs * 1000)
}

async fn session(c: &Client, name: &str, expires_at: &str) -> api::Folder {
    parse(
        c.request(Method::POST, "/folders")
            .json(&json!({"name": name, "expires_at": expires_at}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap()
}

async fn expired_folders_answer_410_and_are_removed(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let at = in_secs(&app, 3600);
    let top = session(&alice, "session", &at).await;
    assert_eq!(top.expires_at.as_deref(), Some(at.as_str()));
    let sub = alice.create_folder_in(Some(&top.id), "sub").await.unwrap();
    assert_eq!(
        sub.expires_at.as_deref(),
        Some(at.as_str()),
        "the tree's expiry"
    );
    let file = alice
        .upload(&sub.id, "a.txt", b"hello".to_vec())
        .await
        .unwrap();
    let link = alice
        .create_link(
            &file.id,
            &api::CreateLink {
                expires_in: Some(86_400),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 5);
    // Before the time: everything works.
    alice.get_file(&file.id).await.unwrap();
    app.anon.link_content(&link.url, &[]).await.unwrap();

    app.clock.advance(Duration::from_secs(3601));
    assert_api_error(alice.get_folder(&top.id).await, 410, "folder_expired");
    assert_api_error(alice.get_folder(&sub.id).await, 410, "folder_expired");
    assert_api_error(alice.get_file(&file.id).await, 410, "folder_expired");
    assert_api_error(
        alice.upload(&sub.id, "b.txt", b"late".to_vec()).await,
        410,
        "folder_expired",
    );
    assert_api_error(
        app.anon.link_content(&link.url, &[]).await,
        410,
        "folder_expired",
    );
    // Someone who never saw it still sees nothing at all.
    assert_api_error(bob.get_folder(&top.id).await, 404, "not_found");

    // The collector removes it with everything in it, and gives the quota back.
    app.run_jobs().await;
    assert_api_error(alice.get_folder(&top.id).await, 404, "not_found");
    assert_api_error(alice.get_file(&file.id).await, 404, "not_found");
    assert!(alice.list_folders(false).await.unwrap().folders.is_empty());
    assert!(
        alice.trash(None, None).await.unwrap().items.is_empty(),
        "purged, not trashed"
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
}

async fn expiry_is_set_on_top_level_folders_and_carried_by_the_tree(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let create =
        |body: serde_json::Value| alice.request(Method::POST, "/folders").json(&body).send();
    let past = in_secs(&app, -1);
    assert_field_error(
        parse::<api::Folder>(
            create(json!({"name": "x", "expires_at": past}))
                .await
                .unwrap(),
        )
        .await,
        400,
        "invalid_value",
        "expires_at",
    );
    assert_field_error(
        parse::<api::Folder>(
            create(json!({"name": "x", "expires_at": "tomorrow"}))
                .await
                .unwrap(),
        )
        .await,
        400,
        "invalid_value",
        "expires_at",
    );
    let plain = alice.create_folder("plain", 0).await.unwrap();
    assert_eq!(plain.expires_at, None);
    let later = in_secs(&app, 7200);
    assert_field_error(
        parse::<api::Folder>(
            create(json!({"name": "x", "parent_id": plain.id, "expires_at": later}))
                .await
                .unwrap(),
        )
        .await,
        400,
        "invalid_value",
        "expires_at",
    );
    let inner = alice
        .create_folder_in(Some(&plain.id), "inner")
        .await
        .unwrap();
    let deep = alice
        .create_folder_in(Some(&inner.id), "deep")
        .await
        .unwrap();
    let patch = |at: Option<&str>| api::UpdateFolder {
        expires_at: Some(at.map(str::to_string)),
        ..Default::default()
    };
    assert_field_error(
        alice.update_folder(&inner.id, &patch(Some(&later))).await,
        400,
        "invalid_value",
        "expires_at",
    );
    // Set on the top-level folder, the whole tree carries it; null takes it away again.
    let set = alice
        .update_folder(&plain.id, &patch(Some(&later)))
        .await
        .unwrap();
    assert_eq!(set.expires_at.as_deref(), Some(later.as_str()));
    let deep_now = alice.get_folder(&deep.id).await.unwrap();
    assert_eq!(deep_now.expires_at.as_deref(), Some(later.as_str()));
    alice.update_folder(&plain.id, &patch(None)).await.unwrap();
    assert_eq!(alice.get_folder(&deep.id).await.unwrap().expires_at, None);
    // A folder moved into an expiring tree expires with it; moved out to the top level it
    // keeps the expiry it had.
    let sooner = in_secs(&app, 600);
    let expiring = session(&alice, "expiring", &sooner).await;
    let moved = alice
        .move_folder(
            &inner.id,
            &api::MoveFolder {
                parent_id: Some(Some(expiring.id.clone())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.expires_at.as_deref(), Some(sooner.as_str()));
    assert_eq!(
        alice
            .get_folder(&deep.id)
            .await
            .unwrap()
            .expires_at
            .as_deref(),
        Some(sooner.as_str())
    );
    app.clock.advance(Duration::from_secs(601));
    assert_api_error(alice.get_folder(&deep.id).await, 410, "folder_expired");
    assert_eq!(alice.get_folder(&plain.id).await.unwrap().expires_at, None);
}

async fn an_expired_folder_under_retention_is_held(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let at = in_secs(&app, 60);
    let kept: api::Folder = parse(
        alice
            .request(Method::POST, "/folders")
            .json(&json!({"name": "kept", "expires_at": at, "retention_days": 7}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    alice
        .upload(&kept.id, "evidence.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    app.clock.advance(Duration::from_secs(61));
    app.run_jobs().await;
    assert_api_error(alice.get_folder(&kept.id).await, 404, "not_found");
    let trash = alice.trash(None, None).await.unwrap().items;
    assert_eq!(trash.len(), 1);
    assert_eq!(
        (trash[0].id.as_str(), trash[0].state.as_str()),
        (kept.id.as_str(), "held")
    );
    // Restored to the top level, it no longer carries the expiry it was removed for.
    let restored = alice
        .restore_item(&kept.id, &api::RestoreItem::default())
        .await
        .unwrap();
    assert_eq!(restored["expires_at"], serde_json::Value::Null);
    app.run_jobs().await;
    assert_eq!(alice.get_folder(&kept.id).await.unwrap().name, "kept");
}
