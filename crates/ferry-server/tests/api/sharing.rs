//! Sharing: invitations, mounts in the collaborator's root, paths that never show what is not
//! shared, the roles × operations matrix, groups that grant and take away at once, role
//! changes, leaving and expiry.

use std::time::Duration;

use ferry_api as api;
use ferry_client::{Client, ClientError};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_api_error, parse};
use crate::on_both_backends;

on_both_backends!(
    invitations_mount_shared_folders_in_the_root,
    roles_decide_every_operation,
    group_members_gain_and_lose_access_at_once,
    managers_share_within_their_role_and_collaborators_leave,
    transfer_hands_a_folder_over_with_its_bytes,
    invitations_and_answers_leave_notices,
    an_upload_open_across_a_transfer_is_paid_by_the_new_owner,
    a_deep_folder_follows_every_change_to_its_chain_at_once,
);

fn share(user: &str, role: &str) -> api::CreateCollaboration {
    api::CreateCollaboration {
        user: Some(user.into()),
        role: role.into(),
        ..Default::default()
    }
}

/// Shares `folder` with `login` as `role`, and has them accept it.
pub(crate) async fn share_accepted(
    owner: &Client,
    folder: &str,
    who: &Client,
    login: &str,
    role: &str,
) {
    let invitation = owner.invite(folder, &share(login, role)).await.unwrap();
    who.accept_invitation(&invitation.id, None).await.unwrap();
}

/// The status of a call: its 2xx, or the error's status.
fn status<T>(result: Result<T, ClientError>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(e) => e.status().map_or(0, |s| s.as_u16()),
    }
}

async fn invitations_mount_shared_folders_in_the_root(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (bob_user, bob) = app.user("bob", None).await;
    let clients = alice.create_folder("Clients", 0).await.unwrap();
    let acme = alice
        .create_folder_in(Some(&clients.id), "Acme")
        .await
        .unwrap();
    let deliveries = alice
        .create_folder_in(Some(&acme.id), "Deliveries")
        .await
        .unwrap();
    let file = alice
        .upload(&deliveries.id, "report.pdf", b"pdf".to_vec())
        .await
        .unwrap();
    // Before anything is shared, bob sees nothing of it.
    assert_api_error(bob.get_folder(&acme.id).await, 404, "not_found");

    let invitation = alice
        .invite(
            &acme.id,
            &api::CreateCollaboration {
                message: Some("the Q4 files".into()),
                ..share("bob", "viewer")
            },
        )
        .await
        .unwrap();
    assert!(invitation.id.starts_with("shr_"));
    assert_eq!(
        (invitation.status.as_str(), invitation.role.as_str()),
        ("pending", "viewer")
    );
    assert_eq!(invitation.principal.id, bob_user.id);
    assert_eq!(invitation.principal.kind, "user");
    assert_eq!(invitation.invited_by.as_ref().unwrap().login, "alice");
    // Pending: an invitation, not yet access.
    assert_api_error(bob.get_folder(&acme.id).await, 404, "not_found");
    let pending = bob.invitations(None, None).await.unwrap().invitations;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].folder_name, "Acme");
    assert_eq!(pending[0].message, "the Q4 files");
    // Only bob can answer it.
    assert_api_error(
        alice.accept_invitation(&invitation.id, None).await,
        404,
        "not_found",
    );
    // Bob has a folder named like the mount name he asks for.
    bob.create_folder("Partner", 0).await.unwrap();
    assert_api_error(
        bob.accept_invitation(&invitation.id, Some("partner")).await,
        409,
        "name_conflict",
    );
    let accepted = bob
        .accept_invitation(&invitation.id, Some("Acme from alice"))
        .await
        .unwrap();
    assert_eq!(accepted.status, "accepted");
    assert!(
        bob.invitations(None, None)
            .await
            .unwrap()
            .invitations
            .is_empty()
    );
    // The share is in bob's root under its mount name, with his role; paths start there and
    // never show alice's "Clients".
    let root = bob.list_folders(false).await.unwrap().folders;
    let names: Vec<_> = root.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["Acme from alice", "Partner"]);
    let mount = &root[0];
    assert_eq!(
        (mount.id.as_str(), mount.path.as_str()),
        (acme.id.as_str(), "/Acme from alice")
    );
    assert_eq!(
        (mount.role.as_str(), mount.parent_id.as_deref()),
        ("viewer", None)
    );
    assert_eq!(mount.permissions, ["read"]);
    let seen = bob.get_folder(&deliveries.id).await.unwrap();
    assert_eq!(seen.path, "/Acme from alice/Deliveries");
    assert_eq!(seen.role, "viewer");
    let children = bob.children(&acme.id, None, None).await.unwrap().folders;
    assert_eq!(children[0].role, "viewer");
    assert_eq!(children[0].path, "/Acme from alice/Deliveries");
    let seen_file = bob.get_file(&file.id).await.unwrap();
    assert_eq!(seen_file.path, "/Acme from alice/Deliveries/report.pdf");
    let body = bob.download(&file.id, &[]).await.unwrap().body;
    assert_eq!(body.as_ref(), b"pdf");
    // Paths from the mount resolve, in any case.
    let resolved = bob
        .resolve("/acme FROM alice/Deliveries/report.pdf")
        .await
        .unwrap();
    assert_eq!(resolved.file.as_ref().unwrap().id, file.id);
    let resolved = bob.resolve("/Acme from alice/Deliveries").await.unwrap();
    assert_eq!(
        resolved.folder.as_ref().unwrap().path,
        "/Acme from alice/Deliveries"
    );
    assert_api_error(bob.resolve("/Clients").await, 404, "not_found");
    // Above the share, nothing is visible.
    assert_api_error(bob.get_folder(&clients.id).await, 404, "not_found");
    // Search finds what is shared, with the collaborator's paths, and inside it too.
    let query = ferry_client::SearchQuery {
        q: Some("report".into()),
        ..Default::default()
    };
    let found = bob.search(&query, None, None).await.unwrap().items;
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].file.as_ref().unwrap().path,
        "/Acme from alice/Deliveries/report.pdf"
    );
    let inside = ferry_client::SearchQuery {
        folder_id: Some(acme.id.clone()),
        ..query.clone()
    };
    assert_eq!(
        bob.search(&inside, None, None).await.unwrap().items.len(),
        1
    );
    // Alice still sees her own paths; the collaborators list names bob.
    assert_eq!(
        alice.get_folder(&deliveries.id).await.unwrap().path,
        "/Clients/Acme/Deliveries"
    );
    let collaborators = alice.collaborators(&acme.id, None, None).await.unwrap();
    assert_eq!(collaborators.collaborators.len(), 1);
    assert_eq!(
        collaborators.collaborators[0].mount_name.as_deref(),
        Some("Acme from alice")
    );
    // Every step is audited as permission.changed.
    let events = alice
        .audit_events(&[("action", "permission.changed")])
        .await
        .unwrap()
        .events;
    let changes: Vec<_> = events
        .iter()
        .map(|e| e.details["change"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(changes.contains(&"granted".to_string()), "{changes:?}");
    assert!(changes.contains(&"accepted".to_string()), "{changes:?}");
    // Sharing with the owner, twice, or with nobody is refused.
    assert_api_error(
        alice.invite(&acme.id, &share("alice", "viewer")).await,
        409,
        "conflict",
    );
    assert_api_error(
        alice.invite(&acme.id, &share("bob", "editor")).await,
        409,
        "conflict",
    );
    assert_api_error(
        alice.invite(&acme.id, &share("nobody", "viewer")).await,
        400,
        "not_found",
    );
    assert_api_error(
        alice.invite(&acme.id, &share("bob", "owner")).await,
        400,
        "invalid_value",
    );
    assert_api_error(
        alice.invite(&acme.id, &share("bob", "boss")).await,
        400,
        "invalid_value",
    );
    // A declined invitation gives nothing and may be sent again.
    let (_, carol) = app.user("carol", None).await;
    let declined = alice
        .invite(&acme.id, &share("carol", "viewer"))
        .await
        .unwrap();
    assert_eq!(
        carol.decline_invitation(&declined.id).await.unwrap().status,
        "declined"
    );
    assert_api_error(carol.get_folder(&acme.id).await, 404, "not_found");
    assert!(
        carol
            .search(&query, None, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    alice
        .invite(&acme.id, &share("carol", "viewer"))
        .await
        .unwrap();
}

/// Each role × operation gives exactly its status: 2xx, 403 (visible, not allowed) or 404.
async fn roles_decide_every_operation(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    let inner = alice
        .create_folder_in(Some(&top.id), "inner")
        .await
        .unwrap();
    let mut clients = Vec::new();
    for (login, role) in [
        ("vic", Some("viewer")),
        ("uma", Some("uploader")),
        ("eve", Some("editor")),
        ("max", Some("manager")),
        ("nob", None),
    ] {
        let (_, c) = app.user(login, None).await;
        if let Some(role) = role {
            // Shared on the top folder: every role is inherited by `inner`.
            share_accepted(&alice, &top.id, &c, login, role).await;
        }
        clients.push((login, c));
    }
    // One row per operation, one column per role: viewer, uploader, editor, manager, none.
    // The file operated on is the owner's: an uploader does not even see it.
    let expect: [(&str, [u16; 5]); 14] = [
        ("get folder", [200, 200, 200, 200, 404]),
        ("list children", [200, 403, 200, 200, 404]),
        ("list files", [200, 200, 200, 200, 404]),
        ("download", [200, 404, 200, 200, 404]),
        ("upload", [403, 200, 200, 200, 404]),
        ("new version", [403, 404, 200, 200, 404]),
        ("rename", [403, 404, 200, 200, 404]),
        ("delete", [403, 404, 200, 200, 404]),
        ("move in", [403, 404, 200, 200, 404]),
        ("move out", [403, 404, 403, 403, 404]),
        ("create link", [403, 404, 403, 200, 404]),
        ("invite", [403, 403, 403, 200, 404]),
        ("change retention", [403, 403, 403, 403, 404]),
        ("delete top folder", [403, 403, 403, 403, 404]),
    ];
    for (column, (login, c)) in clients.iter().enumerate() {
        let file = alice
            .upload(&inner.id, &format!("{login}.txt"), b"data".to_vec())
            .await
            .unwrap();
        for (op, statuses) in &expect {
            let got = match *op {
                "get folder" => status(c.get_folder(&inner.id).await),
                "list children" => status(c.children(&top.id, None, None).await),
                "list files" => status(c.list_files(&inner.id, None, None).await),
                "download" => match c.download(&file.id, &[]).await {
                    Ok(d) => d.status.as_u16(),
                    Err(e) => status::<()>(Err(e)),
                },
                "upload" => status(
                    c.upload(&inner.id, &format!("by-{login}.txt"), b"x".to_vec())
                        .await,
                ),
                "new version" => status(c.put_content(&file.id, b"v2".to_vec(), None).await),
                "rename" => status(
                    c.update_file(
                        &file.id,
                        &api::UpdateFile {
                            description: Some(format!("by {login}")),
                            ..Default::default()
                        },
                    )
                    .await,
                ),
                "delete" => {
                    let victim = alice
                        .upload(&inner.id, &format!("victim-{login}.txt"), b"v".to_vec())
                        .await
                        .unwrap();
                    status(c.delete_file(&victim.id).await)
                }
                "move in" | "move out" => {
                    let victim = alice
                        .upload(&inner.id, &format!("{op}-{login}.txt"), b"m".to_vec())
                        .await
                        .unwrap();
                    let to = if *op == "move in" {
                        top.id.clone()
                    } else {
                        c.create_folder(&format!("own-{login}"), 0)
                            .await
                            .unwrap()
                            .id
                    };
                    status(
                        c.move_file(
                            &victim.id,
                            &api::MoveFile {
                                folder_id: to,
                                ..Default::default()
                            },
                        )
                        .await,
                    )
                }
                "create link" => status(
                    c.create_link(
                        &file.id,
                        &api::CreateLink {
                            expires_in: Some(600),
                            ..Default::default()
                        },
                    )
                    .await,
                ),
                "invite" => {
                    let (_, _) = app.user(&format!("guest-{login}"), None).await;
                    status(
                        c.invite(&inner.id, &share(&format!("guest-{login}"), "viewer"))
                            .await,
                    )
                }
                "change retention" => status(
                    c.update_folder(
                        &top.id,
                        &api::UpdateFolder {
                            retention_days: Some(3),
                            ..Default::default()
                        },
                    )
                    .await,
                ),
                "delete top folder" => status(c.delete_folder(&top.id, false).await),
                other => panic!("no operation {other}"),
            };
            assert_eq!(got, statuses[column], "{login} ({column}): {op}");
        }
    }
    // An uploader lists only what it added; the owner lists everything.
    let uma = &clients[1].1;
    let listed: Vec<_> = uma
        .list_files(&inner.id, None, None)
        .await
        .unwrap()
        .files
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(listed, ["by-uma.txt"]);
    // ...and may read what it added, but not share it.
    let own = uma
        .list_files(&inner.id, None, None)
        .await
        .unwrap()
        .files
        .remove(0);
    assert_eq!(
        uma.download(&own.id, &[]).await.unwrap().body.as_ref(),
        b"x"
    );
    assert_api_error(
        uma.create_link(
            &own.id,
            &api::CreateLink {
                expires_in: Some(600),
                ..Default::default()
            },
        )
        .await,
        403,
        "permission_denied",
    );
    assert!(
        alice
            .list_files(&inner.id, None, None)
            .await
            .unwrap()
            .files
            .len()
            > 5
    );
}

async fn group_members_gain_and_lose_access_at_once(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (bob_user, bob) = app.user("bob", None).await;
    let team = alice.create_folder("team", 0).await.unwrap();
    let group = app
        .admin
        .create_group(&api::CreateGroup {
            name: "Auditors".into(),
            description: None,
        })
        .await
        .unwrap();
    let shared = alice
        .invite(
            &team.id,
            &api::CreateCollaboration {
                group: Some(group.id.clone()),
                role: "editor".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(shared.status, "accepted", "a group's share needs no answer");
    assert_eq!(shared.principal.name, "Auditors");
    assert_api_error(bob.get_folder(&team.id).await, 404, "not_found");
    app.admin
        .add_group_member(&group.id, &bob_user.id)
        .await
        .unwrap();
    // With the same token, at once.
    let seen = bob.get_folder(&team.id).await.unwrap();
    assert_eq!(
        (seen.role.as_str(), seen.path.as_str()),
        ("editor", "/team")
    );
    assert_eq!(
        bob.list_folders(false).await.unwrap().folders[0].id,
        team.id
    );
    bob.upload(&team.id, "from-bob.txt", b"b".to_vec())
        .await
        .unwrap();
    app.admin
        .remove_group_member(&group.id, &bob_user.id)
        .await
        .unwrap();
    assert_api_error(bob.get_folder(&team.id).await, 404, "not_found");
    assert!(bob.list_folders(false).await.unwrap().folders.is_empty());
    assert_api_error(
        parse::<api::Collaboration>(
            alice
                .request(Method::POST, &format!("/folders/{}/collaborators", team.id))
                .json(&json!({"group": "grp_ffff", "role": "viewer"}))
                .send()
                .await
                .unwrap(),
        )
        .await,
        400,
        "not_found",
    );
}

async fn managers_share_within_their_role_and_collaborators_leave(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, max) = app.user("max", None).await;
    let (_, eve) = app.user("eve", None).await;
    let top = alice.create_folder("top", 0).await.unwrap();
    share_accepted(&alice, &top.id, &max, "max", "manager").await;
    // A manager makes editors, not managers.
    assert_api_error(
        max.invite(&top.id, &share("eve", "manager")).await,
        403,
        "permission_denied",
    );
    let eves = max.invite(&top.id, &share("eve", "editor")).await.unwrap();
    eve.accept_invitation(&eves.id, None).await.unwrap();
    assert_eq!(eve.get_folder(&top.id).await.unwrap().role, "editor");
    // Role changes take effect at once; an editor cannot change roles.
    assert_api_error(
        eve.update_collaboration(
            &eves.id,
            &api::UpdateCollaboration {
                role: Some("viewer".into()),
                ..Default::default()
            },
        )
        .await,
        403,
        "permission_denied",
    );
    let lowered = max
        .update_collaboration(
            &eves.id,
            &api::UpdateCollaboration {
                role: Some("viewer".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(lowered.role, "viewer");
    assert_eq!(eve.get_folder(&top.id).await.unwrap().role, "viewer");
    let events = alice
        .audit_events(&[("action", "permission.changed")])
        .await
        .unwrap()
        .events;
    assert!(events.iter().any(|e| e.details["change"] == "role_changed"
        && e.details["old_role"] == "editor"
        && e.details["new_role"] == "viewer"));
    // A collaborator leaves on its own.
    eve.remove_collaboration(&eves.id).await.unwrap();
    assert_api_error(eve.get_folder(&top.id).await, 404, "not_found");
    // A collaboration that expires ends by itself.
    let soon = ferry_core::timefmt::rfc3339(app.server.as_ref().unwrap().state().now_ms() + 60_000);
    let timed = alice
        .invite(
            &top.id,
            &api::CreateCollaboration {
                expires_at: Some(soon),
                ..share("eve", "viewer")
            },
        )
        .await
        .unwrap();
    eve.accept_invitation(&timed.id, None).await.unwrap();
    assert_eq!(eve.get_folder(&top.id).await.unwrap().role, "viewer");
    app.clock.advance(Duration::from_secs(61));
    assert_api_error(eve.get_folder(&top.id).await, 404, "not_found");
    // The owner removes a manager; the manager then sees nothing.
    let maxs = alice
        .collaborators(&top.id, None, None)
        .await
        .unwrap()
        .collaborators;
    let max_share = maxs.iter().find(|c| c.principal.name == "max").unwrap();
    alice.remove_collaboration(&max_share.id).await.unwrap();
    assert_api_error(max.get_folder(&top.id).await, 404, "not_found");
}

async fn transfer_hands_a_folder_over_with_its_bytes(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", Some(100)).await;
    let (_, carol) = app.user("carol", None).await;
    let top = alice.create_folder("Handover", 0).await.unwrap();
    let sub = alice.create_folder_in(Some(&top.id), "docs").await.unwrap();
    alice.upload(&sub.id, "a.bin", vec![1u8; 60]).await.unwrap();
    bob.create_folder("handover", 0).await.unwrap();
    // Only its owner (or an admin) hands it over, only top-level folders, to someone real.
    share_accepted(&alice, &top.id, &carol, "carol", "manager").await;
    assert_api_error(
        carol.transfer_folder(&top.id, "bob").await,
        403,
        "permission_denied",
    );
    assert_api_error(
        alice.transfer_folder(&sub.id, "bob").await,
        400,
        "invalid_value",
    );
    assert_api_error(
        alice.transfer_folder(&top.id, "nobody").await,
        400,
        "not_found",
    );
    assert_api_error(
        alice.transfer_folder(&top.id, "alice").await,
        400,
        "invalid_value",
    );
    // The receiver's quota must take it.
    alice.upload(&sub.id, "b.bin", vec![2u8; 50]).await.unwrap();
    assert_api_error(
        alice.transfer_folder(&top.id, "bob").await,
        413,
        "quota_exceeded",
    );
    let b = alice.list_files(&sub.id, None, None).await.unwrap().files;
    let big = b.iter().find(|f| f.name == "b.bin").unwrap();
    alice.delete_file(&big.id).await.unwrap();
    alice.empty_trash().await.unwrap();
    let moved = alice.transfer_folder(&top.id, "bob").await.unwrap();
    assert_eq!(moved.owner.login, "bob");
    assert_eq!(moved.name, "Handover (1)", "bob has a handover already");
    assert_eq!(bob.me().await.unwrap().quota.used_bytes, 60);
    assert_eq!(alice.me().await.unwrap().quota.used_bytes, 0);
    assert_eq!(
        bob.get_folder(&sub.id).await.unwrap().path,
        "/Handover (1)/docs"
    );
    // Alice keeps it as an editor, mounted in her root; carol's share is untouched.
    let kept = alice.get_folder(&top.id).await.unwrap();
    assert_eq!(
        (kept.role.as_str(), kept.path.as_str()),
        ("editor", "/Handover")
    );
    assert_eq!(carol.get_folder(&top.id).await.unwrap().role, "manager");
    let events = bob
        .audit_events(&[("action", "permission.changed")])
        .await
        .unwrap()
        .events;
    assert!(events.iter().any(|e| e.details["change"] == "transferred"));
}

async fn invitations_and_answers_leave_notices(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let (_, carol) = app.user("carol", None).await;
    let top = alice.create_folder("Deliveries", 0).await.unwrap();
    let to_bob = alice
        .invite(
            &top.id,
            &api::CreateCollaboration {
                message: Some("hello".into()),
                ..share("bob", "editor")
            },
        )
        .await
        .unwrap();
    let to_carol = alice
        .invite(&top.id, &share("carol", "viewer"))
        .await
        .unwrap();
    let notices = bob.notices(false, None, None).await.unwrap().notices;
    assert_eq!(notices.len(), 1);
    let notice = &notices[0];
    assert!(notice.id.starts_with("ntc_"));
    assert_eq!((notice.kind.as_str(), notice.read), ("invitation", false));
    assert_eq!(notice.data["collaboration_id"], to_bob.id.as_str());
    assert_eq!(notice.data["folder_name"], "Deliveries");
    assert_eq!(notice.data["invited_by"]["login"], "alice");
    assert_eq!(notice.data["message"], "hello");
    // Only one's own notices can be read.
    assert_api_error(alice.read_notice(&notice.id).await, 404, "not_found");
    assert!(bob.read_notice(&notice.id).await.unwrap().read);
    assert!(
        bob.notices(true, None, None)
            .await
            .unwrap()
            .notices
            .is_empty()
    );
    // The answers reach the inviter, newest first.
    bob.accept_invitation(&to_bob.id, None).await.unwrap();
    carol.decline_invitation(&to_carol.id).await.unwrap();
    let answers = alice.notices(true, None, None).await.unwrap().notices;
    let mut kinds: Vec<_> = answers.iter().map(|n| n.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["invitation.accepted", "invitation.declined"]);
    let accepted = answers
        .iter()
        .find(|n| n.kind == "invitation.accepted")
        .unwrap();
    assert_eq!(accepted.data["by"]["login"], "bob");
    alice.read_all_notices().await.unwrap();
    assert!(
        alice
            .notices(true, None, None)
            .await
            .unwrap()
            .notices
            .is_empty()
    );
    assert_eq!(
        alice
            .notices(false, None, None)
            .await
            .unwrap()
            .notices
            .len(),
        2
    );
}

async fn an_upload_open_across_a_transfer_is_paid_by_the_new_owner(app: TestApp) {
    let (_, alice) = app.user("alice", None).await;
    let (_, bob) = app.user("bob", None).await;
    let top = alice.create_folder("Incoming", 0).await.unwrap();
    let bytes = vec![7u8; 1000];
    let up = alice
        .create_upload(&api::CreateUpload {
            uploader_name: None,
            uploader_email: None,
            folder_id: top.id.clone(),
            filename: "late.bin".into(),
            size: 1000,
            checksum_sha256: Some(crate::helpers::sha256_hex(&bytes)),
            part_size: Some(5 << 20),
            on_conflict: None,
            relative_path: None,
            modified_at: None,
        })
        .await
        .unwrap();
    alice
        .put_part(&up.upload_id, 1, bytes.clone(), None)
        .await
        .unwrap();
    assert_eq!(alice.me().await.unwrap().quota.reserved_bytes, 1000);
    // The folder changes owner while the upload is open; the file lands as bob's, and the
    // bytes alice had reserved are bob's to pay now.
    alice.transfer_folder(&top.id, "bob").await.unwrap();
    let mut file = None;
    for _ in 0..200 {
        // A 202 means verification continues: ask again.
        match alice
            .complete_upload(&up.upload_id, &api::CompleteUpload::default())
            .await
            .unwrap()
        {
            Ok(done) => {
                file = Some(done);
                break;
            }
            Err(pending) => assert_eq!(pending.status, "completing"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let file = file.expect("the upload completes");
    assert_eq!(file.size, 1000);
    let a = alice.me().await.unwrap().quota;
    assert_eq!((a.used_bytes, a.reserved_bytes), (0, 0));
    assert_eq!(bob.me().await.unwrap().quota.used_bytes, 1000);
    let listed = bob.list_files(&top.id, None, None).await.unwrap().files;
    assert_eq!(listed[0].id, file.id);
}

/// A chain of folders shared with a group at its top: bob's role and path on the deepest one
/// follow a rename, a move out of and back into the share, a delete and a restore above it, a
/// move of a folder of alice's into the share, and his group membership, each on the very next
/// request (the node keeps the chain after the first; every change must reach it). With a
/// second node, the changes made on the first reach a chain the second keeps.
async fn a_deep_chain_follows_every_change(app: &TestApp, node: &Client) {
    let (_, alice) = app.user("alice", None).await;
    let (bob_user, _) = app.user("bob", None).await;
    let session = node.login("bob", "password-bob").await.unwrap();
    let bob_on = &node.with_token(session.access_token);
    let group = app
        .admin
        .create_group(&api::CreateGroup {
            name: "Readers".into(),
            description: None,
        })
        .await
        .unwrap();
    app.admin
        .add_group_member(&group.id, &bob_user.id)
        .await
        .unwrap();
    let team = alice.create_folder("team", 0).await.unwrap();
    let private = alice.create_folder("private", 0).await.unwrap();
    let mut chain = vec![team.clone()];
    for name in ["a", "b", "c", "d"] {
        let parent = chain.last().unwrap().id.clone();
        chain.push(alice.create_folder_in(Some(&parent), name).await.unwrap());
    }
    let (b, c, d) = (
        chain[2].id.clone(),
        chain[3].id.clone(),
        chain[4].id.clone(),
    );
    let aside = alice
        .create_folder_in(Some(&private.id), "aside")
        .await
        .unwrap();
    alice
        .invite(
            &team.id,
            &api::CreateCollaboration {
                group: Some(group.id.clone()),
                role: "viewer".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let path_of = |id: String| {
        let bob = bob_on.clone();
        async move {
            bob.get_folder(&id)
                .await
                .map(|f| (f.role.clone(), f.path.clone()))
        }
    };
    let viewer = |path: &str| ("viewer".to_string(), path.to_string());
    for _ in 0..2 {
        assert_eq!(path_of(d.clone()).await.unwrap(), viewer("/team/a/b/c/d"));
    }
    assert_api_error(bob_on.get_folder(&aside.id).await, 404, "not_found");

    // A rename above shows in the path at once.
    let rename = api::UpdateFolder {
        name: Some("b2".into()),
        ..Default::default()
    };
    alice.update_folder(&b, &rename).await.unwrap();
    assert_eq!(path_of(d.clone()).await.unwrap(), viewer("/team/a/b2/c/d"));

    // Moved out of the share, the folder below is gone for bob; moved back, it is his again.
    let to = |parent: &str| api::MoveFolder {
        parent_id: Some(Some(parent.to_string())),
        ..Default::default()
    };
    alice.move_folder(&c, &to(&private.id)).await.unwrap();
    assert_api_error(bob_on.get_folder(&d).await, 404, "not_found");
    assert_api_error(bob_on.get_folder(&c).await, 404, "not_found");
    alice.move_folder(&c, &to(&b)).await.unwrap();
    assert_eq!(path_of(d.clone()).await.unwrap(), viewer("/team/a/b2/c/d"));

    // A folder bob could not see, moved into the share, is his at once.
    alice.move_folder(&aside.id, &to(&c)).await.unwrap();
    assert_eq!(
        path_of(aside.id.clone()).await.unwrap(),
        viewer("/team/a/b2/c/aside")
    );

    // Deleted above, gone; restored, back.
    alice.delete_folder(&b, false).await.unwrap();
    assert_api_error(bob_on.get_folder(&d).await, 404, "not_found");
    alice
        .restore_item(&b, &api::RestoreItem::default())
        .await
        .unwrap();
    assert_eq!(path_of(d.clone()).await.unwrap(), viewer("/team/a/b2/c/d"));

    // Shares and memberships are read live: out of the group, out of the tree.
    app.admin
        .remove_group_member(&group.id, &bob_user.id)
        .await
        .unwrap();
    assert_api_error(bob_on.get_folder(&d).await, 404, "not_found");
}

async fn a_deep_folder_follows_every_change_to_its_chain_at_once(app: TestApp) {
    let node = app.anon.clone();
    a_deep_chain_follows_every_change(&app, &node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn a_deep_folder_follows_changes_made_on_another_node_postgres() {
    let app = TestApp::spawn(crate::helpers::Backend::Postgres)
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    let node_b = ferry_server::Server::start_with_clock(app.config.clone(), app.clock.clone())
        .await
        .expect("a second node starts");
    let b = Client::new(&format!("http://{}", node_b.addr()));
    a_deep_chain_follows_every_change(&app, &b).await;
    node_b.shutdown().await.unwrap();
}
