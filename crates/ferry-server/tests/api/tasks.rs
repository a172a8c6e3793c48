//! Tasks: a copy of a big tree and the emptying of a big trash answer `202` with a task that a
//! worker runs; the copy appears whole or not at all; a task whose worker died is taken over;
//! a task is visible to its creator only.

use std::time::Duration;

use ferry_api as api;
use ferry_client::{Client, Started};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, parse};
use crate::on_both_backends_with;

/// Copies of more than 3 files are tasks, and the server's own worker stays idle (it looks
/// once at start, then every hour), so the test decides when tasks run (`run_jobs`).
fn small_inline_limit(config: &mut ferry_server::Config) {
    config.tasks.inline_max_items = 3;
    config.tasks.poll_interval_ms = 3_600_000;
}

/// Copies of more than 1 file are tasks, run by the server's own worker.
fn server_runs_tasks(config: &mut ferry_server::Config) {
    config.tasks.inline_max_items = 1;
    config.tasks.poll_interval_ms = 20;
}

on_both_backends_with!(small_inline_limit;
    big_copies_are_tasks_and_appear_whole,
    a_failed_copy_task_leaves_nothing_behind,
    a_task_whose_worker_died_is_taken_over,
    a_big_trash_is_emptied_by_a_task,
);

on_both_backends_with!(server_runs_tasks; the_client_waits_for_the_servers_worker);

fn under(parent_id: &str) -> api::MoveFolder {
    api::MoveFolder {
        parent_id: Some(Some(parent_id.to_string())),
        ..Default::default()
    }
}

/// `/top` holding `src` with `a.txt`, `b.txt` and `inner/c.txt`, `inner/d.txt` (10 bytes
/// each): four files, one more than may be copied inside a request.
async fn tree(alice: &Client) -> (api::Folder, api::Folder) {
    let top = alice.create_folder("top", 0).await.unwrap();
    let src = alice.create_folder_in(Some(&top.id), "src").await.unwrap();
    let inner = alice
        .create_folder_in(Some(&src.id), "inner")
        .await
        .unwrap();
    for (folder, name) in [
        (&src, "a.txt"),
        (&src, "b.txt"),
        (&inner, "c.txt"),
        (&inner, "d.txt"),
    ] {
        alice
            .upload(&folder.id, name, name.repeat(2).into_bytes()[..10].to_vec())
            .await
            .unwrap();
    }
    (top, src)
}

fn names(list: &api::FolderList) -> Vec<String> {
    list.folders.iter().map(|f| f.name.clone()).collect()
}

async fn queued_copy(alice: &Client, src: &str, to: &api::MoveFolder) -> api::Task {
    match alice.start_copy_folder(src, to).await.unwrap() {
        Started::Queued(task) => *task,
        Started::Done(folder) => panic!("copied inside the request: {folder:?}"),
    }
}

async fn big_copies_are_tasks_and_appear_whole(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let (top, src) = tree(&alice).await;
    let blobs = app.blob_files().await;
    // The raw answer: 202, the task, and where to follow it.
    let res = alice
        .request(Method::POST, &format!("/folders/{}/copy", src.id))
        .json(&json!({"parent_id": top.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let queued: api::Queued = parse(res).await.unwrap();
    let task = queued.task;
    assert_eq!(location, format!("/api/v1/tasks/{}", task.id));
    assert!(task.id.starts_with("tsk_"));
    assert_eq!(
        (task.kind.as_str(), task.status.as_str()),
        ("folder.copy", "queued")
    );
    assert_eq!((task.progress.done, task.progress.total), (0, 4));
    assert!(task.result.is_none() && task.error.is_none() && task.finished_at.is_none());
    // Nothing of the copy is in sight, nor paid for, before the task has run.
    assert_eq!(
        names(&alice.children(&top.id, None, None).await.unwrap()),
        ["src"]
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 40);
    // Only its creator (and admins) see the task.
    assert_api_error(bob.task(&task.id).await, 404, "not_found");
    assert_eq!(app.admin.task(&task.id).await.unwrap().id, task.id);
    assert_api_error(alice.task("tsk_0000").await, 404, "not_found");
    assert_api_error(alice.task("fld_0000").await, 404, "not_found");

    app.run_jobs().await;
    let done = alice.task(&task.id).await.unwrap();
    assert_eq!(done.status, "succeeded", "{done:?}");
    assert_eq!((done.progress.done, done.progress.total), (4, 4));
    assert!(done.finished_at.is_some() && done.error.is_none());
    let result = done.result.expect("a result");
    assert_eq!(result["path"], "/top/src (1)");
    assert_eq!(
        (result["files"].as_i64(), result["folders"].as_i64()),
        (Some(4), Some(2))
    );
    let copy = alice
        .get_folder(result["folder_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(copy.path, "/top/src (1)");
    let files = alice.list_files(&copy.id, None, None).await.unwrap().files;
    let file_names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(file_names, ["a.txt", "b.txt"]);
    let inner = &alice.children(&copy.id, None, None).await.unwrap().folders[0];
    assert_eq!(inner.path, "/top/src (1)/inner");
    let inner_files = alice.list_files(&inner.id, None, None).await.unwrap().files;
    assert_eq!(inner_files.len(), 2);
    let body = alice.download(&inner_files[0].id, &[]).await.unwrap().body;
    assert_eq!(body.as_ref(), b"c.txtc.txt");
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 80);
    assert_eq!(app.blob_files().await, blobs, "no bytes are copied");
    // The copy is audited once, as a whole.
    let events = alice
        .audit_events(&[("action", "folder.copied")])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["files"], 4);
}

async fn a_failed_copy_task_leaves_nothing_behind(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (top, src) = tree(&alice).await;
    // The name is free when the copy is asked for, taken when the task runs.
    let to = api::MoveFolder {
        name: Some("dest".into()),
        on_conflict: Some("fail".into()),
        ..under(&top.id)
    };
    let task = queued_copy(&alice, &src.id, &to).await;
    alice.create_folder_in(Some(&top.id), "DEST").await.unwrap();
    app.run_jobs().await;
    let failed = alice.task(&task.id).await.unwrap();
    assert_eq!(failed.status, "failed");
    let error = failed.error.expect("an error");
    assert_eq!(error.code, "name_conflict");
    assert!(failed.result.is_none());
    // Nothing half-done: no copy, no quota taken, no hidden rows left.
    assert_eq!(
        names(&alice.children(&top.id, None, None).await.unwrap()),
        ["DEST", "src"]
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 40);
    let state = app.server.as_ref().unwrap().state();
    let mut conn = state.store.conn().await.unwrap();
    let (folders, files): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM folders), (SELECT COUNT(*) FROM files)")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(
        (folders, files),
        (4, 4),
        "top, src, inner, DEST and the four originals"
    );
    // A copy past the quota is refused when asked, before any task.
    let (_, carol) = app.user("carol", Some(50)).await;
    let (ctop, csrc) = tree(&carol).await;
    assert_api_error(
        carol.start_copy_folder(&csrc.id, &under(&ctop.id)).await,
        413,
        "quota_exceeded",
    );
}

async fn a_task_whose_worker_died_is_taken_over(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (top, src) = tree(&alice).await;
    let task = queued_copy(&alice, &src.id, &under(&top.id)).await;
    // A worker claims it and dies at once: the task stays running under its lease.
    let state = app.server.as_ref().unwrap().state();
    {
        let mut conn = state.store.conn().await.unwrap();
        let now = state.now_ms();
        let claimed = ferry_store::tasks::claim(&mut conn, now, now + 60_000)
            .await
            .unwrap()
            .expect("claimed");
        assert_eq!(claimed.id, task.id);
    }
    app.run_jobs().await;
    assert_eq!(
        alice.task(&task.id).await.unwrap().status,
        "running",
        "its lease holds"
    );
    assert_eq!(
        names(&alice.children(&top.id, None, None).await.unwrap()),
        ["src"]
    );
    // Past the lease, another worker takes it over and finishes it.
    app.clock.advance(Duration::from_secs(61));
    app.run_jobs().await;
    let done = alice.task(&task.id).await.unwrap();
    assert_eq!(done.status, "succeeded", "{done:?}");
    assert_eq!(
        names(&alice.children(&top.id, None, None).await.unwrap()),
        ["src", "src (1)"]
    );
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 80);
}

async fn a_big_trash_is_emptied_by_a_task(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, src) = tree(&alice).await;
    for file in alice.list_files(&src.id, None, None).await.unwrap().files {
        alice.delete_file(&file.id).await.unwrap();
    }
    let sub = alice.create_folder_in(Some(&src.id), "gone").await.unwrap();
    alice.delete_folder(&sub.id, false).await.unwrap();
    let other = alice
        .create_folder_in(Some(&src.id), "gone too")
        .await
        .unwrap();
    alice.delete_folder(&other.id, false).await.unwrap();
    assert_eq!(alice.trash(None, None).await.unwrap().items.len(), 4);
    let res = alice
        .request(Method::DELETE, "/trash")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let queued: api::Queued = parse(res).await.unwrap();
    assert_eq!(queued.task.kind, "trash.empty");
    assert_eq!(queued.task.progress.total, 4);
    assert_eq!(
        alice.trash(None, None).await.unwrap().items.len(),
        4,
        "not yet"
    );
    app.run_jobs().await;
    let done = alice.task(&queued.task.id).await.unwrap();
    assert_eq!(done.status, "succeeded", "{done:?}");
    assert_eq!(done.result.unwrap()["items"], 4);
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
    assert_eq!(
        alice.me().await.unwrap().quota.used_bytes,
        20,
        "the purged bytes are free"
    );
    // A trash small enough is emptied inside the request.
    let file = &alice.list_files(&src.id, None, None).await.unwrap();
    assert!(file.files.is_empty());
    let inner = &alice.children(&src.id, None, None).await.unwrap().folders[0];
    let left = alice.list_files(&inner.id, None, None).await.unwrap().files;
    alice.delete_file(&left[0].id).await.unwrap();
    assert!(matches!(
        alice.start_empty_trash().await.unwrap(),
        Started::Done(())
    ));
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
}

async fn the_client_waits_for_the_servers_worker(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (top, src) = tree(&alice).await;
    // The client sees a copy, whether the server made a task of it or not.
    let copy = alice.copy_folder(&src.id, &under(&top.id)).await.unwrap();
    assert_eq!(copy.path, "/top/src (1)");
    let files = alice.list_files(&copy.id, None, None).await.unwrap().files;
    assert_eq!(files.len(), 2);
    for file in files {
        alice.delete_file(&file.id).await.unwrap();
    }
    alice.empty_trash().await.unwrap();
    assert!(alice.trash(None, None).await.unwrap().items.is_empty());
}
