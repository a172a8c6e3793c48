//! The change feed: every change to what a caller can read, in commit order, without gaps or
//! duplicates (also with writers on two nodes), paths as the caller sees them, shared folders,
//! cursors (bad, expired by retention), and the SSE stream (resume, a client that never reads).

use std::collections::HashSet;
use std::time::Duration;

use ferry_api as api;
use ferry_client::Client;
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, assert_api_error};
use crate::{on_both_backends, on_both_backends_with};

on_both_backends!(
    changes_follow_files_and_folders,
    collaborators_see_what_is_shared_under_its_mount,
    bad_and_expired_cursors_are_refused,
    writers_on_two_nodes_leave_no_gaps_or_duplicates,
    numbers_wait_for_the_writer_before_and_a_rollback_leaves_no_gap,
);

on_both_backends_with!(short_streams; streams_end_after_stream_max_secs);

on_both_backends_with!(
    fast_stream;
    the_stream_sends_changes_and_resumes_after_the_last_event,
    a_stream_client_that_never_reads_is_dropped,
);

fn fast_stream(config: &mut ferry_server::Config) {
    config.changes.poll_interval_ms = 50;
    config.changes.stall_timeout_secs = 2;
    config.changes.heartbeat_secs = 1;
}

fn short_streams(config: &mut ferry_server::Config) {
    config.changes.poll_interval_ms = 50;
    config.changes.stream_max_secs = 1;
}

/// `(kind, type, path, old_path)` of each change.
fn summary(changes: &[api::Change]) -> Vec<(String, String, String, Option<String>)> {
    changes
        .iter()
        .map(|c| {
            (
                c.kind.clone(),
                c.item_type.clone(),
                c.path.clone(),
                c.old_path.clone(),
            )
        })
        .collect()
}

fn s(
    kind: &str,
    ty: &str,
    path: &str,
    old: Option<&str>,
) -> (String, String, String, Option<String>) {
    (kind.into(), ty.into(), path.into(), old.map(str::to_string))
}

/// A fresh access token for `login` (created by `app.user`).
async fn token(app: &TestApp, login: &str) -> String {
    app.anon
        .login(login, &format!("password-{login}"))
        .await
        .unwrap()
        .access_token
}

async fn now(client: &Client) -> String {
    let page = client.changes(None, None).await.unwrap();
    assert!(page.changes.is_empty(), "no cursor starts now");
    assert!(!page.has_more);
    page.next_cursor
}

async fn changes_follow_files_and_folders(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let start = now(&alice).await;
    let bob_start = now(&bob).await;

    let top = alice.create_folder("Projects", 0).await.unwrap();
    let sub = alice.create_folder_in(Some(&top.id), "2026").await.unwrap();
    let file = alice
        .upload(&sub.id, "plan.txt", b"v1".to_vec())
        .await
        .unwrap();
    alice
        .update_file(
            &file.id,
            &api::UpdateFile {
                name: Some("Plan.md".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    alice
        .move_file(
            &file.id,
            &api::MoveFile {
                folder_id: top.id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let v2 = alice
        .put_content(&file.id, b"v2".to_vec(), None)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    alice.delete_file(&file.id).await.unwrap();
    alice
        .restore_item(&file.id, &api::RestoreItem::default())
        .await
        .unwrap();
    alice
        .update_folder(
            &sub.id,
            &api::UpdateFolder {
                name: Some("Archive".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let (changes, _) = alice.changes_since(&start).await.unwrap();
    assert_eq!(
        summary(&changes),
        vec![
            s("created", "folder", "/Projects", None),
            s("created", "folder", "/Projects/2026", None),
            s("created", "file", "/Projects/2026/plan.txt", None),
            s(
                "moved",
                "file",
                "/Projects/2026/Plan.md",
                Some("/Projects/2026/plan.txt")
            ),
            s(
                "moved",
                "file",
                "/Projects/Plan.md",
                Some("/Projects/2026/Plan.md")
            ),
            s("updated", "file", "/Projects/Plan.md", None),
            s("deleted", "file", "/Projects/Plan.md", None),
            s("restored", "file", "/Projects/Plan.md", None),
            s(
                "moved",
                "folder",
                "/Projects/Archive",
                Some("/Projects/2026")
            ),
        ]
    );
    assert_eq!(changes[2].id, file.id);
    assert_eq!(changes[2].version, Some(1));
    assert_eq!(changes[5].version, Some(2), "a new version is an update");
    assert_eq!(changes[0].id, top.id);
    let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");

    // Paging gives the same, one at a time, and ends where the whole read ended.
    let mut paged = Vec::new();
    let mut cursor = start.clone();
    loop {
        let page = alice.changes(Some(&cursor), Some(2)).await.unwrap();
        assert!(page.changes.len() <= 2);
        paged.extend(page.changes);
        cursor = page.next_cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(paged, changes);
    // Resuming from the last change's own cursor gives nothing new.
    let after_last = alice
        .changes(Some(&changes.last().unwrap().cursor), None)
        .await
        .unwrap();
    assert!(after_last.changes.is_empty());

    // Bob sees none of it; the admin sees all of it.
    let (bobs, _) = bob.changes_since(&bob_start).await.unwrap();
    assert!(bobs.is_empty(), "another user's changes leak: {bobs:?}");
    let (admins, _) = app.admin.changes_since(&start).await.unwrap();
    assert_eq!(summary(&admins), summary(&changes));

    // The audit is unchanged by the feed: each action still recorded once.
    for action in [
        "upload.completed",
        "file.version_created",
        "file.moved",
        "file.renamed",
    ] {
        let events = alice
            .audit_events(&[("action", action), ("target", &file.id)])
            .await
            .unwrap();
        assert_eq!(events.events.len(), 1, "{action}");
    }
}

async fn collaborators_see_what_is_shared_under_its_mount(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let clients = alice.create_folder("Clients", 0).await.unwrap();
    let acme = alice
        .create_folder_in(Some(&clients.id), "Acme")
        .await
        .unwrap();
    let bob_start = now(&bob).await;
    let invitation = alice
        .invite(
            &acme.id,
            &api::CreateCollaboration {
                user: Some("bob".into()),
                role: "viewer".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    bob.accept_invitation(&invitation.id, None).await.unwrap();
    alice
        .upload(&acme.id, "inside.txt", b"in".to_vec())
        .await
        .unwrap();
    let outside = alice
        .upload(&clients.id, "outside.txt", b"out".to_vec())
        .await
        .unwrap();
    // Moved out of what bob sees: for bob, a deletion.
    let moved = alice
        .upload(&acme.id, "leaving.txt", b"x".to_vec())
        .await
        .unwrap();
    alice
        .move_file(
            &moved.id,
            &api::MoveFile {
                folder_id: clients.id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Moved in: a creation.
    alice
        .move_file(
            &outside.id,
            &api::MoveFile {
                folder_id: acme.id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (changes, seen_up_to) = bob.changes_since(&bob_start).await.unwrap();
    let got = summary(&changes);
    assert!(
        got.iter().all(|c| !c.2.contains("Clients")),
        "a name above the share leaks: {got:?}"
    );
    assert_eq!(
        got.first(),
        Some(&s("shared", "folder", "/Acme", None)),
        "{got:?}"
    );
    let files: Vec<_> = got.iter().filter(|c| c.1 == "file").cloned().collect();
    assert_eq!(
        files,
        vec![
            s("created", "file", "/Acme/inside.txt", None),
            s("created", "file", "/Acme/leaving.txt", None),
            s("deleted", "file", "/Acme/leaving.txt", None),
            s("created", "file", "/Acme/outside.txt", None),
        ]
    );
    // Alice, the owner, sees every one of them from her root.
    let (alice_all, _) = alice.changes_since(&bob_start).await.unwrap();
    assert!(
        alice_all
            .iter()
            .any(|c| c.path == "/Clients/outside.txt" && c.kind == "created")
    );
    assert!(alice_all.iter().any(|c| c.path == "/Clients/leaving.txt"
        && c.kind == "moved"
        && c.old_path.as_deref() == Some("/Clients/Acme/leaving.txt")));

    // Unshared: bob hears that, and nothing of what happens there afterwards.
    alice.remove_collaboration(&invitation.id).await.unwrap();
    alice
        .upload(&acme.id, "after.txt", b"after".to_vec())
        .await
        .unwrap();
    let (later, _) = bob.changes_since(&seen_up_to).await.unwrap();
    assert_eq!(
        summary(&later),
        vec![s("unshared", "folder", "/Acme", None)]
    );
}

async fn bad_and_expired_cursors_are_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let start = now(&alice).await;
    let alice_token = token(&app, "alice").await;
    for bad in ["not-a-cursor", "%%%", "LTE", "OTk5OTk5"] {
        // "LTE" is -1, "OTk5OTk5" 999999: past the feed's end.
        let res = app
            .raw(Method::GET, "/api/v1/changes")
            .query(&[("cursor", bad)])
            .bearer_auth(&alice_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "cursor {bad}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_cursor", "{body}");
    }
    assert_api_error(
        alice.changes(Some(&start), Some(0)).await,
        400,
        "invalid_value",
    );
    let res = app
        .raw(Method::GET, "/api/v1/changes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let folder = alice.create_folder("Old", 0).await.unwrap();
    let (old, _) = alice.changes_since(&start).await.unwrap();
    assert_eq!(old.len(), 1);
    // Past the retention window the collector prunes; the old cursor can no longer be
    // answered truthfully.
    let keep = app.config.changes.keep_days as u64;
    app.clock.advance(Duration::from_secs((keep + 1) * 86_400));
    app.run_jobs().await;
    // (Her login has expired meanwhile too.)
    let alice_token = token(&app, "alice").await;
    let alice = app.anon.with_token(alice_token.clone());
    assert_api_error(
        alice.changes(Some(&start), None).await,
        410,
        "cursor_expired",
    );
    // The SSE stream says the same before it starts.
    let res = app
        .raw(Method::GET, "/api/v1/changes/stream")
        .header("Last-Event-ID", start.as_str())
        .bearer_auth(&alice_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    // A cursor taken after the pruned change still works, and new changes follow.
    let (_, fresh) = alice.changes_since(&old[0].cursor).await.unwrap();
    alice
        .update_folder(
            &folder.id,
            &api::UpdateFolder {
                name: Some("New".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (after, _) = alice.changes_since(&fresh).await.unwrap();
    assert_eq!(
        summary(&after),
        vec![s("moved", "folder", "/New", Some("/Old"))]
    );
}

async fn writers_on_two_nodes_leave_no_gaps_or_duplicates(app: TestApp) {
    // A second node on the same database (and data dir).
    let second = ferry_server::Server::start_with_clock(app.config.clone(), app.clock.clone())
        .await
        .expect("second node starts");
    let second_url = format!("http://{}", second.addr());
    let (_, alice) = app.user("alice", None).await;
    let alice2 = Client::new(&second_url).with_token(token(&app, "alice").await);
    let start = now(&app.admin).await;

    // A reader follows the feed while the writers write: it must see each change once.
    let reader = {
        let admin = app.admin.clone();
        let start = start.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut cursor = start;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            while tokio::time::Instant::now() < deadline {
                let page = admin.changes(Some(&cursor), Some(7)).await.unwrap();
                seen.extend(page.changes);
                cursor = page.next_cursor;
                if seen.len() >= 80 {
                    break;
                }
                if !page.has_more {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            seen
        })
    };
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = if w % 2 == 0 {
            alice.clone()
        } else {
            alice2.clone()
        };
        writers.push(tokio::spawn(async move {
            let top = client.create_folder(&format!("w{w}"), 0).await.unwrap();
            for i in 0..9 {
                client
                    .upload(&top.id, &format!("f{i}"), vec![w as u8; 10])
                    .await
                    .unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let seen = tokio::time::timeout(Duration::from_secs(120), reader)
        .await
        .expect("the reader catches up")
        .unwrap();
    assert_eq!(seen.len(), 80, "8 folders and 72 files");
    let seqs: Vec<i64> = seen.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "numbers follow each other without a gap: {seqs:?}"
    );
    let ids: HashSet<&str> = seen.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 80, "no duplicates");
    // What the reader saw while the writers wrote is what the feed holds now.
    let (all, _) = app.admin.changes_since(&start).await.unwrap();
    assert_eq!(all, seen);
    second.shutdown().await.unwrap();
}

/// Reads SSE `change` events from `res` until `n` have come (or 20 s pass).
async fn read_events(res: &mut reqwest::Response, n: usize) -> Vec<(String, api::Change)> {
    let mut buf = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while events.len() < n {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("events arrive in time")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            let mut is_change = false;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = Some(v.trim().to_string());
                } else if line.trim() == "event: change" || line.trim() == "event:change" {
                    is_change = true;
                }
            }
            if is_change {
                let change: api::Change = serde_json::from_str(&data.unwrap()).unwrap();
                events.push((id.unwrap(), change));
            }
        }
    }
    events
}

async fn the_stream_sends_changes_and_resumes_after_the_last_event(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let stream = |token: String, last: Option<String>| {
        let mut req = app
            .raw(Method::GET, "/api/v1/changes/stream")
            .bearer_auth(token);
        if let Some(last) = last {
            req = req.header("Last-Event-ID", last);
        }
        req.send()
    };
    let alice_token = token(&app, "alice").await;
    let mut res = stream(alice_token.clone(), None).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut bobs = stream(token(&app, "bob").await, None).await.unwrap();
    let docs = alice.create_folder("Docs", 0).await.unwrap();
    alice
        .upload(&docs.id, "a.txt", b"a".to_vec())
        .await
        .unwrap();
    let got = read_events(&mut res, 2).await;
    assert_eq!(got[0].1.path, "/Docs");
    assert_eq!(got[1].1.path, "/Docs/a.txt");
    assert_eq!(got[1].0, got[1].1.cursor, "the event id is the cursor");
    drop(res);

    // While away: two more changes. Resuming after the first event replays from there.
    alice
        .upload(&docs.id, "b.txt", b"b".to_vec())
        .await
        .unwrap();
    alice
        .upload(&docs.id, "c.txt", b"c".to_vec())
        .await
        .unwrap();
    let mut res = stream(alice_token.clone(), Some(got[0].0.clone()))
        .await
        .unwrap();
    let resumed = read_events(&mut res, 3).await;
    let paths: Vec<&str> = resumed.iter().map(|(_, c)| c.path.as_str()).collect();
    assert_eq!(paths, ["/Docs/a.txt", "/Docs/b.txt", "/Docs/c.txt"]);

    // Bob's stream heard nothing of alice's; it has only heartbeats, then his own change.
    bob.create_folder("Bobs", 0).await.unwrap();
    let his = read_events(&mut bobs, 1).await;
    assert_eq!(his[0].1.path, "/Bobs");

    let res = app
        .raw(Method::GET, "/api/v1/changes/stream")
        .header("Last-Event-ID", "garbage")
        .bearer_auth(&alice_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn a_stream_client_that_never_reads_is_dropped(app: TestApp) {
    let (user, alice) = app.user("alice", None).await;
    let token = token(&app, "alice").await;
    let state = app.server.as_ref().unwrap().state().clone();
    // A socket with a tiny receive window, that sends its request and then reads nothing.
    let addr: std::net::SocketAddr = app.url.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(addr).await.unwrap();
    stalled
        .write_all(
            format!(
                "GET /api/v1/changes/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 20 MB of changes for alice (written straight into the feed: only its size matters here).
    let long = "x".repeat(4000);
    let total = 5000;
    let mut tx = state.store.begin().await.unwrap();
    for i in 0..total {
        ferry_store::changes::append(
            &mut tx,
            &ferry_store::changes::NewChange {
                time: state.now_ms(),
                kind: "created".into(),
                item_type: "folder".into(),
                item_id: format!("fld_bulk{i}"),
                owner_id: user.id.clone(),
                chain: ferry_store::changes::chain_of([format!("fld_bulk{i}").as_str()]),
                path: format!("/{long}{i}"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    // The server gives up on it after the stall timeout: reading now finds what was in the
    // buffers, then the end, long before all 20 MB.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut received = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match stalled.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    received += n;
                    tail.extend_from_slice(&buf[..n]);
                    let keep = tail.len().saturating_sub(16);
                    tail.drain(..keep);
                    // The chunked body's last chunk: the server ended the stream.
                    if tail.ends_with(b"\r\n0\r\n\r\n") {
                        return;
                    }
                }
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the server ended the stalled stream");
    assert!(
        received < total * 4000 / 2,
        "the server held back what the client did not take ({received} bytes)"
    );
    // And the server is fine: a reading client gets the feed.
    let page = alice.changes(None, None).await.unwrap();
    assert!(page.changes.is_empty());
}

async fn streams_end_after_stream_max_secs(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let start = now(&alice).await;
    alice.create_folder("Before", 0).await.unwrap();
    let res = app
        .raw(Method::GET, "/api/v1/changes/stream")
        .header("Last-Event-ID", start.as_str())
        .bearer_auth(token(&app, "alice").await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The whole body arrives: the stream ends by itself, after what was waiting.
    let body = tokio::time::timeout(Duration::from_secs(20), res.text())
        .await
        .expect("the stream ends")
        .unwrap();
    assert!(body.contains("event: change"), "{body}");
    assert!(body.contains("/Before"), "{body}");
}

fn bulk_change(owner: &str, id: &str) -> ferry_store::changes::NewChange {
    ferry_store::changes::NewChange {
        time: 1,
        kind: "created".into(),
        item_type: "folder".into(),
        item_id: id.into(),
        owner_id: owner.into(),
        chain: ferry_store::changes::chain_of([id]),
        path: format!("/{id}"),
        ..Default::default()
    }
}

async fn numbers_wait_for_the_writer_before_and_a_rollback_leaves_no_gap(app: TestApp) {
    let state = app.server.as_ref().unwrap().state().clone();
    let store = state.store.clone();
    let before = {
        let mut c = store.conn().await.unwrap();
        ferry_store::changes::position(&mut c)
            .await
            .unwrap()
            .last_seq
    };
    // A writer takes a number and has not committed yet.
    let mut first = store.begin().await.unwrap();
    let n = ferry_store::changes::append(&mut first, &bulk_change("usr_x", "fld_first"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, before + 1);
    // A second writer on another connection must wait for it (on SQLite, to begin at all).
    let second = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let seq = ferry_store::changes::append(&mut tx, &bulk_change("usr_x", "fld_second"))
                .await
                .unwrap()
                .unwrap();
            tx.commit().await.unwrap();
            seq
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !second.is_finished(),
        "the second writer waits for the first"
    );
    // Readers see neither: the feed's end is still where it was.
    let mut reader = store.conn().await.unwrap();
    assert_eq!(
        ferry_store::changes::position(&mut reader)
            .await
            .unwrap()
            .last_seq,
        before
    );
    drop(reader);
    // The first rolls back: the second gets its number, and there is no gap.
    first.rollback().await.unwrap();
    let seq = tokio::time::timeout(Duration::from_secs(30), second)
        .await
        .expect("the second writer goes on")
        .unwrap();
    assert_eq!(seq, before + 1, "the rolled-back number is reused");
    let mut reader = store.conn().await.unwrap();
    let all = ferry_store::changes::list(
        &mut reader,
        &ferry_store::changes::Scope {
            all: true,
            ..Default::default()
        },
        before,
        before + 10,
        10,
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].seq, all[0].item_id.as_str()),
        (before + 1, "fld_second")
    );
}
