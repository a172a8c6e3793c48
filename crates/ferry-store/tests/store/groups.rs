//! Groups: names unique without regard to case, idempotent membership, the member filter of
//! the listing, paging by name and by login, and deletion with the memberships.

use ferry_store::groups::{self, NewGroup};
use ferry_store::{Store, StoreError};

use super::{add_user, postgres, sqlite};

conformance!(groups_are_unique_in_any_case_and_list_by_name);

async fn groups_are_unique_in_any_case_and_list_by_name(store: &Store) {
    let alice = add_user(store, "alice", None).await;
    let bob = add_user(store, "bob", None).await;
    let mut c = store.conn().await.unwrap();
    for (id, name) in [("grp_b", "beta"), ("grp_a", "Alpha"), ("grp_c", "gamma")] {
        groups::insert(
            &mut c,
            &NewGroup {
                id,
                name,
                description: "",
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
    }
    let dup = groups::insert(
        &mut c,
        &NewGroup {
            id: "grp_d",
            name: "ALPHA",
            description: "",
            company_id: None,
            now: 1,
        },
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
    let renamed = groups::update(&mut c, "grp_c", Some("Beta"), None, 2).await;
    assert!(matches!(renamed, Err(StoreError::Conflict)), "{renamed:?}");
    assert_eq!(
        groups::by_name(&mut c, "BETA").await.unwrap().unwrap().id,
        "grp_b"
    );

    let names = |gs: Vec<groups::Group>| gs.into_iter().map(|g| g.name).collect::<Vec<_>>();
    assert_eq!(
        names(groups::list(&mut c, None, None, 10).await.unwrap()),
        ["Alpha", "beta", "gamma"]
    );
    assert_eq!(
        names(
            groups::list(&mut c, None, Some(("alpha", "grp_a")), 1)
                .await
                .unwrap()
        ),
        ["beta"]
    );

    assert!(groups::add_member(&mut c, "grp_b", &bob, 3).await.unwrap());
    assert!(
        groups::add_member(&mut c, "grp_b", &alice, 3)
            .await
            .unwrap()
    );
    assert!(
        !groups::add_member(&mut c, "grp_b", &alice, 4)
            .await
            .unwrap(),
        "idempotent"
    );
    assert!(groups::add_member(&mut c, "grp_c", &bob, 3).await.unwrap());
    assert_eq!(groups::member_count(&mut c, "grp_b").await.unwrap(), 2);
    let counts = groups::member_counts(&mut c, &["grp_a", "grp_b", "grp_c"])
        .await
        .unwrap();
    assert_eq!(
        (counts.get("grp_a"), counts["grp_b"], counts["grp_c"]),
        (None, 2, 1)
    );
    assert_eq!(
        names(groups::list(&mut c, Some(&alice), None, 10).await.unwrap()),
        ["beta"]
    );
    assert_eq!(
        names(groups::list(&mut c, Some(&bob), None, 10).await.unwrap()),
        ["beta", "gamma"]
    );

    let logins = |ms: Vec<groups::Member>| ms.into_iter().map(|m| m.login).collect::<Vec<_>>();
    assert_eq!(
        logins(groups::members(&mut c, "grp_b", None, 10).await.unwrap()),
        ["alice", "bob"]
    );
    assert_eq!(
        logins(
            groups::members(&mut c, "grp_b", Some(("alice", &alice)), 10)
                .await
                .unwrap()
        ),
        ["bob"]
    );
    assert!(
        groups::remove_member(&mut c, "grp_b", &alice)
            .await
            .unwrap()
    );
    assert!(
        !groups::remove_member(&mut c, "grp_b", &alice)
            .await
            .unwrap()
    );
    assert!(!groups::is_member(&mut c, "grp_b", &alice).await.unwrap());

    assert!(groups::delete(&mut c, "grp_b").await.unwrap());
    assert!(!groups::delete(&mut c, "grp_b").await.unwrap());
    assert!(groups::get(&mut c, "grp_b").await.unwrap().is_none());
    assert!(!groups::is_member(&mut c, "grp_b", &bob).await.unwrap());
    assert!(groups::is_member(&mut c, "grp_c", &bob).await.unwrap());
}
