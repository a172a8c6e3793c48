//! Tasks: one worker at a time holds a task; a lapsed lease hands it to the next, and the
//! worker that lost it can change nothing any more.

use ferry_core::{TaskKind, TaskStatus};
use ferry_store::Store;
use ferry_store::tasks::{self, Ending};

use super::{add_user, postgres, sqlite};

conformance!(a_task_has_one_worker_at_a_time);

async fn a_task_has_one_worker_at_a_time(store: &Store) {
    let owner = add_user(store, "tasker", None).await;
    let mut c = store.conn().await.unwrap();
    assert!(
        tasks::claim(&mut c, 0, 100).await.unwrap().is_none(),
        "nothing queued"
    );
    tasks::insert(&mut c, "tsk_a", TaskKind::FolderCopy, &owner, "{}", 10, 1)
        .await
        .unwrap();
    let first = tasks::claim(&mut c, 10, 110)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!((first.attempt, first.status), (1, TaskStatus::Running));
    assert_eq!(first.started_at, Some(10));
    assert!(
        tasks::claim(&mut c, 50, 150).await.unwrap().is_none(),
        "a running task under its lease is not claimed again"
    );
    assert!(
        tasks::progress(
            &mut c,
            "tsk_a",
            1,
            4,
            10,
            Some("{\"copy_root\":\"x\"}"),
            200
        )
        .await
        .unwrap(),
        "the holder reports progress and renews its lease"
    );
    assert!(
        tasks::claim(&mut c, 150, 250).await.unwrap().is_none(),
        "renewed"
    );
    // The holder goes quiet; after the lease another worker takes over, checkpoint and all.
    let second = tasks::claim(&mut c, 201, 300)
        .await
        .unwrap()
        .expect("taken over");
    assert_eq!(second.attempt, 2);
    assert_eq!(second.checkpoint.as_deref(), Some("{\"copy_root\":\"x\"}"));
    assert_eq!((second.progress_done, second.progress_total), (4, 10));
    assert!(
        !tasks::progress(&mut c, "tsk_a", 1, 9, 10, None, 400)
            .await
            .unwrap(),
        "the first worker lost its claim"
    );
    let failed = Ending::Failed {
        code: "x".into(),
        message: "x".into(),
    };
    assert!(
        !tasks::finish(&mut c, "tsk_a", 1, &failed, 210)
            .await
            .unwrap()
    );
    let done = Ending::Succeeded {
        result: "{\"items\":10}".into(),
    };
    assert!(tasks::finish(&mut c, "tsk_a", 2, &done, 220).await.unwrap());
    let task = tasks::get(&mut c, "tsk_a").await.unwrap().unwrap();
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!((task.progress_done, task.finished_at), (10, Some(220)));
    assert_eq!((task.checkpoint, task.lease_until), (None, None));
    assert!(
        tasks::claim(&mut c, 10_000, 10_100)
            .await
            .unwrap()
            .is_none(),
        "over for good"
    );
    // A released task is queued again at once, for the next attempt.
    tasks::insert(&mut c, "tsk_b", TaskKind::TrashEmpty, &owner, "{}", 0, 2)
        .await
        .unwrap();
    let b = tasks::claim(&mut c, 300, 400).await.unwrap().unwrap();
    tasks::release(&mut c, &b.id, b.attempt).await.unwrap();
    let again = tasks::claim(&mut c, 301, 401).await.unwrap().unwrap();
    assert_eq!((again.id.as_str(), again.attempt), ("tsk_b", 2));
}
