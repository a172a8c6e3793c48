//! Comments on files: who may read, add, edit and delete them, tasks and their status,
//! `@mentions` that notify readers and nobody else, validation, and comments going with
//! their file when it is purged.

use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{TestApp, assert_api_error, assert_field_error};
use crate::on_both_backends;

on_both_backends!(
    readers_comment_and_mentions_reach_readers_only,
    authors_edit_and_managers_delete,
    tasks_are_assigned_and_done,
    bad_comments_are_refused,
    comments_go_with_their_purged_file,
);

/// Shares `folder` with `login` as `role`, accepted.
async fn share(owner: &Client, folder: &str, who: &Client, login: &str, role: &str) {
    let invitation = owner
        .invite(
            folder,
            &api::CreateCollaboration {
                user: Some(login.into()),
                role: role.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    who.accept_invitation(&invitation.id, None).await.unwrap();
}

fn done() -> api::UpdateComment {
    api::UpdateComment {
        status: Some("done".into()),
        ..Default::default()
    }
}

fn text(body: &str) -> api::UpdateComment {
    api::UpdateComment {
        body: Some(body.into()),
        ..Default::default()
    }
}

/// The kinds of `who`'s unread notices that tell of comments.
async fn comment_notices(who: &Client) -> Vec<api::Notice> {
    who.notices(true, None, None)
        .await
        .unwrap()
        .notices
        .into_iter()
        .filter(|n| n.kind.starts_with("comment."))
        .collect()
}

async fn readers_comment_and_mentions_reach_readers_only(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (vic_user, vic) = app.user("vic", None).await;
    let (_, ron) = app.user("ron", None).await;
    let (_, out) = app.user("outsider", None).await;
    let top = alice.create_folder("Reports", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "q4.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    share(&alice, &top.id, &vic, "vic", "viewer").await;
    share(&alice, &top.id, &ron, "ron", "viewer").await;

    // A viewer comments; the owner sees it.
    let body = "Page 3 looks wrong, @alice @Ron and @outsider: please check.\nThanks";
    let c = vic.add_comment(&file.id, body, None).await.unwrap();
    assert!(c.id.starts_with("cmt_"), "{}", c.id);
    assert_eq!(c.file_id, file.id);
    assert_eq!(
        (c.author.id.as_str(), c.author.login.as_str()),
        (vic_user.id.as_str(), "vic")
    );
    assert_eq!(c.body, body);
    assert!(c.task.is_none());
    assert_eq!(c.created_at, c.updated_at);
    let seen = alice.comments(&file.id, None, None).await.unwrap();
    assert_eq!(seen.comments.len(), 1);
    assert_eq!(seen.comments[0].id, c.id);
    assert_eq!(seen.next_cursor, None);

    // The mentioned readers hear of it; the outsider, who cannot read the file, does not.
    for (who, login) in [(&alice, "alice"), (&ron, "ron")] {
        let notices = comment_notices(who).await;
        assert_eq!(notices.len(), 1, "{login}: {notices:?}");
        let n = &notices[0];
        assert_eq!(n.kind, "comment.mention");
        assert_eq!(n.data["comment_id"], c.id.as_str());
        assert_eq!(n.data["file_id"], file.id.as_str());
        assert_eq!(n.data["file_name"], "q4.pdf");
        assert_eq!(n.data["author"]["login"], "vic");
        assert_eq!(n.data["excerpt"], body);
    }
    assert!(comment_notices(&out).await.is_empty());
    assert!(
        comment_notices(&vic).await.is_empty(),
        "no notice of one's own mention"
    );

    // The outsider sees neither the file nor its comments.
    assert_api_error(out.comments(&file.id, None, None).await, 404, "not_found");
    assert_api_error(
        out.add_comment(&file.id, "hi", None).await,
        404,
        "not_found",
    );
    assert_api_error(
        out.update_comment(&c.id, &text("x")).await,
        404,
        "not_found",
    );
    assert_api_error(out.delete_comment(&c.id).await, 404, "not_found");

    // Oldest first, page by page; a long body's excerpt is cut at 200 characters.
    let long = format!("@ron {}", "x".repeat(400));
    let second = alice.add_comment(&file.id, &long, None).await.unwrap();
    let first_page = alice.comments(&file.id, Some(1), None).await.unwrap();
    assert_eq!(first_page.comments[0].id, c.id);
    let next = first_page.next_cursor.expect("a second page");
    let second_page = alice
        .comments(&file.id, Some(1), Some(&next))
        .await
        .unwrap();
    assert_eq!(second_page.comments[0].id, second.id);
    assert_eq!(second_page.next_cursor, None);
    let excerpt = comment_notices(&ron)
        .await
        .into_iter()
        .find(|n| n.data["comment_id"] == second.id.as_str())
        .expect("ron was mentioned again")
        .data["excerpt"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(excerpt.chars().count(), 200);

    // Audited on the file, in the same transaction.
    let events = alice
        .audit_events(&[("action", "comment.created"), ("target", &file.id)])
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.actor.as_ref().is_some_and(|a| a.id == vic_user.id))
            .count(),
        1
    );
}

async fn authors_edit_and_managers_delete(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, vic) = app.user("vic", None).await;
    let (_, eve) = app.user("eve", None).await;
    let (_, max) = app.user("max", None).await;
    let top = alice.create_folder("Reports", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "q4.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    share(&alice, &top.id, &vic, "vic", "viewer").await;
    share(&alice, &top.id, &eve, "eve", "editor").await;
    share(&alice, &top.id, &max, "max", "manager").await;
    let by_vic = vic.add_comment(&file.id, "first", None).await.unwrap();

    // Only the author edits the body: not the owner, not a manager.
    app.clock.advance(std::time::Duration::from_secs(5));
    let edited = vic
        .update_comment(&by_vic.id, &text("first, edited"))
        .await
        .unwrap();
    assert_eq!(edited.body, "first, edited");
    assert_ne!(edited.updated_at, edited.created_at);
    for other in [&alice, &eve, &max] {
        assert_api_error(
            other.update_comment(&by_vic.id, &text("mine now")).await,
            403,
            "permission_denied",
        );
    }
    // A plain comment has no status to set.
    assert_field_error(
        vic.update_comment(&by_vic.id, &done()).await,
        400,
        "invalid_value",
        "status",
    );

    // The author deletes their own; an editor may not delete another's, a manager may.
    let own = vic.add_comment(&file.id, "to go", None).await.unwrap();
    vic.delete_comment(&own.id).await.unwrap();
    assert_api_error(vic.delete_comment(&own.id).await, 404, "not_found");
    assert_api_error(
        eve.delete_comment(&by_vic.id).await,
        403,
        "permission_denied",
    );
    let by_eve = eve.add_comment(&file.id, "editor's", None).await.unwrap();
    assert_api_error(
        vic.delete_comment(&by_eve.id).await,
        403,
        "permission_denied",
    );
    max.delete_comment(&by_vic.id).await.unwrap();
    alice.delete_comment(&by_eve.id).await.unwrap();
    assert!(
        alice
            .comments(&file.id, None, None)
            .await
            .unwrap()
            .comments
            .is_empty()
    );

    let actions: Vec<String> = alice
        .audit_events(&[("target", &file.id)])
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("comment."))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "comment.updated").count(),
        1
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "comment.deleted").count(),
        3
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "comment.created").count(),
        3
    );
}

async fn tasks_are_assigned_and_done(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (vic_user, vic) = app.user("vic", None).await;
    let (_, ron) = app.user("ron", None).await;
    let (_, eve) = app.user("eve", None).await;
    let (_, out) = app.user("outsider", None).await;
    let top = alice.create_folder("Reports", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "q4.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    share(&alice, &top.id, &vic, "vic", "viewer").await;
    share(&alice, &top.id, &ron, "ron", "viewer").await;
    share(&alice, &top.id, &eve, "eve", "editor").await;

    // Assigned by login (or id): an open task, and a notice for the assignee.
    let task = alice
        .add_comment(&file.id, "Fix the totals", Some("vic"))
        .await
        .unwrap();
    let t = task.task.as_ref().expect("a task");
    assert_eq!(
        (
            t.assignee.id.as_str(),
            t.assignee.login.as_str(),
            t.status.as_str()
        ),
        (vic_user.id.as_str(), "vic", "open")
    );
    let notices = comment_notices(&vic).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].kind, "comment.assigned");
    assert_eq!(notices[0].data["comment_id"], task.id.as_str());
    assert_eq!(notices[0].data["author"]["login"], "alice");
    let by_id = alice
        .add_comment(&file.id, "And the dates", Some(&vic_user.id))
        .await
        .unwrap();
    assert_eq!(by_id.task.unwrap().assignee.login, "vic");

    // Someone who cannot read the file, or no one, cannot be assigned.
    for who in ["outsider", "nobody", "usr_0123456789abcdef01234567"] {
        assert_field_error(
            alice.add_comment(&file.id, "x", Some(who)).await,
            400,
            "invalid_value",
            "assignee",
        );
    }
    assert!(comment_notices(&out).await.is_empty());

    // Another viewer may not close it; the assignee may, and the author or an editor may
    // open it again.
    assert_api_error(
        ron.update_comment(&task.id, &done()).await,
        403,
        "permission_denied",
    );
    let closed = vic.update_comment(&task.id, &done()).await.unwrap();
    assert_eq!(closed.task.as_ref().unwrap().status, "done");
    assert_eq!(closed.body, "Fix the totals");
    let reopen = api::UpdateComment {
        status: Some("open".into()),
        ..Default::default()
    };
    assert_eq!(
        eve.update_comment(&task.id, &reopen)
            .await
            .unwrap()
            .task
            .unwrap()
            .status,
        "open"
    );
    assert_eq!(
        alice
            .update_comment(&task.id, &done())
            .await
            .unwrap()
            .task
            .unwrap()
            .status,
        "done"
    );
    // The assignee changes the status, not the text.
    assert_api_error(
        vic.update_comment(&task.id, &text("done it")).await,
        403,
        "permission_denied",
    );
    assert_field_error(
        vic.update_comment(
            &task.id,
            &api::UpdateComment {
                status: Some("closed".into()),
                ..Default::default()
            },
        )
        .await,
        400,
        "invalid_value",
        "status",
    );
    let listed = ron.comments(&file.id, None, None).await.unwrap().comments;
    assert_eq!(listed[0].task.as_ref().unwrap().status, "done");
}

async fn bad_comments_are_refused(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Reports", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "q4.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    let longest = "é".repeat(10_000);
    for body in [
        String::new(),
        "  \n ".into(),
        "é".repeat(10_001),
        "bell\u{7}".into(),
        "cr\r\nlf".into(),
        "nul\0".into(),
    ] {
        assert_field_error(
            alice.add_comment(&file.id, &body, None).await,
            400,
            "invalid_value",
            "body",
        );
    }
    let c = alice.add_comment(&file.id, &longest, None).await.unwrap();
    assert_eq!(c.body.chars().count(), 10_000);
    assert_field_error(
        alice.update_comment(&c.id, &text("")).await,
        400,
        "invalid_value",
        "body",
    );
    // Ids that are not comments' or files', or that name nothing.
    assert_api_error(
        alice.comments("fil_nothing", None, None).await,
        404,
        "not_found",
    );
    assert_api_error(alice.comments(&top.id, None, None).await, 404, "not_found");
    assert_api_error(
        alice
            .update_comment("cmt_0123456789abcdef01234567", &text("x"))
            .await,
        404,
        "not_found",
    );
    assert_api_error(alice.delete_comment(&file.id).await, 404, "not_found");
    // Malformed JSON is the usual 400.
    let token = app
        .anon
        .login("alice", "password-alice")
        .await
        .unwrap()
        .access_token;
    let res = app
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/files/{}/comments", file.id),
        )
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(r#"{"body": 5}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn comments_go_with_their_purged_file(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("Reports", 0).await.unwrap();
    let file = alice
        .upload(&top.id, "q4.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    let c = alice.add_comment(&file.id, "a note", None).await.unwrap();
    // In the trash the file and its comments are out of sight.
    alice.delete_file(&file.id).await.unwrap();
    assert_api_error(alice.comments(&file.id, None, None).await, 404, "not_found");
    assert_api_error(
        alice.update_comment(&c.id, &text("x")).await,
        404,
        "not_found",
    );
    let state = app.server.as_ref().unwrap().state();
    let count = || async {
        let mut conn = state.store.conn().await.unwrap();
        ferry_store::comments::count_on_file(&mut conn, &file.id)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 1, "kept while the file is in the trash");
    // Purged: they are gone with it.
    alice.empty_trash().await.unwrap();
    app.run_jobs().await;
    assert_api_error(alice.get_file(&file.id).await, 404, "not_found");
    assert_eq!(count().await, 0);
    let mut conn = state.store.conn().await.unwrap();
    assert!(
        ferry_store::comments::get(&mut conn, &c.id)
            .await
            .unwrap()
            .is_none()
    );
}
