//! The audit log: what is recorded, search, paging, export, visibility, tamper evidence.

use std::collections::HashSet;

use crate::helpers::{TestApp, assert_api_error};
use crate::on_both_backends;

on_both_backends!(
    the_flow_is_recorded_and_searchable,
    paging_is_stable_while_events_arrive,
    exports_stream_every_matching_event,
    users_see_only_their_events,
    the_chain_names_a_row_altered_in_the_database,
);

async fn the_flow_is_recorded_and_searchable(app: TestApp) {
    let (alice_user, alice) = app.user("alice", None).await;
    assert!(app.anon.login("alice", "wrong password").await.is_err());
    let folder = alice.create_folder("f", 7).await.unwrap();
    let file = alice
        .upload(&folder.id, "a.txt", b"hello".to_vec())
        .await
        .unwrap();
    alice.download(&file.id, &[]).await.unwrap();
    alice.delete_file(&file.id).await.unwrap();

    let all = app
        .admin
        .audit_events(&[("limit", "1000")])
        .await
        .unwrap()
        .events;
    let actions: Vec<&str> = all.iter().rev().map(|e| e.action.as_str()).collect();
    for expected in [
        "user.created",
        "auth.login",
        "auth.login_failed",
        "folder.created",
        "upload.completed",
        "file.downloaded",
        "file.deleted",
        "file.held",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    // Newest first.
    assert_eq!(all[0].action, "file.held");

    let mine = app
        .admin
        .audit_events(&[
            ("actor", "alice"),
            ("action", "upload.completed,file.downloaded"),
        ])
        .await
        .unwrap()
        .events;
    assert_eq!(
        mine.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["file.downloaded", "upload.completed"]
    );
    assert!(
        mine.iter()
            .all(|e| e.actor.as_ref().unwrap().id == alice_user.id)
    );
    assert_eq!(mine[0].target.kind, "file");
    assert_eq!(mine[0].target.id, file.id);
    assert_eq!(mine[0].ip.as_deref(), Some("127.0.0.1"));
    assert!(mine[0].request_id.as_deref().unwrap().starts_with("req_"));

    let failed = app
        .admin
        .audit_events(&[("outcome", "failure"), ("range", "24h")])
        .await
        .unwrap()
        .events;
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (
            failed[0].action.as_str(),
            failed[0].details["reason"].as_str()
        ),
        ("auth.login_failed", Some("wrong_password"))
    );
    let on_file = app
        .admin
        .audit_events(&[("target", &file.id)])
        .await
        .unwrap()
        .events;
    assert_eq!(on_file.len(), 4);
    let by_id = app
        .admin
        .audit_events(&[("actor", &alice_user.id), ("ip", "127.0.0.1")])
        .await
        .unwrap()
        .events;
    assert!(by_id.len() >= 5);
    let future = app
        .admin
        .audit_events(&[("from", "2999-01-01T00:00:00Z")])
        .await
        .unwrap()
        .events;
    assert!(future.is_empty());

    for (k, v) in [
        ("range", "1y"),
        ("from", "yesterday"),
        ("outcome", "maybe"),
        ("cursor", "zzz"),
        ("limit", "0"),
        ("format", "xml"),
    ] {
        let res = app.admin.audit_events(&[(k, v)]).await;
        assert_eq!(res.unwrap_err().status().unwrap().as_u16(), 400, "{k}={v}");
    }
}

async fn paging_is_stable_while_events_arrive(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for i in 0..7 {
        alice.create_folder(&format!("f{i}"), 0).await.unwrap();
    }
    let q = [("action", "folder.created"), ("limit", "3")];
    let first = app.admin.audit_events(&q).await.unwrap();
    let mut seen: Vec<String> = first.events.iter().map(|e| e.id.clone()).collect();
    // New events arrive between pages: they must not shift what the cursor returns.
    for i in 7..10 {
        alice.create_folder(&format!("f{i}"), 0).await.unwrap();
    }
    let mut cursor = first.next_cursor.clone();
    while let Some(c) = cursor {
        let page = app
            .admin
            .audit_events(&[("action", "folder.created"), ("limit", "3"), ("cursor", &c)])
            .await
            .unwrap();
        seen.extend(page.events.iter().map(|e| e.id.clone()));
        cursor = page.next_cursor;
    }
    assert_eq!(seen.len(), 7, "the seven events that existed, each once");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
}

async fn exports_stream_every_matching_event(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    for i in 0..30 {
        alice
            .create_folder(&format!("folder, \"{i}\""), 0)
            .await
            .unwrap();
    }
    let json = app
        .admin
        .audit_events(&[("limit", "1000")])
        .await
        .unwrap()
        .events;
    let csv = app
        .admin
        .request(reqwest::Method::GET, "/audit/events?format=csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("id,time,actor_id"));
    // Names with commas and quotes are quoted, so each event is one record of 12 fields.
    let records = text.lines().count() - 1;
    assert_eq!(records, json.len());
    let nd = app
        .admin
        .request(
            reqwest::Method::GET,
            "/audit/events?format=ndjson&action=folder.created",
        )
        .send()
        .await
        .unwrap();
    let lines: Vec<ferry_api::Event> = nd
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 30);
    assert!(lines.iter().all(|e| e.action == "folder.created"));
}

async fn users_see_only_their_events(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let folder = alice.create_folder("alice's", 0).await.unwrap();
    bob.create_folder("bob's", 0).await.unwrap();
    // The admin acts in alice's folder: alice sees it, because she owns the folder.
    let file = app
        .admin
        .upload(&folder.id, "from-admin.txt", b"x".to_vec())
        .await
        .unwrap();
    let seen = alice
        .audit_events(&[("limit", "1000")])
        .await
        .unwrap()
        .events;
    assert!(seen.iter().any(|e| e.target.id == file.id));
    assert!(seen.iter().all(|e| e.details["name"] != "bob's"));
    assert!(
        !seen.iter().any(|e| e.action == "user.created"),
        "admin-only events stay hidden"
    );
    assert_api_error(alice.audit_verify().await, 403, "forbidden");
}

async fn the_chain_names_a_row_altered_in_the_database(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    alice.create_folder("one", 0).await.unwrap();
    alice.create_folder("two", 0).await.unwrap();
    let ok = app.admin.audit_verify().await.unwrap();
    assert!(ok.ok && ok.checked >= 4, "{ok:?}");

    let victim = app
        .admin
        .audit_events(&[("action", "folder.created"), ("limit", "1")])
        .await
        .unwrap()
        .events[0]
        .id
        .clone();
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    let drop_guard = match state.store.backend() {
        ferry_store::Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
        ferry_store::Backend::Postgres => "DROP TRIGGER audit_events_no_change ON audit_events",
    };
    sqlx::query(drop_guard).execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE audit_events SET actor_login = 'mallory' WHERE id = $1")
        .bind(&victim)
        .execute(&mut *conn)
        .await
        .unwrap();
    let broken = app.admin.audit_verify().await.unwrap();
    assert!(!broken.ok);
    assert_eq!(broken.broken_event_id.as_deref(), Some(victim.as_str()));
}
