//! Upload listings (newest first, ties broken by id, per creator and status) and what
//! unfinished uploads reserve per payer.

use ferry_core::UploadStatus;
use ferry_store::Store;
use ferry_store::uploads::{self, Reserved, Upload};

use super::{add_user, postgres, sqlite};

conformance!(uploads_list_newest_first_and_sum_what_they_reserve);

fn upload(id: &str, creator: &str, payer: &str, size: i64, created_at: i64) -> Upload {
    Upload {
        id: id.into(),
        creator_id: creator.into(),
        payer_id: payer.into(),
        folder_id: None,
        filename: format!("{id}.bin"),
        size,
        part_size: size.max(1),
        part_count: 1,
        checksum_sha256: None,
        on_conflict: ferry_core::OnConflict::Rename,
        status: UploadStatus::Open,
        hashed_parts: 0,
        hash_state: None,
        file_id: None,
        expires_at: created_at + 1000,
        created_at,
        updated_at: created_at,
        protocol: "native".into(),
        tus_offset: 0,
        tus_concat: None,
        tus_partials: None,
        tus_metadata: None,
        client_modified_at: None,
        link_id: None,
        uploader_name: None,
        uploader_email: None,
        blob_session: None,
    }
}

async fn uploads_list_newest_first_and_sum_what_they_reserve(store: &Store) {
    let alice = add_user(store, "alice", None).await;
    let bob = add_user(store, "bob", None).await;
    let mut c = store.conn().await.unwrap();
    // Three at t=10 (the id breaks the tie), one later, one of bob's paid for by alice.
    for (id, creator, payer, size, t) in [
        ("upl_b", &alice, &alice, 100, 10),
        ("upl_c", &alice, &alice, 200, 10),
        ("upl_a", &alice, &alice, 400, 10),
        ("upl_d", &alice, &alice, 800, 20),
        ("upl_e", &bob, &alice, 1600, 30),
    ] {
        uploads::insert(&mut c, &upload(id, creator, payer, size, t))
            .await
            .unwrap();
    }
    assert!(
        uploads::transition(
            &mut c,
            "upl_b",
            UploadStatus::Open,
            UploadStatus::Completing,
            11
        )
        .await
        .unwrap()
    );
    assert!(
        uploads::transition(
            &mut c,
            "upl_c",
            UploadStatus::Open,
            UploadStatus::Aborted,
            11
        )
        .await
        .unwrap()
    );

    let ids = |rows: Vec<Upload>| rows.into_iter().map(|u| u.id).collect::<Vec<_>>();
    let all = uploads::list(&mut c, Some(&alice), &[], None, 100)
        .await
        .unwrap();
    assert_eq!(ids(all), ["upl_d", "upl_c", "upl_b", "upl_a"]);
    // Paging from a tie continues inside it.
    let after_c = uploads::list(&mut c, Some(&alice), &[], Some((10, "upl_c")), 100)
        .await
        .unwrap();
    assert_eq!(ids(after_c), ["upl_b", "upl_a"]);
    let first_two = uploads::list(&mut c, Some(&alice), &[], None, 2)
        .await
        .unwrap();
    assert_eq!(ids(first_two), ["upl_d", "upl_c"]);
    let unfinished = uploads::list(&mut c, Some(&alice), &UploadStatus::UNFINISHED, None, 100)
        .await
        .unwrap();
    assert_eq!(ids(unfinished), ["upl_d", "upl_b", "upl_a"]);
    let aborted = uploads::list(&mut c, Some(&alice), &[UploadStatus::Aborted], None, 100)
        .await
        .unwrap();
    assert_eq!(ids(aborted), ["upl_c"]);
    let everyone = uploads::list(&mut c, None, &[UploadStatus::Open], None, 100)
        .await
        .unwrap();
    assert_eq!(ids(everyone), ["upl_e", "upl_d", "upl_a"]);

    // Open and completing uploads reserve for their payer: a, b, d and e (bob's, alice pays).
    let reserved = uploads::reserved_by(&mut c, &[&alice, &bob]).await.unwrap();
    assert_eq!(
        reserved.get(&alice),
        Some(&Reserved {
            bytes: 400 + 100 + 800 + 1600,
            uploads: 4
        })
    );
    assert_eq!(reserved.get(&bob), None);
    assert!(uploads::reserved_by(&mut c, &[]).await.unwrap().is_empty());

    uploads::record_part(&mut c, "upl_a", 1, 400, "x", 12)
        .await
        .unwrap();
    let parts = uploads::parts_of(&mut c, &["upl_a", "upl_d"])
        .await
        .unwrap();
    assert_eq!(parts.get("upl_a"), Some(&vec![(1, 400)]));
    assert_eq!(parts.get("upl_d"), None);
}
