//! Groups: admins create, list, rename and delete them and manage members; a user sees only the
//! groups they belong to (`404` for the others, `403` for changes to their own); names are
//! unique without regard to case; paging; audit; bad input.

use std::collections::HashSet;

use ferry_api as api;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, assert_field_error, parse};
use crate::on_both_backends;

on_both_backends!(
    admin_creates_lists_renames_and_deletes_groups,
    members_are_added_idempotently_and_removed,
    names_are_unique_in_any_case,
    users_see_only_their_groups,
    paging_walks_every_group_and_member_once,
    changes_are_audited,
    bad_input_is_refused,
    unknown_users_and_groups_are_not_found,
);

fn new_group(name: &str) -> api::CreateGroup {
    api::CreateGroup {
        name: name.into(),
        description: None,
    }
}

async fn post_group(
    app: &TestApp,
    body: serde_json::Value,
) -> Result<api::Group, ferry_client::ClientError> {
    parse(
        app.admin
            .request(Method::POST, "/groups")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn admin_creates_lists_renames_and_deletes_groups(app: TestApp) {
    let res = app
        .admin
        .request(Method::POST, "/groups")
        .json(&json!({"name": "Engineering", "description": "Builds Ferry"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let eng: api::Group = parse(res).await.unwrap();
    assert!(eng.id.starts_with("grp_"), "{}", eng.id);
    assert_eq!(eng.name, "Engineering");
    assert_eq!(eng.description, "Builds Ferry");
    assert_eq!(eng.member_count, 0);
    assert!(eng.created_at.ends_with('Z'));
    assert_eq!(eng.created_at, eng.updated_at);

    let sales = app.admin.create_group(&new_group("sales")).await.unwrap();
    assert_eq!(sales.description, "", "no description is an empty one");
    let ops = app.admin.create_group(&new_group("Ops")).await.unwrap();

    // By name without regard to case.
    let list = app.admin.list_groups(None, None).await.unwrap();
    let names: Vec<&str> = list.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Engineering", "Ops", "sales"]);
    assert_eq!(list.next_cursor, None);

    assert_eq!(
        app.admin.get_group(&eng.id).await.unwrap().name,
        "Engineering"
    );

    // Rename, then change only the description.
    app.clock.advance(std::time::Duration::from_secs(5));
    let renamed = app
        .admin
        .update_group(
            &eng.id,
            &api::UpdateGroup {
                name: Some("R&D".into()),
                description: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "R&D");
    assert_eq!(renamed.description, "Builds Ferry");
    assert_ne!(renamed.updated_at, eng.updated_at);
    assert_eq!(renamed.created_at, eng.created_at);
    let described = app
        .admin
        .update_group(
            &eng.id,
            &api::UpdateGroup {
                name: None,
                description: Some("Research".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (described.name.as_str(), described.description.as_str()),
        ("R&D", "Research")
    );
    // Renaming to its own name in another case is no conflict.
    let recased = app
        .admin
        .update_group(
            &eng.id,
            &api::UpdateGroup {
                name: Some("r&d".into()),
                description: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(recased.name, "r&d");

    let res = app
        .admin
        .request(Method::DELETE, &format!("/groups/{}", sales.id))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_api_error(app.admin.get_group(&sales.id).await, 404, "not_found");
    assert_api_error(app.admin.delete_group(&sales.id).await, 404, "not_found");
    let names: Vec<String> = app
        .admin
        .list_groups(None, None)
        .await
        .unwrap()
        .groups
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["Ops", "r&d"]);
    // The freed name can be taken again.
    app.admin.create_group(&new_group("Sales")).await.unwrap();
    app.admin.delete_group(&ops.id).await.unwrap();
}

async fn members_are_added_idempotently_and_removed(app: TestApp) {
    let (alice, _) = app.user("alice", None).await;
    let (bob, _) = app.user("bob", None).await;
    let group = app.admin.create_group(&new_group("team")).await.unwrap();

    let res = app
        .admin
        .request(
            Method::PUT,
            &format!("/groups/{}/members/{}", group.id, bob.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let after: api::Group = parse(res).await.unwrap();
    assert_eq!(after.member_count, 1);
    let after = app
        .admin
        .add_group_member(&group.id, &alice.id)
        .await
        .unwrap();
    assert_eq!(after.member_count, 2);
    // Again: nothing changes.
    let again = app
        .admin
        .add_group_member(&group.id, &alice.id)
        .await
        .unwrap();
    assert_eq!(again.member_count, 2);
    assert_eq!(again.updated_at, after.updated_at);

    let members = app
        .admin
        .group_members(&group.id, None, None)
        .await
        .unwrap();
    let logins: Vec<&str> = members.members.iter().map(|m| m.login.as_str()).collect();
    assert_eq!(logins, ["alice", "bob"], "by login");
    assert_eq!(members.members[0].id, alice.id);
    assert_eq!(members.members[0].name, "alice");
    assert_eq!(members.next_cursor, None);
    assert_eq!(
        app.admin.get_group(&group.id).await.unwrap().member_count,
        2
    );

    let res = app
        .admin
        .request(
            Method::DELETE,
            &format!("/groups/{}/members/{}", group.id, alice.id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Not a member any more.
    assert_api_error(
        app.admin.remove_group_member(&group.id, &alice.id).await,
        404,
        "not_found",
    );
    let members = app
        .admin
        .group_members(&group.id, None, None)
        .await
        .unwrap();
    let ids: Vec<&str> = members.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [bob.id.as_str()]);
    assert_eq!(
        app.admin.get_group(&group.id).await.unwrap().member_count,
        1
    );

    // Deleting the group takes its memberships with it; the user stays.
    app.admin.delete_group(&group.id).await.unwrap();
    assert_eq!(app.admin.get_user(&bob.id).await.unwrap().login, "bob");
    let again = app.admin.create_group(&new_group("team")).await.unwrap();
    assert_eq!(again.member_count, 0);
}

async fn names_are_unique_in_any_case(app: TestApp) {
    let first = app.admin.create_group(&new_group("Design")).await.unwrap();
    for taken in ["Design", "design", "DESIGN", "dEsIgN"] {
        assert_api_error(
            app.admin.create_group(&new_group(taken)).await,
            409,
            "name_conflict",
        );
    }
    // Unicode case and normalisation: É composed and decomposed, upper and lower.
    app.admin
        .create_group(&new_group("\u{c9}quipe"))
        .await
        .unwrap();
    assert_api_error(
        app.admin.create_group(&new_group("e\u{301}quipe")).await,
        409,
        "name_conflict",
    );
    let other = app
        .admin
        .create_group(&new_group("Marketing"))
        .await
        .unwrap();
    assert_api_error(
        app.admin
            .update_group(
                &other.id,
                &api::UpdateGroup {
                    name: Some("DESIGN".into()),
                    description: None,
                },
            )
            .await,
        409,
        "name_conflict",
    );
    assert_eq!(
        app.admin.get_group(&other.id).await.unwrap().name,
        "Marketing"
    );
    assert_eq!(app.admin.get_group(&first.id).await.unwrap().name, "Design");
    assert_eq!(
        app.admin
            .list_groups(None, None)
            .await
            .unwrap()
            .groups
            .len(),
        3
    );
}

async fn users_see_only_their_groups(app: TestApp) {
    let (alice, alice_c) = app.user("alice", None).await;
    let (bob, bob_c) = app.user("bob", None).await;
    let mine = app.admin.create_group(&new_group("alice's")).await.unwrap();
    let theirs = app.admin.create_group(&new_group("bob's")).await.unwrap();
    app.admin
        .add_group_member(&mine.id, &alice.id)
        .await
        .unwrap();
    app.admin
        .add_group_member(&theirs.id, &bob.id)
        .await
        .unwrap();

    // Listing and reading: their own groups only.
    let list = alice_c.list_groups(None, None).await.unwrap();
    let ids: Vec<&str> = list.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, [mine.id.as_str()]);
    assert_eq!(list.groups[0].member_count, 1);
    assert_eq!(alice_c.get_group(&mine.id).await.unwrap().name, "alice's");
    let members = alice_c.group_members(&mine.id, None, None).await.unwrap();
    assert_eq!(members.members.len(), 1);
    assert_api_error(alice_c.get_group(&theirs.id).await, 404, "not_found");
    assert_api_error(
        alice_c.group_members(&theirs.id, None, None).await,
        404,
        "not_found",
    );

    // Changing a group they see: 403; one they do not see: 404.
    let rename = api::UpdateGroup {
        name: Some("mine now".into()),
        description: None,
    };
    assert_api_error(
        alice_c.update_group(&mine.id, &rename).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        alice_c.update_group(&theirs.id, &rename).await,
        404,
        "not_found",
    );
    assert_api_error(
        alice_c.delete_group(&mine.id).await,
        403,
        "permission_denied",
    );
    assert_api_error(alice_c.delete_group(&theirs.id).await, 404, "not_found");
    assert_api_error(
        alice_c.add_group_member(&mine.id, &bob.id).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        alice_c.add_group_member(&theirs.id, &alice.id).await,
        404,
        "not_found",
    );
    assert_api_error(
        alice_c.remove_group_member(&mine.id, &alice.id).await,
        403,
        "permission_denied",
    );
    assert_api_error(
        alice_c.remove_group_member(&theirs.id, &bob.id).await,
        404,
        "not_found",
    );
    // Creating one needs the admin role.
    assert_api_error(
        alice_c.create_group(&new_group("new")).await,
        403,
        "forbidden",
    );

    // Nothing changed.
    assert_eq!(app.admin.get_group(&mine.id).await.unwrap().name, "alice's");
    assert_eq!(
        app.admin.get_group(&theirs.id).await.unwrap().member_count,
        1
    );
    assert_eq!(
        app.admin
            .list_groups(None, None)
            .await
            .unwrap()
            .groups
            .len(),
        2
    );

    // A user in no group sees none; removed from a group, it disappears for them.
    let (_, carol_c) = app.user("carol", None).await;
    assert!(
        carol_c
            .list_groups(None, None)
            .await
            .unwrap()
            .groups
            .is_empty()
    );
    app.admin
        .remove_group_member(&theirs.id, &bob.id)
        .await
        .unwrap();
    assert!(
        bob_c
            .list_groups(None, None)
            .await
            .unwrap()
            .groups
            .is_empty()
    );
    assert_api_error(bob_c.get_group(&theirs.id).await, 404, "not_found");
    // Without credentials: 401.
    assert_api_error(app.anon.list_groups(None, None).await, 401, "unauthorized");
}

async fn paging_walks_every_group_and_member_once(app: TestApp) {
    let mut created = HashSet::new();
    // Names that differ only in case sort together; ties by id.
    for name in ["b", "A", "c", "D", "e", "F", "g"] {
        created.insert(app.admin.create_group(&new_group(name)).await.unwrap().id);
    }
    let mut seen = Vec::new();
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = app
            .admin
            .list_groups(Some(3), cursor.as_deref())
            .await
            .unwrap();
        assert!(page.groups.len() <= 3);
        seen.extend(page.groups.iter().map(|g| g.id.clone()));
        names.extend(page.groups.iter().map(|g| g.name.clone()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), created.len(), "no duplicates");
    assert_eq!(seen.into_iter().collect::<HashSet<_>>(), created);
    assert_eq!(names, ["A", "b", "c", "D", "e", "F", "g"]);

    let group = app.admin.create_group(&new_group("big")).await.unwrap();
    let mut logins = Vec::new();
    for login in ["u5", "u3", "u1", "u4", "u2"] {
        let (user, _) = app.user(login, None).await;
        app.admin
            .add_group_member(&group.id, &user.id)
            .await
            .unwrap();
    }
    let mut cursor: Option<String> = None;
    loop {
        let page = app
            .admin
            .group_members(&group.id, Some(2), cursor.as_deref())
            .await
            .unwrap();
        logins.extend(page.members.into_iter().map(|m| m.login));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(logins, ["u1", "u2", "u3", "u4", "u5"]);

    for query in [
        "limit=0",
        "limit=1001",
        "limit=x",
        "cursor=%%%",
        "cursor=bm90LWpzb24",
    ] {
        for path in [
            "/groups".to_string(),
            format!("/groups/{}/members", group.id),
        ] {
            let res = app
                .admin
                .request(Method::GET, &format!("{path}?{query}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400, "{path}?{query}");
        }
    }
}

async fn changes_are_audited(app: TestApp) {
    let (alice, _) = app.user("alice", None).await;
    let group = app.admin.create_group(&new_group("audited")).await.unwrap();
    app.admin
        .update_group(
            &group.id,
            &api::UpdateGroup {
                name: Some("renamed".into()),
                description: None,
            },
        )
        .await
        .unwrap();
    app.admin
        .add_group_member(&group.id, &alice.id)
        .await
        .unwrap();
    // An idempotent repeat records nothing.
    app.admin
        .add_group_member(&group.id, &alice.id)
        .await
        .unwrap();
    app.admin
        .remove_group_member(&group.id, &alice.id)
        .await
        .unwrap();
    app.admin.delete_group(&group.id).await.unwrap();

    let events = app
        .admin
        .audit_events(&[("target", group.id.as_str())])
        .await
        .unwrap()
        .events;
    let mut actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    actions.reverse(); // newest first
    assert_eq!(
        actions,
        [
            "group.created",
            "group.updated",
            "group.member_added",
            "group.member_removed",
            "group.deleted"
        ]
    );
    for e in &events {
        assert_eq!(e.target.kind, "group");
        assert_eq!(e.outcome, "success");
        assert_eq!(e.actor.as_ref().unwrap().login, "admin");
    }
    let by = |action: &str| events.iter().find(|e| e.action == action).unwrap();
    assert_eq!(by("group.created").details["name"], "audited");
    assert_eq!(by("group.updated").details["from"], "audited");
    assert_eq!(by("group.updated").details["to"], "renamed");
    assert_eq!(
        by("group.member_added").details["user_id"],
        alice.id.as_str()
    );
    assert_eq!(by("group.member_added").details["login"], "alice");
    assert_eq!(by("group.member_removed").details["login"], "alice");
    assert_eq!(by("group.deleted").details["name"], "renamed");
    assert!(app.admin.audit_verify().await.unwrap().ok);
}

async fn bad_input_is_refused(app: TestApp) {
    let long = "x".repeat(256);
    let just_fits = "y".repeat(255);
    for bad in [
        json!({"name": ""}),
        json!({"name": ".."}),
        json!({"name": "."}),
        json!({"name": long}),
        json!({"name": "a/b"}),
        json!({"name": " lead"}),
        json!({"name": "nul\u{0}"}),
        json!({"name": "rtl\u{202e}gnp.exe"}),
    ] {
        assert_field_error(post_group(&app, bad).await, 400, "invalid_name", "name");
    }
    assert_field_error(
        post_group(&app, json!({"name": "ok", "description": "x".repeat(4097)})).await,
        400,
        "invalid_value",
        "description",
    );
    // Wrong types and missing fields are 400s too, never 500s.
    for bad in [
        json!({}),
        json!({"name": 5}),
        json!({"name": null}),
        json!([]),
    ] {
        let res = post_group(&app, bad.clone()).await;
        match res {
            Err(ferry_client::ClientError::Api { status, .. }) => {
                assert_eq!(status.as_u16(), 400, "{bad}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let fits = post_group(&app, json!({"name": just_fits})).await.unwrap();
    assert_eq!(fits.name.len(), 255);
    // The same rules on rename.
    for bad in ["", "..", long.as_str()] {
        assert_field_error(
            app.admin
                .update_group(
                    &fits.id,
                    &api::UpdateGroup {
                        name: Some(bad.into()),
                        description: None,
                    },
                )
                .await,
            400,
            "invalid_name",
            "name",
        );
    }
    assert_eq!(
        app.admin
            .list_groups(None, None)
            .await
            .unwrap()
            .groups
            .len(),
        1
    );
}

async fn unknown_users_and_groups_are_not_found(app: TestApp) {
    let group = app.admin.create_group(&new_group("g")).await.unwrap();
    for user in ["usr_0123456789abcdef01234567", "usr_nope", "alice", "..%2F"] {
        assert_api_error(
            app.admin.add_group_member(&group.id, user).await,
            404,
            "not_found",
        );
        assert_api_error(
            app.admin.remove_group_member(&group.id, user).await,
            404,
            "not_found",
        );
    }
    assert_eq!(
        app.admin.get_group(&group.id).await.unwrap().member_count,
        0
    );
    let (alice, _) = app.user("alice", None).await;
    for id in ["grp_0123456789abcdef01234567", "grp_", "fld_00", "x"] {
        assert_api_error(app.admin.get_group(id).await, 404, "not_found");
        assert_api_error(app.admin.delete_group(id).await, 404, "not_found");
        assert_api_error(
            app.admin.add_group_member(id, &alice.id).await,
            404,
            "not_found",
        );
        assert_api_error(
            app.admin.group_members(id, None, None).await,
            404,
            "not_found",
        );
    }
}
