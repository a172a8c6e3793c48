//! `ferry share add|ls|role|rm|leave` and `ferry invitations ls|accept|decline`, with two users
//! logged in side by side (each with their own config dir).

use std::path::Path;
use std::process::Output;

use ferry_api as api;
use ferry_client::Client;
use serde_json::Value;

use crate::helpers::{TestServer, json, read, stderr, stdout};

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

fn run(t: &TestServer, who: &Path, args: &[&str]) -> Output {
    t.ferry_in(who).args(args).output().unwrap()
}

/// `ferry args` as `who`, expecting success; its stdout.
fn ok(t: &TestServer, who: &User, args: &[&str]) -> String {
    let out = run(t, who.dir.path(), args);
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
    let out = run(t, who.dir.path(), &all);
    assert!(out.status.success(), "{all:?}: {}", stderr(&out));
    json(&out)
}

/// `ferry args` as `who`, expecting exit `code` and nothing on stdout; its stderr.
fn fails_with(t: &TestServer, who: &User, code: i32, args: &[&str]) -> String {
    let out = run(t, who.dir.path(), args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}\n{}",
        stderr(&out),
        stdout(&out)
    );
    assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    stderr(&out)
}

fn fails(t: &TestServer, who: &User, args: &[&str]) -> String {
    fails_with(t, who, 1, args)
}

/// alice's `Clients/Acme/Deliveries/report.txt`, made through the API.
fn acme(t: &TestServer, alice: &User) -> (api::Folder, api::File) {
    let clients =
        t.rt.block_on(alice.api.create_folder("Clients", 0))
            .unwrap();
    let acme =
        t.rt.block_on(alice.api.create_folder_in(Some(&clients.id), "Acme"))
            .unwrap();
    let deliveries =
        t.rt.block_on(alice.api.create_folder_in(Some(&acme.id), "Deliveries"))
            .unwrap();
    let file =
        t.rt.block_on(
            alice
                .api
                .upload(&deliveries.id, "report.txt", b"the Q4 numbers".to_vec()),
        )
        .unwrap();
    (acme, file)
}

#[test]
fn a_shared_folder_is_accepted_listed_downloaded_changed_and_left() {
    let t = TestServer::start();
    let alice = user(&t, "alice");
    let bob = user(&t, "bob");
    let (acme, file) = acme(&t, &alice);

    let text = ok(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--role",
            "viewer",
            "--message",
            "the Q4 files",
        ],
    );
    assert!(
        text.starts_with(&format!(
            "Shared folder /Clients/Acme ({}) with user bob as viewer: shr_",
            acme.id
        )),
        "{text}"
    );
    assert!(
        text.contains(", pending until bob accepts it with `ferry invitations accept shr_"),
        "{text}"
    );

    // Bob sees the invitation, and nothing of the folder yet.
    let text = ok(&t, &bob, &["invitations", "ls"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("FROM"),
        "{text}"
    );
    for part in ["Acme", "viewer", "alice", "never", "the Q4 files"] {
        assert!(lines[1].contains(part), "{part}: {text}");
    }
    let pending: api::InvitationList = ok_json(&t, &bob, &["invitations", "ls"]);
    assert_eq!(pending.invitations.len(), 1);
    let share = pending.invitations[0].id.clone();
    assert!(ok(&t, &bob, &["ls"]).starts_with("No folders."));

    let text = ok(
        &t,
        &bob,
        &["invitations", "accept", &share, "--as", "Acme from alice"],
    );
    assert!(
        text.starts_with(&format!(
            "Accepted {share}: folder Acme is in your root as /Acme from alice ({} as viewer)",
            acme.id
        )),
        "{text}"
    );
    assert_eq!(
        ok(&t, &bob, &["invitations", "ls"]).trim(),
        "No pending invitations."
    );

    // In bob's root under its mount name, owned by alice; listed by that name and by id.
    let text = ok(&t, &bob, &["ls"]);
    let row = text.lines().nth(1).unwrap_or_default();
    assert!(
        row.contains(&acme.id) && row.contains("Acme from alice") && row.contains("alice"),
        "{text}"
    );
    let text = ok(&t, &bob, &["ls", "Acme from alice"]);
    assert!(text.contains("Deliveries/"), "{text}");
    let listing: Value = ok_json(&t, &bob, &["ls", "-R", &acme.id]);
    assert_eq!(
        listing["files"][0]["path"],
        "/Acme from alice/Deliveries/report.txt"
    );
    // Downloaded by id, as a viewer may.
    ok(
        &t,
        &bob,
        &["download", &file.id, "-o", "got.txt", "--quiet"],
    );
    assert_eq!(read(&t.path("got.txt")), b"the Q4 numbers");

    // Alice's list of collaborators.
    let text = ok(&t, &alice, &["share", "ls", "Clients/Acme"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for head in [
        "ID",
        "TYPE",
        "NAME",
        "ROLE",
        "STATUS",
        "MOUNT",
        "INVITED BY",
        "EXPIRES",
    ] {
        assert!(lines[0].contains(head), "{head}: {text}");
    }
    for part in [
        share.as_str(),
        "user",
        "bob",
        "viewer",
        "accepted",
        "Acme from alice",
        "alice",
        "never",
    ] {
        assert!(lines[1].contains(part), "{part}: {text}");
    }

    // Role changes, with an end and without.
    let changed: api::Collaboration = ok_json(
        &t,
        &alice,
        &["share", "role", &share, "editor", "--expires", "30d"],
    );
    assert_eq!(changed.role, "editor");
    assert!(changed.expires_at.is_some());
    let root: api::FolderList = ok_json(&t, &bob, &["ls"]);
    assert_eq!(root.folders[0].role, "editor", "at once");
    let text = ok(
        &t,
        &alice,
        &["share", "role", &share, "viewer", "--no-expiry"],
    );
    assert_eq!(
        text.trim(),
        format!("Share {share} of folder Acme with user bob is now viewer (expires: never)")
    );
    // A viewer may not change roles: the API's answer.
    let err = fails(&t, &bob, &["share", "role", &share, "manager"]);
    assert!(err.contains("(permission_denied, request req_"), "{err}");

    // Bob leaves: the folder goes from his root.
    let text = ok(&t, &bob, &["share", "leave", "Acme from alice"]);
    assert_eq!(
        text.trim(),
        format!(
            "Left folder /Acme from alice ({}): your share {share} as viewer is removed",
            acme.id
        )
    );
    assert!(ok(&t, &bob, &["ls"]).starts_with("No folders."));
    let err = fails(&t, &bob, &["share", "leave", &acme.id]);
    assert!(err.contains("(not_found)"), "{err}");
    let empty: api::CollaborationList = ok_json(&t, &alice, &["share", "ls", &acme.id]);
    assert!(empty.collaborators.is_empty());
    let text = ok(&t, &alice, &["share", "ls", &acme.id]);
    assert!(text.contains("is shared with no one"), "{text}");
}

#[test]
fn declines_removals_groups_and_errors() {
    let t = TestServer::start();
    let alice = user(&t, "alice");
    let bob = user(&t, "bob");
    let carol = user(&t, "carol");
    let (acme, _) = acme(&t, &alice);

    // Carol declines: nothing in her root, and alice sees the answer.
    let invited: api::Collaboration = ok_json(
        &t,
        &alice,
        &[
            "share", "add", &acme.id, "--user", "carol", "--role", "editor",
        ],
    );
    assert_eq!(invited.status, "pending");
    let text = ok(&t, &carol, &["invitations", "decline", &invited.id]);
    assert_eq!(
        text.trim(),
        format!("Declined {}: folder Acme, shared by alice", invited.id)
    );
    assert!(ok(&t, &carol, &["ls"]).starts_with("No folders."));
    let err = fails(&t, &carol, &["invitations", "accept", &invited.id]);
    assert!(err.contains("(not_found, request req_"), "{err}");
    let list: api::CollaborationList = ok_json(&t, &alice, &["share", "ls", "/Clients/Acme"]);
    assert_eq!(list.collaborators[0].status, "declined");

    // An uploader cannot list the collaborators to find its share, but leaves by its id.
    let again: api::Collaboration = ok_json(
        &t,
        &alice,
        &[
            "share", "add", &acme.id, "--user", "carol", "--role", "uploader",
        ],
    );
    ok(&t, &carol, &["invitations", "accept", &again.id]);
    let err = fails(&t, &carol, &["share", "leave", "Acme"]);
    assert!(
        err.contains("as uploader of /Acme") && err.contains("`ferry share rm SHARE_ID`"),
        "{err}"
    );
    let text = ok(&t, &carol, &["share", "rm", &again.id]);
    assert_eq!(text.trim(), format!("Removed share {}", again.id));
    assert!(ok(&t, &carol, &["ls"]).starts_with("No folders."));

    // Alice removes bob's share before he answers it.
    let bobs: api::Collaboration = ok_json(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--role",
            "uploader",
        ],
    );
    let text = ok(&t, &alice, &["share", "rm", &bobs.id]);
    assert_eq!(text.trim(), format!("Removed share {}", bobs.id));
    let err = fails(&t, &bob, &["invitations", "accept", &bobs.id]);
    assert!(err.contains("(not_found, request req_"), "{err}");
    let err = fails(&t, &alice, &["share", "rm", &bobs.id]);
    assert!(err.contains("(not_found, request req_"), "{err}");

    // A group, by name (alice is a member) or id; its members see the folder at once, and
    // have no share of their own to leave.
    let group =
        t.rt.block_on(t.admin.create_group(&api::CreateGroup {
            name: "Auditors".into(),
            description: None,
        }))
        .unwrap();
    let bob_user = t.rt.block_on(bob.api.me()).unwrap();
    let alice_user = t.rt.block_on(alice.api.me()).unwrap();
    for u in [&bob_user, &alice_user] {
        t.rt.block_on(t.admin.add_group_member(&group.id, &u.id))
            .unwrap();
    }
    let text = ok(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--group",
            "auditors",
            "--role",
            "viewer",
        ],
    );
    assert!(
        text.contains("with group Auditors as viewer: shr_")
            && text.ends_with(", accepted: the group's members see it at once\n"),
        "{text}"
    );
    let root: api::FolderList = ok_json(&t, &bob, &["ls"]);
    assert_eq!(root.folders[0].id, acme.id);
    let err = fails(&t, &bob, &["share", "leave", &acme.id]);
    assert!(
        err.contains("is not shared with you as a user") && err.contains("(not_shared_with_you)"),
        "{err}"
    );
    // Alice owns it: nothing to leave.
    let err = fails(&t, &alice, &["share", "leave", "Clients/Acme"]);
    assert!(err.contains("you own /Clients/Acme"), "{err}");
    // A group someone is not in, by id: the server decides.
    let other =
        t.rt.block_on(t.admin.create_group(&api::CreateGroup {
            name: "Others".into(),
            description: None,
        }))
        .unwrap();
    let shared: api::Collaboration = ok_json(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--group",
            &other.id,
            "--role",
            "editor",
        ],
    );
    assert_eq!(shared.principal.name, "Others");
    let err = fails(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--group",
            "Others",
            "--role",
            "editor",
        ],
    );
    assert!(
        err.contains("no group with the id or name `Others`"),
        "{err}"
    );

    // Unknown users and addresses, and refusals: the API's errors, exit 1.
    let err = fails(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "nobody",
            "--role",
            "viewer",
        ],
    );
    assert!(err.contains("(not_found, request req_"), "{err}");
    let err = fails(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--email",
            "not-an-address",
            "--role",
            "viewer",
        ],
    );
    assert!(err.contains("(invalid_value, request req_"), "{err}");
    let err = fails(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--role",
            "viewer",
            "--expires",
            "2001-01-01T00:00:00Z",
        ],
    );
    assert!(err.contains("(invalid_value, request req_"), "{err}");
    let err = fails(
        &t,
        &alice,
        &[
            "share",
            "add",
            "Clients/Nope",
            "--user",
            "bob",
            "--role",
            "viewer",
        ],
    );
    assert!(err.contains("(not_found)"), "{err}");
    let err = fails(&t, &carol, &["share", "ls", &acme.id]);
    assert!(err.contains("(not_found)"), "{err}");

    // Usage errors are exit 2: bad roles, no one or two at once, a bad time.
    for args in [
        vec![
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--role",
            "boss",
        ],
        vec![
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--role",
            "owner",
        ],
        vec!["share", "add", "Clients/Acme", "--role", "viewer"],
        vec![
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--group",
            "Auditors",
            "--role",
            "viewer",
        ],
        vec![
            "share",
            "add",
            "Clients/Acme",
            "--user",
            "bob",
            "--role",
            "viewer",
            "--expires",
            "soon",
        ],
        vec!["share", "role", "shr_x", "boss"],
        vec![
            "share",
            "role",
            "shr_x",
            "viewer",
            "--expires",
            "1d",
            "--no-expiry",
        ],
        vec!["invitations", "accept"],
    ] {
        let err = fails_with(&t, &alice, 2, &args);
        assert!(err.contains("error:"), "{args:?}: {err}");
    }
}

#[test]
fn share_and_invitations_help_name_every_subcommand() {
    let t = TestServer::start();
    let text = t.ok(&["share", "--help"]);
    for sub in ["add", "ls", "role", "rm", "leave"] {
        assert!(text.contains(&format!("  {sub} ")), "{sub}: {text}");
    }
    let text = t.ok(&["invitations", "--help"]);
    for sub in ["ls", "accept", "decline"] {
        assert!(text.contains(&format!("  {sub} ")), "{sub}: {text}");
    }
    let text = t.ok(&["share", "add", "--help"]);
    assert!(
        text.contains("<--user <LOGIN>|--group <GROUP>|--email <ADDR>>"),
        "{text}"
    );
    assert!(text.contains("uploader"), "{text}");
    let text = t.ok(&["invitations", "accept", "--help"]);
    assert!(text.contains("--as <MOUNT_NAME>"), "{text}");
}

/// A share's paths start at its mount name in the collaborator's root, as `GET /folders` and
/// the folders' `path` show them; paths given on the command line go through `GET /resolve`,
/// which finds mounted shares by their mount name.
#[test]
fn paths_through_a_mounted_share() {
    let t = TestServer::start();
    let alice = user(&t, "alice");
    let bob = user(&t, "bob");
    let (acme, _) = acme(&t, &alice);
    let share: api::Collaboration = ok_json(
        &t,
        &alice,
        &[
            "share", "add", &acme.id, "--user", "bob", "--role", "viewer",
        ],
    );
    ok(
        &t,
        &bob,
        &["invitations", "accept", &share.id, "--as", "Partner"],
    );
    // The API itself, then the commands that name things by path.
    let resolved = t.rt.block_on(bob.api.resolve("/Partner/Deliveries"));
    assert!(resolved.is_ok(), "GET /resolve: {resolved:?}");
    let text = ok(&t, &bob, &["ls", "/Partner/Deliveries"]);
    assert!(text.contains("report.txt"), "{text}");
    ok(
        &t,
        &bob,
        &[
            "download",
            "Partner/Deliveries/report.txt",
            "-o",
            "p.txt",
            "--quiet",
        ],
    );
    assert_eq!(read(&t.path("p.txt")), b"the Q4 numbers");
}
