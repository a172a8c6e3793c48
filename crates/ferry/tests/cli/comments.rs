//! `ferry comment ls|add|edit|done|reopen|rm`, with two users logged in side by side.

use ferry_api as api;
use ferry_client::Client;

use crate::helpers::{TestServer, json, stderr, stdout};

/// A user made through the API, their API client, and a config dir the CLI is logged in with.
struct User {
    api: Client,
    dir: tempfile::TempDir,
}

fn user(t: &TestServer, login: &str) -> User {
    let password = format!("password-{login}");
    t.rt.block_on(t.admin.create_user(&api::CreateUser {
        login: login.into(),
        password: password.clone(),
        name: None,
        role: None,
        quota_bytes: None,
        company_id: None,
    }))
    .expect("create user");
    let session =
        t.rt.block_on(Client::new(&t.url).login(login, &password))
            .expect("log in");
    let dir = tempfile::tempdir().expect("temp dir");
    t.ferry_in(dir.path())
        .args(["login", &t.url, "--login", login, "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .assert()
        .success();
    User {
        api: Client::new(&t.url).with_token(session.access_token),
        dir,
    }
}

fn ok(t: &TestServer, who: &User, args: &[&str]) -> String {
    let out = t.ferry_in(who.dir.path()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        stderr(&out),
        stdout(&out)
    );
    stdout(&out)
}

fn ok_json<T: serde::de::DeserializeOwned>(t: &TestServer, who: &User, args: &[&str]) -> T {
    let mut all = args.to_vec();
    all.push("--json");
    let out = t.ferry_in(who.dir.path()).args(&all).output().unwrap();
    assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    json(&out)
}

fn fails(t: &TestServer, who: &User, args: &[&str]) -> String {
    let out = t.ferry_in(who.dir.path()).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stdout(&out));
    assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    stderr(&out)
}

#[test]
fn comments_are_added_listed_edited_done_and_removed() {
    let t = TestServer::start();
    let alice = user(&t, "alice");
    let bob = user(&t, "bob");
    let folder =
        t.rt.block_on(alice.api.create_folder("Reports", 0))
            .unwrap();
    let file =
        t.rt.block_on(alice.api.upload(&folder.id, "q4.txt", b"numbers".to_vec()))
            .unwrap();
    let invitation =
        t.rt.block_on(alice.api.invite(
            &folder.id,
            &api::CreateCollaboration {
                user: Some("bob".into()),
                role: "viewer".into(),
                ..Default::default()
            },
        ))
        .unwrap();
    t.rt.block_on(bob.api.accept_invitation(&invitation.id, None))
        .unwrap();

    // Nothing yet; by path.
    let text = ok(&t, &alice, &["comment", "ls", "Reports/q4.txt"]);
    assert!(text.contains("has no comments"), "{text}");

    // Alice adds a task for bob by path; bob a comment by id.
    let text = ok(
        &t,
        &alice,
        &[
            "comment",
            "add",
            "Reports/q4.txt",
            "Check the totals",
            "--assign",
            "bob",
        ],
    );
    assert!(text.starts_with("Added task cmt_"), "{text}");
    assert!(text.contains("for bob (open)"), "{text}");
    let task: api::Comment = ok_json(
        &t,
        &bob,
        &["comment", "add", &file.id, "Looks right, @alice"],
    );
    assert!(task.task.is_none());
    let list: api::CommentList = ok_json(&t, &bob, &["comment", "ls", &file.id]);
    assert_eq!(list.comments.len(), 2);
    let task_id = list.comments[0].id.clone();
    let bobs = list.comments[1].id.clone();
    assert_eq!(list.comments[0].task.as_ref().unwrap().status, "open");
    let text = ok(&t, &alice, &["comment", "ls", "Reports/q4.txt"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("TASK"),
        "{text}"
    );
    assert!(
        lines[1].contains("bob (open)") && lines[1].contains("Check the totals"),
        "{text}"
    );

    // Bob closes the task, alice opens it again; bob edits his own comment.
    let text = ok(&t, &bob, &["comment", "done", &task_id]);
    assert_eq!(text.trim(), format!("Task {task_id} is bob (done)"));
    let reopened: api::Comment = ok_json(&t, &alice, &["comment", "reopen", &task_id]);
    assert_eq!(reopened.task.unwrap().status, "open");
    let edited: api::Comment = ok_json(&t, &bob, &["comment", "edit", &bobs, "Looks right now"]);
    assert_eq!(edited.body, "Looks right now");

    // Bob may not edit alice's text, nor delete her comment.
    let err = fails(&t, &bob, &["comment", "edit", &task_id, "mine"]);
    assert!(err.contains("permission_denied"), "{err}");
    let err = fails(&t, &bob, &["comment", "rm", &task_id]);
    assert!(err.contains("permission_denied"), "{err}");
    let err = fails(&t, &bob, &["comment", "add", &file.id, ""]);
    assert!(err.contains("invalid_value"), "{err}");

    // The owner deletes both.
    let text = ok(&t, &alice, &["comment", "rm", &bobs]);
    assert_eq!(text.trim(), format!("Deleted comment {bobs}"));
    ok(&t, &alice, &["comment", "rm", &task_id]);
    let list: api::CommentList = ok_json(&t, &alice, &["comment", "ls", &file.id]);
    assert!(list.comments.is_empty());

    // The help says what the commands do.
    let help = ok(&t, &alice, &["comment", "--help"]);
    for command in ["ls", "add", "edit", "done", "reopen", "rm"] {
        assert!(help.contains(command), "{command}: {help}");
    }
    let help = ok(&t, &alice, &["comment", "add", "--help"]);
    assert!(help.contains("--assign"), "{help}");
}
