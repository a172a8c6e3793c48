//! The store conformance suite: the same behaviour checked on SQLite (always) and on
//! PostgreSQL (when `FERRY_TEST_DATABASE_URL` is set; each test in a fresh schema).

use ferry_core::Role;
use ferry_store::audit::{Filter, NewEvent};
use ferry_store::files::NewFile;
use ferry_store::folders::NewFolder;
use ferry_store::testdb::TestSchema;
use ferry_store::users::{NewUser, UserChanges};
use ferry_store::{Store, StoreError};

mod upgrade;
mod upgrade_media;

struct TestStore {
    store: Store,
    _dir: tempfile::TempDir,
    // Last, so that it is dropped after the store that uses it.
    _schema: Option<TestSchema>,
}

async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&Store::sqlite_url_in(dir.path()))
        .await
        .unwrap();
    TestStore {
        store,
        _dir: dir,
        _schema: None,
    }
}

async fn postgres() -> Option<TestStore> {
    let schema = TestSchema::create().await?;
    let store = Store::connect(schema.url()).await.unwrap();
    Some(TestStore {
        store,
        _dir: tempfile::tempdir().unwrap(),
        _schema: Some(schema),
    })
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = super::sqlite().await;
                super::$name(&t.store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(ferry_pg_tests), ignore = "set FERRY_TEST_DATABASE_URL when building the tests")]
            async fn postgres() {
                match super::postgres().await {
                    Some(t) => super::$name(&t.store).await,
                    None => panic!("FERRY_TEST_DATABASE_URL was set when the tests were built, not now"),
                }
            }
        }
    )*};
}

mod blob_contents;
mod groups;
mod mail;
mod rate_buckets;
mod sharing;
mod tasks;
mod uploads;

conformance!(
    users_logins_and_lockout,
    quota_reservations_never_overshoot,
    folders_are_unique_per_owner_and_page_by_name,
    files_blobs_and_reference_counts,
    audit_is_append_only_and_searchable,
    tokens_find_and_revoke,
    the_audit_chain_verifies_and_names_a_tampered_row,
);

async fn add_user(store: &Store, login: &str, quota: Option<i64>) -> String {
    let id = ferry_core::IdKind::User.generate();
    let mut tx = store.begin().await.unwrap();
    ferry_store::users::insert(
        &mut tx,
        &NewUser {
            id: &id,
            login,
            name: login,
            role: Role::User,
            password_hash: "x",
            quota_bytes: quota,
            company_id: None,
            now: 1,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn users_logins_and_lockout(store: &Store) {
    let id = add_user(store, "Alice@Example.com", None).await;
    let mut c = store.conn().await.unwrap();
    let found = ferry_store::users::by_login(&mut c, "alice@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    assert!(!found.is_disabled() && !found.is_admin());
    let dup = ferry_store::users::insert(
        &mut c,
        &NewUser {
            id: "usr_other",
            login: "ALICE@example.com",
            name: "",
            role: Role::User,
            password_hash: "x",
            quota_bytes: None,
            company_id: None,
            now: 1,
        },
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Conflict)));

    // Failures lock out the address that made them, not the account's other addresses.
    for attempt in 1..=3 {
        let locked =
            ferry_store::login_failures::record(&mut c, &id, "192.0.2.1", 3, 5_000, attempt)
                .await
                .unwrap();
        assert_eq!(locked, attempt == 3, "attempt {attempt}");
        let failures = ferry_store::users::record_failed_login(&mut c, &id)
            .await
            .unwrap();
        assert_eq!(failures, attempt);
    }
    ferry_store::users::note_lock(&mut c, &id, 5_000)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::login_failures::locked_until(&mut c, &id, "192.0.2.1", 4_999)
            .await
            .unwrap(),
        Some(5_000)
    );
    assert_eq!(
        ferry_store::login_failures::locked_until(&mut c, &id, "192.0.2.1", 5_000)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        ferry_store::login_failures::locked_until(&mut c, &id, "198.51.100.7", 10)
            .await
            .unwrap(),
        None
    );
    // An ended lock starts a fresh count.
    assert!(
        !ferry_store::login_failures::record(&mut c, &id, "192.0.2.1", 3, 9_000, 5_001)
            .await
            .unwrap()
    );
    assert_eq!(
        ferry_store::login_failures::locked_until(&mut c, &id, "192.0.2.1", 5_002)
            .await
            .unwrap(),
        None
    );
    let u = ferry_store::users::get(&mut c, &id).await.unwrap().unwrap();
    assert!(u.is_locked(4_999) && !u.is_locked(5_000));
    ferry_store::users::clear_lock(&mut c, &id, 2)
        .await
        .unwrap();
    let u = ferry_store::users::get(&mut c, &id).await.unwrap().unwrap();
    assert_eq!((u.failed_logins, u.locked_until), (0, None));

    let changes = UserChanges {
        disabled: Some(true),
        quota_bytes: Some(Some(10)),
        role: Some(Role::Admin),
        ..Default::default()
    };
    let u = ferry_store::users::update(&mut c, &id, &changes, 3)
        .await
        .unwrap()
        .unwrap();
    assert!(u.is_disabled() && u.is_admin());
    assert_eq!(u.quota_bytes, Some(10));
    assert!(
        ferry_store::users::update(&mut c, "usr_missing", &changes, 3)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(ferry_store::users::count(&mut c).await.unwrap(), 1);
}

async fn quota_reservations_never_overshoot(store: &Store) {
    let id = add_user(store, "bob", Some(1000)).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let ok = ferry_store::users::reserve_quota(&mut tx, &id, 100)
                .await
                .unwrap()
                .is_ok();
            tx.commit().await.unwrap();
            ok
        }));
    }
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.unwrap());
    }
    assert_eq!(granted, 10);
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        ferry_store::users::get(&mut c, &id)
            .await
            .unwrap()
            .unwrap()
            .used_bytes,
        1000
    );
    ferry_store::users::release_quota(&mut c, &id, 5000)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::users::get(&mut c, &id)
            .await
            .unwrap()
            .unwrap()
            .used_bytes,
        0
    );
}

async fn folders_are_unique_per_owner_and_page_by_name(store: &Store) {
    let alice = add_user(store, "alice", None).await;
    let bob = add_user(store, "bob", None).await;
    let mut c = store.conn().await.unwrap();
    for (owner, name) in [(&alice, "b"), (&alice, "a"), (&alice, "c"), (&bob, "a")] {
        let id = ferry_core::IdKind::Folder.generate();
        ferry_store::folders::insert(
            &mut c,
            &NewFolder {
                id: &id,
                owner_id: owner,
                parent_id: None,
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
    }
    let dup = ferry_store::folders::insert(
        &mut c,
        &NewFolder {
            id: "fld_dup",
            owner_id: &alice,
            parent_id: None,
            // Unique without regard to case.
            name: "A",
            description: "",
            visibility: "private",
            retention_days: 0,
            expires_at: None,
            now: 1,
        },
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Conflict)));
    let first = ferry_store::folders::list_top(&mut c, Some(&alice), None, 2)
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(first[0].owner_login, "alice");
    let last = &first[1];
    let rest =
        ferry_store::folders::list_top(&mut c, Some(&alice), Some((&last.name, &last.id)), 2)
            .await
            .unwrap();
    assert_eq!(
        rest.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["c"]
    );
    assert_eq!(
        ferry_store::folders::list_top(&mut c, None, None, 10)
            .await
            .unwrap()
            .len(),
        4
    );
}

const IN_FLD_1: ferry_store::folders::Namespace<'static> =
    ferry_store::folders::Namespace::In { folder_id: "fld_1" };

async fn files_blobs_and_reference_counts(store: &Store) {
    let owner = add_user(store, "carol", None).await;
    let mut c = store.conn().await.unwrap();
    ferry_store::folders::insert(
        &mut c,
        &NewFolder {
            id: "fld_1",
            owner_id: &owner,
            parent_id: None,
            name: "f",
            description: "",
            visibility: "private",
            retention_days: 0,
            expires_at: None,
            now: 1,
        },
    )
    .await
    .unwrap();
    let sha = "ab".repeat(32);
    let mut ids = Vec::new();
    for (name, expires_at) in [("one", None), ("two", Some(50)), ("three", None)] {
        let mut tx = store.begin().await.unwrap();
        ferry_store::folders::lock(&mut tx, IN_FLD_1).await.unwrap();
        ferry_store::files::reference_blob(&mut tx, &sha, 4, 1)
            .await
            .unwrap();
        let id = ferry_core::IdKind::File.generate();
        ferry_store::files::insert(
            &mut tx,
            &NewFile {
                id: &id,
                folder_id: "fld_1",
                owner_id: &owner,
                name,
                size: 4,
                sha256: &sha,
                mime_type: "x",
                expires_at,
                client_modified_at: None,
                created_by: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ids.push(id);
    }
    assert!(
        ferry_store::folders::name_in_use(&mut c, IN_FLD_1, "One", None)
            .await
            .unwrap()
    );
    let dup = ferry_store::files::insert(
        &mut c,
        &NewFile {
            id: "fil_dup",
            folder_id: "fld_1",
            owner_id: &owner,
            name: "ONE",
            size: 4,
            sha256: &sha,
            mime_type: "x",
            expires_at: None,
            client_modified_at: None,
            created_by: None,
            now: 1,
        },
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Conflict)));

    ferry_store::files::hold(&mut c, &ids[2], 1_000, 2)
        .await
        .unwrap();
    // A held file frees its name.
    assert!(
        !ferry_store::folders::name_in_use(&mut c, IN_FLD_1, "three", None)
            .await
            .unwrap()
    );
    let live = ferry_store::files::list_live(&mut c, "fld_1", 100, Default::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(
        live.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["one"],
        "held and expired are hidden"
    );
    assert_eq!(
        ferry_store::folders::used_bytes_of(&mut c, &["fld_1"])
            .await
            .unwrap()["fld_1"],
        12
    );

    for (i, id) in ids.iter().enumerate() {
        assert!(
            ferry_store::files::claim_unreferenced_blobs(&mut c, i64::MAX, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let file = ferry_store::files::get(&mut c, id).await.unwrap().unwrap();
        assert!(ferry_store::files::remove(&mut c, &file, 10).await.unwrap());
        assert!(
            !ferry_store::files::remove(&mut c, &file, 10).await.unwrap(),
            "second remove is a no-op"
        );
        let _ = i;
    }
    assert!(
        ferry_store::files::claim_unreferenced_blobs(&mut c, 10, 10)
            .await
            .unwrap()
            .is_empty(),
        "not yet past cutoff"
    );
    assert_eq!(
        ferry_store::files::claim_unreferenced_blobs(&mut c, 11, 10)
            .await
            .unwrap(),
        vec![sha]
    );
}

async fn audit_is_append_only_and_searchable(store: &Store) {
    let mut c = store.conn().await.unwrap();
    for (i, action) in [
        "auth.login",
        "folder.created",
        "auth.login_failed",
        "auth.login",
    ]
    .iter()
    .enumerate()
    {
        ferry_store::audit::append(
            &mut c,
            &NewEvent {
                id: format!("evt_{i}"),
                time: 100 + i as i64,
                actor_id: Some(if i % 2 == 0 { "usr_a" } else { "usr_b" }.into()),
                action: action.to_string(),
                target_type: "user".into(),
                target_id: "usr_a".into(),
                outcome: if *action == "auth.login_failed" {
                    "failure"
                } else {
                    "success"
                }
                .into(),
                details: serde_json::json!({"i": i}),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let all = ferry_store::audit::search(&mut c, &Filter::default(), 10)
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["evt_3", "evt_2", "evt_1", "evt_0"]
    );
    let logins = Filter {
        actions: vec!["auth.login".into(), "auth.login_failed".into()],
        actor_id: Some("usr_a".into()),
        ..Default::default()
    };
    let got = ferry_store::audit::search(&mut c, &logins, 10)
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["evt_2", "evt_0"]
    );
    let failures = Filter {
        outcome: Some("failure".into()),
        from: Some(101),
        to: Some(103),
        ..Default::default()
    };
    assert_eq!(
        ferry_store::audit::search(&mut c, &failures, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let page2 = Filter {
        before_seq: Some(all[1].seq),
        ..Default::default()
    };
    assert_eq!(
        ferry_store::audit::search(&mut c, &page2, 10)
            .await
            .unwrap()
            .len(),
        2
    );

    assert!(
        sqlx::query("UPDATE audit_events SET action = 'x'")
            .execute(&mut *c)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_events")
            .execute(&mut *c)
            .await
            .is_err()
    );
    assert_eq!(
        ferry_store::audit::search(&mut c, &Filter::default(), 10)
            .await
            .unwrap()
            .len(),
        4
    );
}

async fn tokens_find_and_revoke(store: &Store) {
    use ferry_core::{TokenKind, TokenScopes};
    use ferry_store::tokens::NewToken;
    let uid = add_user(store, "dave", None).await;
    let mut c = store.conn().await.unwrap();
    let session = NewToken {
        id: "tok_1",
        token_hash: "hash1",
        user_id: &uid,
        kind: TokenKind::Session,
        name: None,
        scopes: TokenScopes::FULL,
        folder_id: None,
        expires_at: Some(1_000),
    };
    ferry_store::tokens::insert(&mut c, &session, 1)
        .await
        .unwrap();
    let device = NewToken {
        id: "tok_2",
        token_hash: "hash2",
        kind: TokenKind::Device,
        name: Some("phone"),
        scopes: TokenScopes::from_names(["read"]).unwrap(),
        expires_at: None,
        ..session
    };
    ferry_store::tokens::insert(&mut c, &device, 2)
        .await
        .unwrap();
    let (tok, user) = ferry_store::tokens::find(&mut c, "hash1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tok.id.as_str(), tok.expires_at, user.login.as_str()),
        ("tok_1", Some(1_000), "dave")
    );
    let (dev, _) = ferry_store::tokens::find(&mut c, "hash2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            dev.kind,
            dev.name.as_deref(),
            dev.scopes.names(),
            dev.expires_at
        ),
        (TokenKind::Device, Some("phone"), vec!["read"], None)
    );
    assert!(
        ferry_store::tokens::find(&mut c, "nope")
            .await
            .unwrap()
            .is_none()
    );
    // Listed while live, newest last; a wipe shows until it is confirmed.
    let live = ferry_store::tokens::list_for_user(&mut c, &uid, 500)
        .await
        .unwrap();
    assert_eq!(
        live.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["tok_1", "tok_2"]
    );
    assert!(
        ferry_store::tokens::wipe(&mut c, "tok_2", 600)
            .await
            .unwrap()
    );
    ferry_store::tokens::touch(&mut c, "tok_2", 601, Some("10.0.0.1"))
        .await
        .unwrap();
    let wiped = ferry_store::tokens::get(&mut c, "tok_2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            wiped.wiped_at,
            wiped.last_used_at,
            wiped.last_used_ip.as_deref()
        ),
        (Some(600), Some(601), Some("10.0.0.1"))
    );
    ferry_store::tokens::confirm_wipe(&mut c, "tok_2", 700)
        .await
        .unwrap();
    let confirmed = ferry_store::tokens::get(&mut c, "tok_2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (confirmed.wipe_confirmed_at, confirmed.revoked_at),
        (Some(700), Some(700))
    );
    assert!(
        !ferry_store::tokens::wipe(&mut c, "tok_2", 800)
            .await
            .unwrap()
    );
    ferry_store::tokens::revoke(&mut c, "tok_1", 5)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::tokens::find(&mut c, "hash1")
            .await
            .unwrap()
            .unwrap()
            .0
            .revoked_at,
        Some(5)
    );
    // Expired and revoked ones go; a device token that never expires stays until revoked
    // (this one was, by its wipe).
    assert_eq!(
        ferry_store::tokens::delete_expired(&mut c, 2_000)
            .await
            .unwrap(),
        2
    );
}

async fn the_audit_chain_verifies_and_names_a_tampered_row(store: &Store) {
    let mut c = store.conn().await.unwrap();
    for i in 0..5 {
        ferry_store::audit::append(
            &mut c,
            &NewEvent {
                id: format!("evt_{i}"),
                time: i,
                action: "auth.login".into(),
                target_type: "user".into(),
                target_id: "usr_a".into(),
                outcome: "success".into(),
                details: serde_json::json!({"n": i}),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let ok = ferry_store::audit::verify(&mut c, 2).await.unwrap();
    assert_eq!((ok.checked, ok.broken), (5, None));
    // Someone with database access disables the guard and edits history.
    let drop_guard = match store.backend() {
        ferry_store::Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
        ferry_store::Backend::Postgres => "DROP TRIGGER audit_events_no_change ON audit_events",
    };
    sqlx::query(drop_guard).execute(&mut *c).await.unwrap();
    sqlx::query("UPDATE audit_events SET details = '{\"n\":99}' WHERE id = 'evt_3'")
        .execute(&mut *c)
        .await
        .unwrap();
    let broken = ferry_store::audit::verify(&mut c, 2).await.unwrap();
    assert_eq!(broken.broken.map(|(_, id)| id), Some("evt_3".to_string()));
    assert_eq!(broken.checked, 4);
}
