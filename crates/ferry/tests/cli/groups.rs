//! `ferry group create|ls|show|rename|rm|add|remove|members`.

use ferry_api as api;
use serde_json::Value;

use crate::helpers::TestServer;

fn user(t: &TestServer, login: &str) -> api::User {
    t.rt.block_on(t.admin.create_user(&api::CreateUser {
        login: login.into(),
        password: format!("password-{login}"),
        name: Some(format!("{login} N")),
        role: None,
        quota_bytes: None,
        company_id: None,
    }))
    .expect("create user")
}

#[test]
fn admin_manages_groups_and_members_see_theirs() {
    let t = TestServer::start();
    let alice = user(&t, "alice");
    let bob = user(&t, "bob");
    t.login();

    let text = t.ok(&["group", "create", "Engineering", "--description", "Builds"]);
    assert!(
        text.starts_with("Created group Engineering (grp_"),
        "{text}"
    );
    assert!(text.contains(", 0 members)"), "{text}");
    let ops: api::Group = t.ok_json(&["group", "create", "ops"]);
    assert!(ops.id.starts_with("grp_"));
    // Taken in another case: the API's error.
    let err = t.fails(&["group", "create", "ENGINEERING"]);
    assert!(err.contains("(name_conflict, request req_"), "{err}");
    let err = t.fails(&["group", "create", ".."]);
    assert!(err.contains("(invalid_name, request req_"), "{err}");

    // By name (any case) or id; users by login or id.
    let text = t.ok(&["group", "add", "engineering", "alice", &bob.id]);
    assert!(
        text.starts_with("Added alice, bob to group Engineering (grp_"),
        "{text}"
    );
    assert!(text.contains(", 2 members)"), "{text}");
    let again: api::Group = t.ok_json(&["group", "add", "Engineering", "alice"]);
    assert_eq!(again.member_count, 2, "adding again changes nothing");
    let err = t.fails(&["group", "add", "Engineering", "nobody"]);
    assert!(err.contains("(not_found)"), "{err}");
    let err = t.fails(&["group", "add", "no-such-group", "alice"]);
    assert!(
        err.contains("no group with the id or name `no-such-group`"),
        "{err}"
    );

    let text = t.ok(&["group", "members", "Engineering"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("ID"), "{text}");
    assert!(
        lines[1].contains("alice") && lines[1].contains(&alice.id),
        "{text}"
    );
    assert!(
        lines[2].contains("bob") && lines[2].contains("bob N"),
        "{text}"
    );
    let members: api::GroupMemberList = t.ok_json(&["group", "members", &again.id]);
    let logins: Vec<&str> = members.members.iter().map(|m| m.login.as_str()).collect();
    assert_eq!(logins, ["alice", "bob"]);

    let text = t.ok(&["group", "ls"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("Engineering") && lines[1].contains("Builds"),
        "{text}"
    );
    assert!(lines[2].contains("ops"), "{text}");

    let text = t.ok(&["group", "show", "Engineering"]);
    assert!(
        text.contains(&format!("id:          {}", again.id)),
        "{text}"
    );
    assert!(text.contains("members:     2"), "{text}");
    assert!(text.contains("description: Builds"), "{text}");

    let text = t.ok(&["group", "rename", "Engineering", "R&D"]);
    assert!(
        text.starts_with("Renamed group Engineering to R&D (grp_"),
        "{text}"
    );
    let text = t.ok(&["group", "remove", "r&d", "bob"]);
    assert!(
        text.starts_with("Removed bob from group R&D (grp_"),
        "{text}"
    );
    assert!(text.contains(", 1 member)"), "{text}");

    // A member sees their group, not the others, and may not change it.
    t.login_as("alice", "password-alice");
    let list: api::GroupList = t.ok_json(&["group", "ls"]);
    let names: Vec<&str> = list.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["R&D"]);
    let err = t.fails(&["group", "show", "ops"]);
    assert!(err.contains("(not_found)"), "{err}");
    let err = t.fails(&["group", "rename", "R&D", "mine"]);
    assert!(err.contains("(permission_denied, request req_"), "{err}");
    let err = t.fails(&["group", "create", "new"]);
    assert!(err.contains("(forbidden, request req_"), "{err}");

    t.login();
    let deleted: Value = t.ok_json(&["group", "rm", "ops"]);
    assert_eq!(deleted["id"], ops.id.as_str());
    assert_eq!(deleted["deleted"], true);
    let text = t.ok(&["group", "rm", "R&D"]);
    assert!(text.starts_with("Deleted group R&D (grp_"), "{text}");
    assert_eq!(t.ok(&["group", "ls"]).trim(), "No groups.");
}

#[test]
fn group_help_names_every_subcommand() {
    let t = TestServer::start();
    let text = t.ok(&["group", "--help"]);
    for sub in [
        "create", "ls", "show", "rename", "rm", "add", "remove", "members",
    ] {
        assert!(text.contains(&format!("  {sub} ")), "{sub}: {text}");
    }
    let text = t.ok(&["group", "add", "--help"]);
    assert!(text.contains("<GROUP> <LOGIN>..."), "{text}");
}
