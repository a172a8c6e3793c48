//! A folder's chain read with the shares a user holds along it (`chain_with_grants`): the
//! chain in order, each folder once even when several shares reach it, and only accepted,
//! unexpired shares of the user or of their groups.

use ferry_core::{FolderRole, IdKind};
use ferry_store::Store;
use ferry_store::collaborations::{self, NewCollaboration, PrincipalType, Status};
use ferry_store::folders::NewFolder;
use ferry_store::groups::{self, NewGroup};

use super::{add_user, postgres, sqlite};

conformance!(a_chain_comes_with_the_shares_along_it);

async fn a_chain_comes_with_the_shares_along_it(store: &Store) {
    let alice = add_user(store, "alice", None).await;
    let bob = add_user(store, "bob", None).await;
    let mut c = store.conn().await.unwrap();
    let mut chain_ids: Vec<String> = Vec::new();
    for name in ["top", "middle", "deep"] {
        let id = IdKind::Folder.generate();
        ferry_store::folders::insert(
            &mut c,
            &NewFolder {
                id: &id,
                owner_id: &alice,
                parent_id: chain_ids.last().map(String::as_str),
                name,
                description: "",
                visibility: "private",
                retention_days: 0,
                expires_at: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        chain_ids.push(id);
    }
    let group = IdKind::Group.generate();
    groups::insert(
        &mut c,
        &NewGroup {
            id: &group,
            name: "readers",
            description: "",
            company_id: None,
            now: 1,
        },
    )
    .await
    .unwrap();
    assert!(groups::add_member(&mut c, &group, &bob, 1).await.unwrap());
    // On the middle folder: one share to bob, one to his group. On the top folder: one that
    // expired and one still pending; neither counts.
    let shares = [
        (
            1,
            PrincipalType::User,
            FolderRole::Editor,
            Status::Accepted,
            None,
        ),
        (
            1,
            PrincipalType::Group,
            FolderRole::Viewer,
            Status::Accepted,
            None,
        ),
        (
            0,
            PrincipalType::User,
            FolderRole::Manager,
            Status::Accepted,
            Some(5),
        ),
        (
            0,
            PrincipalType::User,
            FolderRole::Manager,
            Status::Pending,
            None,
        ),
    ];
    for (at, principal_type, role, status, expires_at) in shares {
        let id = IdKind::Share.generate();
        let (user_id, group_id) = match principal_type {
            PrincipalType::Group => (None, Some(group.as_str())),
            _ => (Some(bob.as_str()), None),
        };
        collaborations::insert(
            &mut c,
            &NewCollaboration {
                id: &id,
                folder_id: &chain_ids[at],
                principal_type,
                user_id,
                group_id,
                email: None,
                role,
                status,
                message: "",
                invited_by: None,
                expires_at,
                now: 1,
            },
        )
        .await
        .unwrap();
    }

    let collaborations::ChainWithGrants { chain, grants, .. } =
        collaborations::chain_with_grants(&mut c, &chain_ids[2], 80, &bob, 10)
            .await
            .unwrap();
    let ids: Vec<&str> = chain.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, chain_ids, "top-level folder first, each folder once");
    let mut seen: Vec<(String, FolderRole)> = grants
        .iter()
        .map(|g| (g.folder_id.clone(), g.role))
        .collect();
    seen.sort_by_key(|(_, role)| *role);
    assert_eq!(
        seen,
        [
            (chain_ids[1].clone(), FolderRole::Viewer),
            (chain_ids[1].clone(), FolderRole::Editor),
        ],
        "the user's and the group's share on the middle folder; not the expired or pending one"
    );
    assert!(grants.iter().all(|g| g.mount_name == "middle"));
    // The same shares, read live along a chain a node keeps, with the folder's own row.
    let kept: Vec<&str> = chain_ids.iter().map(String::as_str).collect();
    let read = collaborations::folder_with_grants(&mut c, &chain_ids[2], &kept, &bob, 10)
        .await
        .unwrap()
        .expect("the folder is there");
    assert_eq!(read.folder.id, chain_ids[2].as_str());
    let mut live: Vec<(String, FolderRole)> = read
        .grants
        .iter()
        .map(|(f, role, _)| (f.clone(), *role))
        .collect();
    live.sort_by_key(|(_, role)| *role);
    assert_eq!(live, seen);
    assert!(
        collaborations::folder_with_grants(&mut c, "fld_none", &kept, &bob, 10)
            .await
            .unwrap()
            .is_none()
    );

    // Alice, the owner, holds no share: the chain alone.
    let collaborations::ChainWithGrants { chain, grants, .. } =
        collaborations::chain_with_grants(&mut c, &chain_ids[2], 80, &alice, 10)
            .await
            .unwrap();
    assert_eq!(chain.len(), 3);
    assert!(grants.is_empty());
    // Before the expired share ran out, it counted too.
    let read = collaborations::chain_with_grants(&mut c, &chain_ids[2], 80, &bob, 4)
        .await
        .unwrap();
    assert_eq!(read.grants.len(), 3);
}
