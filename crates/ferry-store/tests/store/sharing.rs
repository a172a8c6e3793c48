//! A folder's chain read with the shares a user holds along it (`chain_with_grants`): the
//! chain in order, each folder once even when several shares reach it, and only accepted,
//! unexpired shares of the user or of their groups; and a file's metadata read
//! (`files::get_shown`) with its chain and shares in one statement.

use ferry_core::{FolderRole, IdKind};
use ferry_store::Store;
use ferry_store::collaborations::{self, NewCollaboration, PrincipalType, Status};
use ferry_store::favorites;
use ferry_store::files::{self, NewFile};
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

    // A file's metadata read (`files::get_shown`): the file, the reader's mark, the chain and
    // the shares, in one statement, the same as the separate reads.
    let file_id = IdKind::File.generate();
    let sha = "cd".repeat(32);
    let mut tx = store.begin().await.unwrap();
    files::reference_blob(&mut tx, &sha, 4, 1).await.unwrap();
    files::insert(
        &mut tx,
        &NewFile {
            id: &file_id,
            folder_id: &chain_ids[2],
            owner_id: &alice,
            name: "deep.txt",
            size: 4,
            sha256: &sha,
            mime_type: "text/plain",
            expires_at: None,
            client_modified_at: None,
            created_by: None,
            now: 1,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    favorites::add(&mut c, &bob, &file_id, 2).await.unwrap();
    for (reader, marked) in [(&bob, true), (&alice, false)] {
        let shown = files::get_shown(&mut c, &file_id, reader, 80, Some(10))
            .await
            .unwrap()
            .expect("the file");
        let (file, alone_marked) = files::get_marked(&mut c, &file_id, reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((shown.marked, alone_marked), (marked, marked));
        assert_eq!(format!("{:?}", shown.file), format!("{file:?}"));
        let read = collaborations::chain_with_grants(&mut c, &chain_ids[2], 80, reader, 10)
            .await
            .unwrap();
        let (chain, grants) = (read.chain, read.grants);
        assert_eq!(format!("{:?}", shown.chain), format!("{chain:?}"));
        let pairs = |g: &[collaborations::Grant]| {
            let mut v: Vec<_> = g
                .iter()
                .map(|g| (g.folder_id.clone(), g.role, g.mount_name.clone()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(pairs(&shown.grants), pairs(&grants));
    }
    // Without shares asked for: the chain (as `ancestry` reads it) and no grants.
    let shown = files::get_shown(&mut c, &file_id, &bob, 80, None)
        .await
        .unwrap()
        .unwrap();
    let chain = ferry_store::folders::ancestry(&mut c, &chain_ids[2], 80)
        .await
        .unwrap();
    assert_eq!(format!("{:?}", shown.chain), format!("{chain:?}"));
    assert!(shown.grants.is_empty());
    // A depth limit cuts the chain as `ancestry`'s does.
    let shown = files::get_shown(&mut c, &file_id, &bob, 1, None)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<&str> = shown.chain.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, &chain_ids[1..]);
    // An unknown file: nothing.
    assert!(
        files::get_shown(&mut c, "fil_000000000000000000000000", &bob, 80, Some(10))
            .await
            .unwrap()
            .is_none()
    );
}
