//! Schema upgrades: a database made by an older release, holding data, is migrated by
//! `Store::connect` to the current schema without losing anything.

use std::path::Path;

use ferry_core::Role;
use ferry_store::Store;
use ferry_store::testdb::TestSchema;
use ferry_store::unlock_attempts::Counted;
use ferry_store::users::NewUser;
use sqlx::Connection;

/// Databases left by earlier releases: the schema versions a test starts from (0006 is the
/// last release's; 0007 adds the upload listing's indexes, 0008 the link probe allowance,
/// 0009 the namespace: tree, versions, trash; 0010 the search indexes).
const EARLIER_SCHEMAS: [u32; 3] = [6, 7, 8];

/// Applies the migrations up to `last` (copied into a directory of their own) to `url`.
pub(crate) async fn migrate_up_to(url: &str, backend: &str, last: u32) {
    let all = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let version: u32 = name[..4].parse().unwrap();
        if version <= last {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Fills the old schema with a user, a folder, a file, a link and an interrupted delivery,
/// through a connection of its own (the current store code writes the same columns).
async fn fill(url: &str) {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let c = &mut conn;
    ferry_store::users::insert(
        c,
        &NewUser {
            id: "usr_old",
            login: "old",
            name: "Old",
            role: Role::User,
            password_hash: "x",
            quota_bytes: None,
            company_id: None,
            now: 1,
        },
    )
    .await
    .unwrap();
    // Folders and files through SQL of the old schema's shape (today's store code writes
    // columns these schemas do not have yet). Older schemas allowed names that differ only in
    // case side by side: `kept`/`KEPT` and `a.bin`/`A.BIN`.
    for (id, name, retention) in [("fld_old", "kept", 0), ("fld_old2", "KEPT", 7)] {
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, visibility, retention_days, created_at, \
             updated_at) VALUES ($1, 'usr_old', $2, 'private', $3, 1, 1)",
        )
        .bind(id)
        .bind(name)
        .bind(retention)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    let sha = "cd".repeat(32);
    for (id, folder, name, state, held_until) in [
        ("fil_old", "fld_old", "a.bin", "active", None),
        ("fil_old2", "fld_old", "A.BIN", "active", None),
        (
            "fil_held",
            "fld_old2",
            "held.bin",
            "held",
            Some(5_000_000_000_000i64),
        ),
    ] {
        ferry_store::files::reference_blob(c, &sha, 1000, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, size, sha256, mime_type, version, \
             state, held_until, created_at, updated_at) \
             VALUES ($1, $2, 'usr_old', $3, 1000, $4, 'application/octet-stream', 1, $5, $6, 1, 2)",
        )
        .bind(id)
        .bind(folder)
        .bind(name)
        .bind(&sha)
        .bind(state)
        .bind(held_until)
        .execute(&mut *c)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE users SET used_bytes = 3000 WHERE id = 'usr_old'")
        .execute(&mut *c)
        .await
        .unwrap();
    for (n, action) in ["folder.created", "upload.completed"].iter().enumerate() {
        ferry_store::audit::append(
            c,
            &ferry_store::audit::NewEvent {
                id: format!("evt_old{n}"),
                time: 1 + n as i64,
                action: action.to_string(),
                target_type: "folder".into(),
                target_id: "fld_old".into(),
                folder_id: Some("fld_old".into()),
                outcome: "success".into(),
                details: serde_json::json!({"n": n}),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO links (id, file_id, creator_id, expires_at, max_downloads, unit_bytes, \
         watermark, created_at) VALUES ('lnk_00000000000000000000000a', 'fil_old', 'usr_old', \
         $1, 2, 1000, 0, 1)",
    )
    .bind(i64::MAX)
    .execute(&mut *c)
    .await
    .unwrap();
    ferry_store::links::record_interruption(c, "lnk_00000000000000000000000a", "client", 0, 400, 1)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn check_upgraded(store: &Store) {
    let mut c = store.conn().await.unwrap();
    // The tree: every folder is top-level; case-only twins were renamed, nothing was lost.
    let top = ferry_store::folders::list_top(&mut c, Some("usr_old"), None, 10)
        .await
        .unwrap();
    let names: Vec<_> = top.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["kept", "KEPT (1)"]);
    assert!(top.iter().all(|f| f.parent_id.is_none() && f.is_live()));
    let files = ferry_store::files::list_live(&mut c, "fld_old", 0, Default::default(), None, 10)
        .await
        .unwrap();
    let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["A (1).BIN", "a.bin"], "by name without case");
    assert!(
        ferry_store::folders::name_in_use(
            &mut c,
            ferry_store::folders::Namespace::In {
                folder_id: "fld_old"
            },
            "A.bin",
            None
        )
        .await
        .unwrap(),
        "names are now compared without case"
    );
    // Every file has its first version, holding its blob.
    let versions = ferry_store::files::versions(&mut c, "fil_old", None, 10)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].version, versions[0].size), (1, 1000));
    // The held file is a held trash item, still visible by id as held.
    let item = ferry_store::trash::get(&mut c, "fil_held")
        .await
        .unwrap()
        .expect("the held file is in the trash listing");
    assert_eq!(item.state, ferry_core::TrashState::Held);
    assert_eq!(item.held_until, Some(5_000_000_000_000));
    // Where it was when it was deleted (before the upgrade renamed its folder).
    assert_eq!(item.original_path, "/KEPT/held.bin");
    let held = ferry_store::files::get(&mut c, "fil_held")
        .await
        .unwrap()
        .unwrap();
    assert!(held.is_held());
    assert_eq!(held.trash_id.as_deref(), Some("fil_held"));
    // The search index was built over the rows that were already there.
    let query = ferry_store::search::Query {
        text: Some("bin".into()),
        owner_id: Some("usr_old".into()),
        ..Default::default()
    };
    let hits = ferry_store::search::search(&mut c, &query, None, 10)
        .await
        .unwrap();
    let mut ids: Vec<_> = hits.iter().map(|h| h.id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["fil_old", "fil_old2"],
        "the held file is not a search hit"
    );
    // The audit chain still verifies.
    let verification = ferry_store::audit::verify(&mut c, 100).await.unwrap();
    assert_eq!((verification.checked, verification.broken), (2, None));
    let link = ferry_store::links::get(&mut c, "lnk_00000000000000000000000a")
        .await
        .unwrap()
        .expect("the link survived");
    assert_eq!(
        (link.file_id.as_str(), link.max_downloads, link.version),
        ("fil_old", Some(2), 1)
    );
    // The interruption kept its meaning: resume credit, not a completed span.
    let credit =
        ferry_store::links::take_credit(&mut c, "lnk_00000000000000000000000a", "client", 100)
            .await
            .unwrap();
    assert_eq!(credit, 300);
    assert!(
        !ferry_store::links::take_probe(&mut c, "lnk_00000000000000000000000a", "client", 0, 1)
            .await
            .unwrap()
    );
    // The new columns work for new rows.
    ferry_store::links::record_completed(
        &mut c,
        "lnk_00000000000000000000000a",
        "client",
        0,
        1000,
        62,
        2,
    )
    .await
    .unwrap();
    assert!(
        ferry_store::links::take_probe(&mut c, "lnk_00000000000000000000000a", "client", 10, 50)
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::links::take_probe(&mut c, "lnk_00000000000000000000000a", "client", 10, 50)
            .await
            .unwrap(),
        "the allowance is spent"
    );
    assert!(
        ferry_store::users::by_login(&mut c, "old")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_database_upgrades_with_its_data_sqlite() {
    for last in EARLIER_SCHEMAS {
        let dir = tempfile::tempdir().unwrap();
        let url = Store::sqlite_url_in(dir.path());
        migrate_up_to(&url, "sqlite", last).await;
        fill(&url).await;
        let store = Store::connect(&url).await.unwrap();
        check_upgraded(&store).await;
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn an_older_database_upgrades_with_its_data_postgres() {
    for last in EARLIER_SCHEMAS {
        let schema = TestSchema::create()
            .await
            .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
        migrate_up_to(schema.url(), "postgres", last).await;
        fill(schema.url()).await;
        let store = Store::connect(schema.url()).await.unwrap();
        check_upgraded(&store).await;
        store.close().await;
    }
}

/// Schema 0011 (the namespace with search and favorites) to today: folders gain `expires_at`
/// (none for existing folders) and tasks can be queued and claimed.
async fn tasks_and_folder_expiry_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 11).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_old",
                login: "old",
                name: "Old",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_old', 'usr_old', 'Old', 'old', 0, 'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let folder = ferry_store::folders::get(&mut c, "fld_old")
        .await
        .unwrap()
        .expect("the folder survived");
    assert_eq!((folder.name.as_str(), folder.expires_at), ("Old", None));
    ferry_store::tasks::insert(
        &mut c,
        "tsk_1",
        ferry_core::TaskKind::TrashEmpty,
        "usr_old",
        "{}",
        3,
        10,
    )
    .await
    .unwrap();
    let claimed = ferry_store::tasks::claim(&mut c, 20, 80)
        .await
        .unwrap()
        .expect("the queued task is claimed");
    assert_eq!((claimed.id.as_str(), claimed.attempt), ("tsk_1", 1));
    assert_eq!(claimed.status, ferry_core::TaskStatus::Running);
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_11_upgrades_to_tasks_and_folder_expiry_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    tasks_and_folder_expiry_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_11_upgrades_to_tasks_and_folder_expiry_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    tasks_and_folder_expiry_upgrade(schema.url(), "postgres").await;
}

/// Schema 0012 (tasks, folder expiry) to today: groups and collaborations, over a database
/// that already holds a user and a folder.
async fn sharing_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 12).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        for (id, login) in [("usr_owner", "owner"), ("usr_guest", "guest")] {
            ferry_store::users::insert(
                &mut conn,
                &NewUser {
                    id,
                    login,
                    name: login,
                    role: Role::User,
                    password_hash: "x",
                    quota_bytes: None,
                    company_id: None,
                    now: 1,
                },
            )
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_top', 'usr_owner', 'Top', 'top', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    sqlx::query(
        "INSERT INTO groups (id, name, name_key, created_at, updated_at) \
         VALUES ('grp_1', 'Team', 'team', 1, 1)",
    )
    .execute(&mut *c)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO group_members (group_id, user_id, added_at) VALUES ('grp_1', 'usr_guest', 1)",
    )
    .execute(&mut *c)
    .await
    .unwrap();
    ferry_store::collaborations::insert(
        &mut c,
        &ferry_store::collaborations::NewCollaboration {
            id: "shr_1",
            folder_id: "fld_top",
            principal_type: ferry_store::collaborations::PrincipalType::Group,
            user_id: None,
            group_id: Some("grp_1"),
            email: None,
            role: ferry_core::FolderRole::Editor,
            status: ferry_store::collaborations::Status::Accepted,
            message: "",
            invited_by: Some(("usr_owner", "owner")),
            expires_at: None,
            now: 2,
        },
    )
    .await
    .unwrap();
    let grants = ferry_store::collaborations::grants_on(&mut c, "usr_guest", &["fld_top"], 3)
        .await
        .unwrap();
    let roles: Vec<_> = grants.iter().map(|g| g.role).collect();
    assert_eq!(roles, [ferry_core::FolderRole::Editor]);
    let folder = ferry_store::folders::get(&mut c, "fld_top")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(folder.name, "Top", "the folder survived");
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_12_upgrades_to_sharing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    sharing_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_12_upgrades_to_sharing_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    sharing_upgrade(schema.url(), "postgres").await;
}

/// Schema 0013 (sharing) to today: notices, over a database holding a user and a share.
async fn notices_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 13).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_n",
                login: "noticed",
                name: "N",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    ferry_store::notices::insert(&mut c, "ntc_1", "usr_n", "invitation", "{}", 5)
        .await
        .unwrap();
    let listed = ferry_store::notices::list(&mut c, "usr_n", true, None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        ferry_store::users::by_login(&mut c, "noticed")
            .await
            .unwrap()
            .is_some()
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_13_upgrades_to_notices_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    notices_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_13_upgrades_to_notices_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    notices_upgrade(schema.url(), "postgres").await;
}

/// Schema 0013 (sharing) to today: link passwords and the unlock limit, over a database that
/// already holds a link (it keeps working, without a password) and a delivery's interruption.
async fn link_passwords_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 13).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_top', 'usr_owner', 'Top', 'top', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let sha = "ab".repeat(32);
        ferry_store::files::reference_blob(&mut conn, &sha, 1000, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ('fil_1', 'fld_top', \
             'usr_owner', 'a.bin', 'a.bin', 1000, $1, 'application/octet-stream', 1, 'active', \
             1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO links (id, file_id, version, creator_id, expires_at, max_downloads, \
             unit_bytes, bytes_reserved, bytes_delivered, watermark, created_at) VALUES \
             ('lnk_00000000000000000000000b', 'fil_1', 1, 'usr_owner', 5000, 2, 1000, 1500, \
             1500, 0, 2)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let link = ferry_store::links::get(&mut c, "lnk_00000000000000000000000b")
        .await
        .unwrap()
        .expect("the link survived");
    assert!(!link.password_required(), "old links have no password");
    assert_eq!(
        (
            link.bytes_delivered,
            link.downloads_used(),
            link.unlock_failures
        ),
        (1500, 2, 0)
    );
    use ferry_store::links::{LinkState, ListFilter};
    assert_eq!(LinkState::of(&link, 10), LinkState::Exhausted);
    // The state filter of GET /links agrees with the state of the old link.
    for (now, state) in [(10, LinkState::Exhausted), (5000, LinkState::Expired)] {
        let filter = ListFilter {
            creator_id: Some("usr_owner"),
            company_id: None,
            folder_id: Some("fld_top"),
            state: Some(state),
            now,
        };
        let found = ferry_store::links::list(&mut c, &filter, None, 10)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{state:?}");
        assert_eq!(LinkState::of(&found[0], now), state);
        let filter = ListFilter {
            state: Some(LinkState::Active),
            ..filter
        };
        assert!(
            ferry_store::links::list(&mut c, &filter, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
    // The unlock limit counts on the old link too.
    let taken =
        ferry_store::unlock_attempts::take(&mut c, Counted::DownloadLinks, &link.id, 100, 1000, 1)
            .await
            .unwrap();
    assert_eq!(taken, Ok(100));
    let refused =
        ferry_store::unlock_attempts::take(&mut c, Counted::DownloadLinks, &link.id, 200, 1000, 1)
            .await
            .unwrap();
    assert_eq!(refused, Err(1100));
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_13_upgrades_to_link_passwords_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    link_passwords_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_13_upgrades_to_link_passwords_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    link_passwords_upgrade(schema.url(), "postgres").await;
}

/// Schema 0015 (notices) to today: comments, over a database holding a user, a folder and a
/// file; a comment (a task) is added and read back.
async fn comments_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 15).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_c",
                login: "commenter",
                name: "C",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_c', 'usr_c', 'Top', 'top', 0, 'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let sha = "ab".repeat(32);
        ferry_store::files::reference_blob(&mut conn, &sha, 10, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ('fil_c', 'fld_c', \
             'usr_c', 'a.txt', 'a.txt', 10, $1, 'text/plain', 1, 'active', 1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let file = ferry_store::files::get(&mut c, "fil_c")
        .await
        .unwrap()
        .expect("the file survived");
    assert_eq!(file.name, "a.txt");
    ferry_store::comments::insert(
        &mut c,
        &ferry_store::comments::NewComment {
            id: "cmt_1",
            file_id: "fil_c",
            author_id: "usr_c",
            author_login: "commenter",
            body: "hello\nworld",
            assignee_id: Some("usr_c"),
            now: 5,
        },
    )
    .await
    .unwrap();
    let listed = ferry_store::comments::on_file(&mut c, "fil_c", None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let comment = &listed[0];
    assert_eq!(
        (comment.body.as_str(), comment.author_login.as_str()),
        ("hello\nworld", "commenter")
    );
    assert_eq!(comment.assignee_login.as_deref(), Some("commenter"));
    assert_eq!(
        comment.task_state(),
        Some(ferry_store::comments::TaskState::Open)
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_15_upgrades_to_comments_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    comments_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_15_upgrades_to_comments_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    comments_upgrade(schema.url(), "postgres").await;
}

/// Schema 0016 (comments) to today: a user's settings, over a database holding a user.
async fn user_settings_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 16).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_s",
                login: "settled",
                name: "S",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    ferry_store::settings::put(&mut c, "usr_s", "language", "\"de\"", 5)
        .await
        .unwrap();
    ferry_store::settings::put(&mut c, "usr_s", "language", "\"fr\"", 6)
        .await
        .unwrap();
    let all = ferry_store::settings::all(&mut c, "usr_s").await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].value.as_str(), all[0].updated_at), ("\"fr\"", 6));
    assert!(
        ferry_store::users::by_login(&mut c, "settled")
            .await
            .unwrap()
            .is_some()
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_16_upgrades_to_user_settings_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    user_settings_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_16_upgrades_to_user_settings_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    user_settings_upgrade(schema.url(), "postgres").await;
}

/// Schema 0016 (comments) to today: `blobs.crc32`, over a database holding a blob. The old
/// blob has no CRC (its first archive computes it); one set later is kept, and never replaced.
async fn blob_crc_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 16).await;
    let sha = "cd".repeat(32);
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::query("INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ($1, 11, 1, 1)")
            .bind(&sha)
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let shas = [sha.clone()];
    assert!(
        ferry_store::archives::blob_crcs(&mut c, &shas)
            .await
            .unwrap()
            .is_empty(),
        "an old blob has no CRC yet"
    );
    ferry_store::archives::set_blob_crc(&mut c, &sha, 0x0d4a_1185)
        .await
        .unwrap();
    ferry_store::archives::set_blob_crc(&mut c, &sha, 1)
        .await
        .unwrap();
    let crcs = ferry_store::archives::blob_crcs(&mut c, &shas)
        .await
        .unwrap();
    assert_eq!(crcs.get(&sha), Some(&0x0d4a_1185));
    // The reference count survived the upgrade.
    let refcount: i64 = sqlx::query_scalar("SELECT refcount FROM blobs WHERE sha256 = $1")
        .bind(&sha)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(refcount, 1);
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_16_upgrades_to_blob_crcs_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    blob_crc_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_16_upgrades_to_blob_crcs_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    blob_crc_upgrade(schema.url(), "postgres").await;
}

/// Schema 0016 (comments) to today: upload links, over a database holding a download link
/// (with a password), its file and an open upload.
async fn upload_links_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 16).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_top', 'usr_owner', 'Top', 'top', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let sha = "cd".repeat(32);
        ferry_store::files::reference_blob(&mut conn, &sha, 1000, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ('fil_1', 'fld_top', \
             'usr_owner', 'a.bin', 'a.bin', 1000, $1, 'application/octet-stream', 1, 'active', \
             1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO links (id, file_id, version, creator_id, expires_at, max_downloads, \
             unit_bytes, bytes_reserved, bytes_delivered, watermark, created_at, \
             password_hash) VALUES ('lnk_00000000000000000000000c', 'fil_1', 1, 'usr_owner', \
             5000, 3, 1000, 1000, 1000, 0, 2, '$argon2id$old')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO uploads (id, creator_id, payer_id, folder_id, filename, size, \
             part_size, part_count, on_conflict, status, expires_at, created_at, updated_at) \
             VALUES ('upl_old', 'usr_owner', 'usr_owner', 'fld_top', 'b.bin', 10, 10, 1, \
             'rename', 'open', 9000, 3, 3)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    // The download link, its file and the upload survived, and came through no upload link.
    let link = ferry_store::links::get(&mut c, "lnk_00000000000000000000000c")
        .await
        .unwrap()
        .expect("the link survived");
    assert!(link.password_required());
    assert_eq!((link.bytes_delivered, link.downloads_used()), (1000, 1));
    let file = ferry_store::files::get(&mut c, "fil_1")
        .await
        .unwrap()
        .expect("the file survived");
    assert_eq!(
        (file.via_link_id, file.via_link_name, file.via_link_email),
        (None, None, None)
    );
    let upload = ferry_store::uploads::get(&mut c, "upl_old")
        .await
        .unwrap()
        .expect("the upload survived");
    assert_eq!((upload.link_id, upload.uploader_name), (None, None));
    // Upload links work on the upgraded database, next to the old download link.
    use ferry_store::upload_links::{self as ul, ListFilter, NewUploadLink};
    ul::insert(
        &mut c,
        &NewUploadLink {
            id: "lnk_00000000000000000000000d",
            folder_id: "fld_top",
            creator_id: "usr_owner",
            expires_at: 5000,
            max_files: Some(1),
            max_bytes: None,
            subfolder_per_upload: false,
            password_hash: None,
            now: 4,
        },
    )
    .await
    .unwrap();
    assert!(
        ul::reserve(&mut c, "lnk_00000000000000000000000d", 10, 100)
            .await
            .unwrap()
    );
    assert!(
        !ul::reserve(&mut c, "lnk_00000000000000000000000d", 10, 100)
            .await
            .unwrap()
    );
    ul::mark_file(
        &mut c,
        "fil_1",
        "lnk_00000000000000000000000d",
        Some("Bob"),
        None,
    )
    .await
    .unwrap();
    let file = ferry_store::files::get(&mut c, "fil_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(file.via_link_name.as_deref(), Some("Bob"));
    let filter = ListFilter {
        creator_id: Some("usr_owner"),
        company_id: None,
        folder_id: None,
        state: Some("exhausted"),
        now: 100,
    };
    let found = ul::list(&mut c, &filter, None, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(found[0].used_up());
    // The old download link is still only a download link.
    assert!(ul::get(&mut c, &link.id).await.unwrap().is_none());
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_16_upgrades_to_upload_links_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    upload_links_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_16_upgrades_to_upload_links_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    upload_links_upgrade(schema.url(), "postgres").await;
}

/// Schema 19 → 20 (folder links): old download links stay file links, listed as before;
/// folder links and the file links they make work on the upgraded database.
async fn folder_links_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 19).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_top', 'usr_owner', 'Top', 'top', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let sha = "ef".repeat(32);
        ferry_store::files::reference_blob(&mut conn, &sha, 1000, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ('fil_1', 'fld_top', \
             'usr_owner', 'a.bin', 'a.bin', 1000, $1, 'application/octet-stream', 1, 'active', \
             1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO links (id, file_id, version, creator_id, expires_at, max_downloads, \
             unit_bytes, bytes_reserved, bytes_delivered, watermark, created_at) \
             VALUES ('lnk_00000000000000000000000c', 'fil_1', 1, 'usr_owner', 5000, 3, 1000, \
             2000, 2000, 0, 2)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let old = ferry_store::links::get(&mut c, "lnk_00000000000000000000000c")
        .await
        .unwrap()
        .expect("the link survived");
    assert_eq!(old.folder_link_id, None);
    assert_eq!(old.downloads_used(), 2);
    use ferry_store::folder_links::{self as fl, CountedFile, NewFolderLink};
    fl::insert(
        &mut c,
        &NewFolderLink {
            id: "lnk_00000000000000000000000f",
            folder_id: "fld_top",
            creator_id: "usr_owner",
            expires_at: 5000,
            max_downloads: Some(1),
            password_hash: Some("$argon2id$x"),
            show_location: false,
            now: 3,
        },
    )
    .await
    .unwrap();
    let folder_link = fl::get(&mut c, "lnk_00000000000000000000000f")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (folder_link.bytes_delivered, folder_link.downloads_used),
        (0, 0)
    );
    let file = CountedFile {
        file_id: "fil_1",
        version: 1,
        size: 1000,
    };
    let made = fl::file_link(
        &mut c,
        &folder_link,
        file,
        "lnk_000000000000000000000010",
        4,
    )
    .await
    .unwrap();
    // A second first use agrees on the same row.
    let again = fl::file_link(
        &mut c,
        &folder_link,
        file,
        "lnk_000000000000000000000011",
        5,
    )
    .await
    .unwrap();
    assert_eq!(made.id, again.id);
    assert_eq!(
        made.folder_link_id.as_deref(),
        Some("lnk_00000000000000000000000f")
    );
    assert_eq!((made.unit_bytes, made.max_downloads), (1000, Some(1)));
    assert!(
        ferry_store::links::reserve(&mut c, &made.id, 1000)
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::links::reserve(&mut c, &made.id, 1)
            .await
            .unwrap()
    );
    ferry_store::links::settle(&mut c, &made.id, 1000, 1000, 6)
        .await
        .unwrap();
    let folder_link = fl::get(&mut c, &folder_link.id).await.unwrap().unwrap();
    assert_eq!(
        (folder_link.bytes_delivered, folder_link.downloads_used),
        (1000, 1)
    );
    // File links made by a folder link are not listed as links of their own.
    let filter = ferry_store::links::ListFilter {
        creator_id: Some("usr_owner"),
        now: 10,
        ..Default::default()
    };
    let listed = ferry_store::links::list(&mut c, &filter, None, 10)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        ["lnk_00000000000000000000000c"]
    );
    assert_eq!(
        ferry_store::links::for_file(&mut c, "fil_1", None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let folders = fl::ListFilter {
        creator_id: Some("usr_owner"),
        company_id: None,
        folder_id: Some("fld_top"),
        state: Some("active"),
        now: 10,
    };
    assert_eq!(fl::list(&mut c, &folders, None, 10).await.unwrap().len(), 1);
    // Wrong passwords are counted on folder links too.
    let taken = ferry_store::unlock_attempts::take(
        &mut c,
        Counted::FolderLinks,
        &folder_link.id,
        100,
        1000,
        1,
    )
    .await
    .unwrap();
    assert_eq!(taken, Ok(100));
    // Revoking the folder link revokes the file links it made.
    assert!(fl::revoke(&mut c, &folder_link.id, 20).await.unwrap());
    let made = ferry_store::links::get(&mut c, &made.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(made.revoked_at, Some(20));
    assert_eq!(
        ferry_store::links::get(&mut c, &old.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_19_upgrades_to_folder_links_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    folder_links_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_19_upgrades_to_folder_links_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    folder_links_upgrade(schema.url(), "postgres").await;
}

/// Schema 20 → 23 (folder size limits): old folders have none; a limit set afterwards sticks,
/// and `live_bytes` counts the live files' versions of the old rows.
async fn folder_size_limits_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 20).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_top', 'usr_owner', 'Top', 'top', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let sha = "ab".repeat(32);
        ferry_store::files::reference_blob(&mut conn, &sha, 700, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ('fil_1', 'fld_top', \
             'usr_owner', 'a.bin', 'a.bin', 700, $1, 'application/octet-stream', 1, 'active', \
             1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO file_versions (file_id, version, size, sha256, created_at) \
             VALUES ('fil_1', 1, 700, $1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let folder = ferry_store::folders::get(&mut c, "fld_top")
        .await
        .unwrap()
        .expect("the folder survived");
    assert_eq!(folder.size_limit_bytes, None);
    ferry_store::folders::set_size_limit(&mut c, "fld_top", Some(1000))
        .await
        .unwrap();
    let folder = ferry_store::folders::get(&mut c, "fld_top")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(folder.size_limit_bytes, Some(1000));
    assert_eq!(
        ferry_store::folders::live_bytes(&mut c, &["fld_top".to_string()])
            .await
            .unwrap(),
        700
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_20_upgrades_to_folder_size_limits_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    folder_size_limits_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_20_upgrades_to_folder_size_limits_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    folder_size_limits_upgrade(schema.url(), "postgres").await;
}

/// Schema 19 (before opaque blob keys) upgrades to 22: an old blob is found under its hash
/// (where local disk keeps it), and stays the one referenced when the same content arrives
/// under another key; an open upload and its part gain the blob store's handle and receipt.
async fn blob_keys_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 19).await;
    let sha = "ef".repeat(32);
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query("INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ($1, 7, 1, 1)")
            .bind(&sha)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO uploads (id, creator_id, payer_id, filename, size, part_size, \
             part_count, on_conflict, status, expires_at, created_at, updated_at) \
             VALUES ('upl_keys', 'usr_owner', 'usr_owner', 'b.bin', 10, 10, 1, 'rename', \
             'open', 9000, 3, 3)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO upload_parts (upload_id, part_no, size, sha256, received_at) \
             VALUES ('upl_keys', 1, 10, 'x', 4)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let files = ferry_store::files::blob_key(&mut c, &sha).await.unwrap();
    assert_eq!(
        files.as_deref(),
        Some(sha.as_str()),
        "an old blob's key is its hash"
    );
    let kept = ferry_store::files::reference_new_blob(&mut c, &sha, 7, "blobs/u-new", None, 5)
        .await
        .unwrap();
    assert_eq!(kept, sha, "the stored copy stays the referenced one");
    let fresh = "01".repeat(32);
    let key = ferry_store::files::reference_new_blob(&mut c, &fresh, 3, "blobs/s-1", Some(7), 5)
        .await
        .unwrap();
    assert_eq!(key, "blobs/s-1");
    let refcount: i64 = sqlx::query_scalar("SELECT refcount FROM blobs WHERE sha256 = $1")
        .bind(&sha)
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(refcount, 2);
    let upload = ferry_store::uploads::get(&mut c, "upl_keys")
        .await
        .unwrap()
        .expect("the upload survived");
    assert_eq!(upload.blob_session, None);
    ferry_store::uploads::set_blob_session(&mut c, "upl_keys", "{\"mpu\":\"m\"}")
        .await
        .unwrap();
    ferry_store::uploads::set_part_receipt(&mut c, "upl_keys", 1, "etag")
        .await
        .unwrap();
    let upload = ferry_store::uploads::get(&mut c, "upl_keys")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(upload.blob_session.as_deref(), Some("{\"mpu\":\"m\"}"));
    let parts = ferry_store::uploads::parts(&mut c, "upl_keys")
        .await
        .unwrap();
    assert_eq!(parts[0].blob_receipt.as_deref(), Some("etag"));
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_19_upgrades_to_blob_keys_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    blob_keys_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_19_upgrades_to_blob_keys_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    blob_keys_upgrade(schema.url(), "postgres").await;
}

/// 0025 adds companies (a user's and a group's `company_id`), the company's use counter and
/// policies: users and groups of an older database belong to no company, keep what they
/// store, and can join a company whose quota then counts them.
async fn companies_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 23).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_old",
                login: "old",
                name: "Old",
                role: Role::User,
                password_hash: "x",
                quota_bytes: Some(1000),
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query("UPDATE users SET used_bytes = 300 WHERE id = 'usr_old'")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO groups (id, name, name_key, description, created_at, updated_at) \
             VALUES ('grp_old', 'Old', 'old', '', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let user = ferry_store::users::get(&mut c, "usr_old")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.company_id.as_deref(), user.used_bytes), (None, 300));
    assert!(user.company_active(), "no company: nothing to refuse");
    let group = ferry_store::groups::get(&mut c, "grp_old")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.company_id, None);

    // A company, and the old user joining it: its use is counted from then on.
    let fields = ferry_store::companies::CompanyFields {
        name: "Acme".into(),
        status: ferry_core::CompanyStatus::Active,
        quota_bytes: Some(500),
        default_user_quota_bytes: None,
        display_name: "Acme".into(),
        logo_url: None,
        accent_color: None,
    };
    ferry_store::companies::insert(&mut c, "cmp_acme", &fields, 2)
        .await
        .unwrap();
    let changes = ferry_store::users::UserChanges {
        company_id: Some(Some("cmp_acme".into())),
        ..Default::default()
    };
    ferry_store::users::update(&mut c, "usr_old", &changes, 3)
        .await
        .unwrap();
    assert!(
        ferry_store::companies::reserve(&mut c, "cmp_acme", 300)
            .await
            .unwrap()
    );
    let refused = ferry_store::users::reserve_quota(&mut c, "usr_old", 250)
        .await
        .unwrap();
    assert_eq!(
        refused,
        Err(ferry_store::users::Refused::Company {
            limit: Some(500),
            used: 300
        })
    );
    assert!(
        ferry_store::users::reserve_quota(&mut c, "usr_old", 200)
            .await
            .unwrap()
            .is_ok()
    );
    let user = ferry_store::users::get(&mut c, "usr_old")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.used_bytes, 500, "the refused charge was taken back");
    assert_eq!(
        ferry_store::companies::usage(&mut c, "cmp_acme")
            .await
            .unwrap(),
        (Some(500), 500)
    );

    // Policies start empty and can be set on the old group.
    use ferry_store::policies::{Policy, PolicyTarget};
    let policy = Policy {
        can_download: Some(false),
        allowed_ip_ranges: Some(vec!["10.0.0.0/8".into()]),
        ..Policy::default()
    };
    ferry_store::policies::put(&mut c, PolicyTarget::Group, "grp_old", &policy, 4)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::policies::get(&mut c, PolicyTarget::Group, "grp_old")
            .await
            .unwrap(),
        Some(policy)
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_23_upgrades_to_companies_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    companies_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_23_upgrades_to_companies_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    companies_upgrade(schema.url(), "postgres").await;
}

/// Schema 23 → token kinds (0026): a session token of the old shape keeps working as a session
/// with every scope, and the table takes tokens that never expire.
async fn token_kinds_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 23).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_tok",
                login: "tok",
                name: "Tok",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO tokens (id, token_hash, user_id, created_at, expires_at, revoked_at) \
             VALUES ('tok_old', 'oldhash', 'usr_tok', 1, 9000, NULL), \
             ('tok_gone', 'gonehash', 'usr_tok', 1, 9000, 5)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let (old, user) = ferry_store::tokens::find(&mut c, "oldhash")
        .await
        .unwrap()
        .expect("the session survived");
    assert_eq!(user.id, "usr_tok");
    assert_eq!(
        (old.kind, old.scopes, old.expires_at, old.revoked_at),
        (
            ferry_core::TokenKind::Session,
            ferry_core::TokenScopes::FULL,
            Some(9000),
            None
        )
    );
    let gone = ferry_store::tokens::get(&mut c, "tok_gone")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.revoked_at, Some(5));
    ferry_store::tokens::insert(
        &mut c,
        &ferry_store::tokens::NewToken {
            id: "tok_dev",
            token_hash: "devhash",
            user_id: "usr_tok",
            kind: ferry_core::TokenKind::Device,
            name: Some("laptop"),
            scopes: ferry_core::TokenScopes::FULL,
            folder_id: None,
            expires_at: None,
        },
        10,
    )
    .await
    .unwrap();
    let live = ferry_store::tokens::list_for_user(&mut c, "usr_tok", 100)
        .await
        .unwrap();
    assert_eq!(
        live.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["tok_old", "tok_dev"]
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_23_upgrades_to_token_kinds_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    token_kinds_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_23_upgrades_to_token_kinds_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    token_kinds_upgrade(schema.url(), "postgres").await;
}

/// 0024 adds the mail outbox and password reset tokens: a database of schema 23 with a user
/// keeps them, and the user can be sent mail and reset a password at once.
async fn mail_outbox_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 23).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_mail",
                login: "mail@example.com",
                name: "Mail",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let user = ferry_store::users::by_login(&mut c, "mail@example.com")
        .await
        .unwrap()
        .expect("the user survived");
    assert_eq!(user.id, "usr_mail");
    assert_eq!(ferry_store::mail::backlog(&mut c).await.unwrap(), (0, 0));

    ferry_store::mail::enqueue(
        &mut c,
        &ferry_store::mail::NewMail {
            id: "eml_1",
            kind: "password_reset",
            recipient: &user.login,
            subject: "s",
            text_body: "t",
            html_body: "h",
            now: 10,
        },
    )
    .await
    .unwrap();
    let claimed = ferry_store::mail::claim(&mut c, 10, 100, "tok", 5)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].text_body, "t");
    assert!(
        ferry_store::mail::finish(
            &mut c,
            "eml_1",
            "tok",
            ferry_store::mail::MailOutcome::Sent,
            None,
            11
        )
        .await
        .unwrap()
    );
    assert_eq!(ferry_store::mail::backlog(&mut c).await.unwrap(), (0, 0));

    ferry_store::mail::insert_reset(&mut c, "hash", "usr_mail", 10, 1000)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::mail::last_reset_at(&mut c, "usr_mail")
            .await
            .unwrap(),
        Some(10)
    );
    let taken = ferry_store::mail::take_reset(&mut c, "hash", 20)
        .await
        .unwrap();
    assert_eq!(taken.as_deref(), Some("usr_mail"));
    assert_eq!(
        ferry_store::mail::take_reset(&mut c, "hash", 21)
            .await
            .unwrap(),
        None,
        "single use"
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_23_upgrades_to_the_mail_outbox_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    mail_outbox_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_23_upgrades_to_the_mail_outbox_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    mail_outbox_upgrade(schema.url(), "postgres").await;
}

/// 0029 adds two-factor login and the account life cycle, 0030 failed logins per address: a
/// database of schema 26 with a user and a session keeps them; the user is active, has no
/// second factor, can set one up, and an address can be locked out of the account.
async fn accounts_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 26).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_acc",
                login: "acc",
                name: "Acc",
                role: Role::User,
                password_hash: "x",
                quota_bytes: Some(1000),
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO tokens (id, token_hash, user_id, created_at, expires_at, revoked_at, kind) \
             VALUES ('tok_acc', 'acchash', 'usr_acc', 1, NULL, NULL, 'device')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let user = ferry_store::users::get(&mut c, "usr_acc")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.has_two_factor() && !user.is_deleted() && !user.is_expired(10));
    assert_eq!((user.quota_bytes, user.purge_at), (Some(1000), None));
    let (_, with_token) = ferry_store::tokens::find(&mut c, "acchash")
        .await
        .unwrap()
        .expect("the device token survived");
    assert_eq!(with_token.id, "usr_acc");

    assert!(
        ferry_store::two_factor::put_pending(&mut c, "usr_acc", "SECRET", 5)
            .await
            .unwrap()
    );
    ferry_store::two_factor::confirm(&mut c, "usr_acc", &["h1".into(), "h2".into()], 6)
        .await
        .unwrap();
    assert!(
        ferry_store::two_factor::accept_step(&mut c, "usr_acc", 7)
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::two_factor::accept_step(&mut c, "usr_acc", 7)
            .await
            .unwrap(),
        "a step is accepted once"
    );
    assert!(
        ferry_store::two_factor::use_recovery_code(&mut c, "usr_acc", "h1", 8)
            .await
            .unwrap()
    );
    assert_eq!(
        ferry_store::two_factor::recovery_codes_left(&mut c, "usr_acc")
            .await
            .unwrap(),
        1
    );
    let user = ferry_store::users::get(&mut c, "usr_acc")
        .await
        .unwrap()
        .unwrap();
    assert!(user.has_two_factor());
    let filter = ferry_store::users::UserFilter {
        status: Some(ferry_store::users::UserStatus::Active),
        now: 10,
        ..Default::default()
    };
    assert_eq!(
        ferry_store::users::count_matching(&mut c, &filter)
            .await
            .unwrap(),
        1
    );

    assert!(
        ferry_store::login_failures::record(&mut c, "usr_acc", "192.0.2.1", 1, 50, 12)
            .await
            .unwrap()
    );
    ferry_store::users::clear_lock(&mut c, "usr_acc", 13)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::login_failures::locked_until(&mut c, "usr_acc", "192.0.2.1", 14)
            .await
            .unwrap(),
        None
    );

    // The old account can be deleted, restored, deleted again and purged.
    assert!(
        ferry_store::users::schedule_deletion(&mut c, "usr_acc", 20, 30, None)
            .await
            .unwrap()
    );
    assert!(
        ferry_store::users::restore(&mut c, "usr_acc", 21)
            .await
            .unwrap()
    );
    assert!(
        ferry_store::users::schedule_deletion(&mut c, "usr_acc", 22, 30, None)
            .await
            .unwrap()
    );
    let due = ferry_store::users::due_for_purge(&mut c, 30, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    ferry_store::users::remove_belongings(&mut c, "usr_acc")
        .await
        .unwrap();
    assert!(
        ferry_store::users::mark_purged(&mut c, "usr_acc", "deleted.usr_acc", 31)
            .await
            .unwrap()
    );
    let purged = ferry_store::users::get(&mut c, "usr_acc")
        .await
        .unwrap()
        .unwrap();
    assert!(purged.is_deleted() && !purged.has_two_factor());
    assert_eq!(
        (purged.login.as_str(), purged.purge_at),
        ("deleted.usr_acc", None)
    );
    assert!(
        ferry_store::tokens::find(&mut c, "acchash")
            .await
            .unwrap()
            .is_none()
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_26_upgrades_to_accounts_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    accounts_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_26_upgrades_to_accounts_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    accounts_upgrade(schema.url(), "postgres").await;
}

/// Schema 26 → the content tables (0028): a file stored before has no scan yet; it reads as
/// such, the scan worker's discovery gives its content a `pending` row, claims it and records
/// the answer; thumbnails and media of old content start empty.
async fn content_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 26).await;
    let sha = "ab".repeat(32);
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_scan",
                login: "scan",
                name: "Scan",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, visibility, retention_days, created_at, \
             updated_at) VALUES ('fld_scan', 'usr_scan', 'in', 'private', 0, 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        ferry_store::files::reference_blob(&mut conn, &sha, 68, 1)
            .await
            .unwrap();
        ferry_store::files::insert(
            &mut conn,
            &ferry_store::files::NewFile {
                id: "fil_scan",
                folder_id: "fld_scan",
                owner_id: "usr_scan",
                name: "old.com",
                size: 68,
                sha256: &sha,
                mime_type: "application/octet-stream",
                expires_at: None,
                client_modified_at: None,
                created_by: Some(("usr_scan", "scan")),
                now: 2,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let file = ferry_store::files::get(&mut c, "fil_scan")
        .await
        .unwrap()
        .expect("the file survived");
    assert_eq!((file.scan_status(), file.scanned_at()), (None, None));
    assert_eq!(
        ferry_store::scans::discover(&mut c, true, 10)
            .await
            .unwrap(),
        1
    );
    let file = ferry_store::files::get(&mut c, "fil_scan")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(file.scan_status(), Some(ferry_core::ScanStatus::Pending));
    let claimed = ferry_store::scans::claim(&mut c, 10, 1000, "tok", 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let infected = ferry_store::scans::Outcome::Infected {
        signature: "Eicar".into(),
    };
    assert!(
        ferry_store::scans::finish(&mut c, &sha, "tok", &infected, 11)
            .await
            .unwrap()
    );
    let file = ferry_store::files::get(&mut c, "fil_scan")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (file.scan_status(), file.scan_signature(), file.scanned_at()),
        (
            Some(ferry_core::ScanStatus::Infected),
            Some("Eicar"),
            Some(11)
        )
    );
    let holders = ferry_store::scans::holders(&mut c, &sha).await.unwrap();
    assert_eq!(holders.len(), 1);
    let renditions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_renditions")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(renditions, 0);
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_26_upgrades_to_content_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    content_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_26_upgrades_to_content_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    content_upgrade(schema.url(), "postgres").await;
}

/// Schema 0026 (token kinds) to today: WebDAV's dead properties and locks (0027) arrive over a
/// database that already holds a user, a folder and a file, and take rows for them.
async fn webdav_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 26).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_dav",
                login: "dav",
                name: "Dav",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_dav', 'usr_dav', 'Docs', 'docs', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let folder = ferry_store::folders::get(&mut c, "fld_dav")
        .await
        .unwrap()
        .expect("the folder survived");
    assert_eq!(folder.name, "Docs");
    let property = ferry_store::dav::DeadProperty {
        namespace: "urn:example".into(),
        name: "colour".into(),
        xml: "<E:colour xmlns:E=\"urn:example\">blue</E:colour>".into(),
    };
    ferry_store::dav::set_property(&mut c, "fld_dav", &property, 2)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::dav::properties(&mut c, "fld_dav")
            .await
            .unwrap(),
        vec![property]
    );
    let lock = ferry_store::dav::DavLock {
        token: "urn:uuid:1".into(),
        path_key: "usr_dav:/docs".into(),
        path: "/dav/Docs/".into(),
        principal: "usr_dav".into(),
        owner_xml: None,
        timeout_secs: Some(60),
        expires_at: Some(60_002),
        shared: 0,
        deep: 1,
        created_at: 2,
    };
    ferry_store::dav::insert_lock(&mut c, &lock).await.unwrap();
    assert_eq!(
        ferry_store::dav::live_locks(&mut c, "usr_dav:", 3)
            .await
            .unwrap(),
        vec![lock.clone()]
    );
    assert!(
        ferry_store::dav::live_locks(&mut c, "usr_dav:", 60_002)
            .await
            .unwrap()
            .is_empty(),
        "an expired lock holds nothing"
    );
    ferry_store::dav::delete_locks_under(&mut c, "usr_dav:")
        .await
        .unwrap();
    assert!(
        !ferry_store::dav::delete_lock(&mut c, "urn:uuid:1")
            .await
            .unwrap()
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_26_upgrades_to_webdav_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    webdav_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_26_upgrades_to_webdav_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    webdav_upgrade(schema.url(), "postgres").await;
}

/// 0033 adds receipts being gathered: a database at schema 30, holding a user, upgrades and
/// gathers, locks, files and counts receipts.
async fn link_receipts_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 30).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_rcpt",
                login: "rcpt",
                name: "Receipts",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    assert!(
        ferry_store::users::get(&mut c, "usr_rcpt")
            .await
            .unwrap()
            .is_some(),
        "the user survived"
    );
    assert_eq!(ferry_store::link_receipts::count(&mut c).await.unwrap(), 0);
    let open = ferry_store::link_receipts::OpenReceipt {
        receipt_link_id: "lnk_old".into(),
        file_id: "fil_old".into(),
        client_key: "k".into(),
        link_id: "lnk_old".into(),
        folder_id: "fld_old".into(),
        file_size: 100,
        spans: "[[0,40]]".into(),
        bytes: 40,
        requests: 1,
        ip: Some("192.0.2.1".into()),
        user_agent: None,
        request_id: "req_1".into(),
        first_at: 10,
        last_at: 10,
    };
    ferry_store::link_receipts::put(&mut c, &open)
        .await
        .unwrap();
    let grown = ferry_store::link_receipts::OpenReceipt {
        spans: "[[0,70]]".into(),
        bytes: 70,
        requests: 2,
        last_at: 20,
        ..open.clone()
    };
    ferry_store::link_receipts::put(&mut c, &grown)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::link_receipts::get_for_update(&mut c, "lnk_old", "fil_old", "k")
            .await
            .unwrap(),
        Some(grown.clone())
    );
    assert!(
        ferry_store::link_receipts::take_quiet(&mut c, 20, 10)
            .await
            .unwrap()
            .is_empty(),
        "a receipt added to at 20 is not quiet since 20"
    );
    assert_eq!(
        ferry_store::link_receipts::take_quiet(&mut c, 21, 10)
            .await
            .unwrap(),
        vec![grown]
    );
    assert_eq!(ferry_store::link_receipts::count(&mut c).await.unwrap(), 0);
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_30_upgrades_to_link_receipts_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    link_receipts_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_30_upgrades_to_link_receipts_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    link_receipts_upgrade(schema.url(), "postgres").await;
}

/// 0034 adds extra logins: a database at schema 33 holding a user upgrades, and the user
/// is found by an extra login in any case until its belongings are removed.
async fn user_logins_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 33).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_many",
                login: "many",
                name: "Many",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    assert!(
        ferry_store::user_logins::taken(&mut c, "MANY")
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::user_logins::taken(&mut c, "many@example.com")
            .await
            .unwrap()
    );
    ferry_store::user_logins::add(&mut c, "usr_many", "Many@Example.com", 2)
        .await
        .unwrap();
    let found = ferry_store::users::by_login(&mut c, "many@example.COM")
        .await
        .unwrap()
        .expect("found by the extra login");
    assert_eq!(found.id, "usr_many");
    assert_eq!(
        ferry_store::user_logins::of_user(&mut c, "usr_many")
            .await
            .unwrap()
            .len(),
        1
    );
    ferry_store::users::remove_belongings(&mut c, "usr_many")
        .await
        .unwrap();
    assert!(
        ferry_store::users::by_login(&mut c, "many@example.com")
            .await
            .unwrap()
            .is_none()
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_33_upgrades_to_user_logins_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    user_logins_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_33_upgrades_to_user_logins_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    user_logins_upgrade(schema.url(), "postgres").await;
}

/// 0035 adds the support tools: a database at schema 34 holding a user and a session
/// upgrades; the session gains no impersonator, a new one can name one, and login keys are
/// used once.
async fn support_tools_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 34).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        for (id, login) in [("usr_help", "help"), ("usr_root", "root")] {
            ferry_store::users::insert(
                &mut conn,
                &NewUser {
                    id,
                    login,
                    name: login,
                    role: Role::User,
                    password_hash: "x",
                    quota_bytes: None,
                    company_id: None,
                    now: 1,
                },
            )
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO tokens (id, token_hash, user_id, kind, scopes, created_at, expires_at) \
             VALUES ('tok_old', 'hash-old', 'usr_help', 'session', 'read write admin', 1, 99999)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let (old, _) = ferry_store::tokens::find(&mut c, "hash-old")
        .await
        .unwrap()
        .expect("the session survived");
    assert_eq!(old.impersonator_id, None);
    ferry_store::tokens::set_impersonator(&mut c, "tok_old", "usr_root")
        .await
        .unwrap();
    let (marked, _) = ferry_store::tokens::find(&mut c, "hash-old")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marked.impersonator_id.as_deref(), Some("usr_root"));
    ferry_store::login_keys::insert(&mut c, "key-hash", "usr_help", "usr_root", 10, 100)
        .await
        .unwrap();
    assert_eq!(
        ferry_store::login_keys::take(&mut c, "key-hash", 100)
            .await
            .unwrap(),
        None,
        "expired at 100"
    );
    assert_eq!(
        ferry_store::login_keys::take(&mut c, "key-hash", 50)
            .await
            .unwrap(),
        Some(("usr_help".to_string(), "usr_root".to_string()))
    );
    assert_eq!(
        ferry_store::login_keys::take(&mut c, "key-hash", 51)
            .await
            .unwrap(),
        None,
        "used once"
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_34_upgrades_to_support_tools_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    support_tools_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_34_upgrades_to_support_tools_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    support_tools_upgrade(schema.url(), "postgres").await;
}

/// 0036 adds quota requests: a database at schema 35 holding a user upgrades; one pending
/// request per user, decided once.
async fn quota_requests_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 35).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        for (id, login) in [("usr_asks", "asks"), ("usr_boss", "boss")] {
            ferry_store::users::insert(
                &mut conn,
                &NewUser {
                    id,
                    login,
                    name: login,
                    role: Role::User,
                    password_hash: "x",
                    quota_bytes: Some(10),
                    company_id: None,
                    now: 1,
                },
            )
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let ask = |id: &'static str| ferry_store::quota_requests::NewQuotaRequest {
        id,
        user_id: "usr_asks",
        quota_bytes: 20,
        previous_quota_bytes: Some(10),
        message: "more",
        now: 2,
    };
    ferry_store::quota_requests::insert(&mut c, &ask("qrq_1"))
        .await
        .unwrap();
    assert!(matches!(
        ferry_store::quota_requests::insert(&mut c, &ask("qrq_2")).await,
        Err(ferry_store::StoreError::Conflict)
    ));
    assert!(
        ferry_store::quota_requests::decide(&mut c, "qrq_1", "approved", "usr_boss", None, 3)
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::quota_requests::decide(&mut c, "qrq_1", "denied", "usr_boss", None, 4)
            .await
            .unwrap()
    );
    ferry_store::quota_requests::insert(&mut c, &ask("qrq_2"))
        .await
        .unwrap();
    let listed = ferry_store::quota_requests::list(&mut c, Some("usr_asks"), None, None, 10)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(),
        vec!["pending", "approved"]
    );
    assert_eq!(listed[1].user_login, "asks");
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_35_upgrades_to_quota_requests_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    quota_requests_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_35_upgrades_to_quota_requests_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    quota_requests_upgrade(schema.url(), "postgres").await;
}

/// Migration 0040 (self-registration): a database holding users gets the sign-ups table; a
/// confirmation token works once and before it expires, a decision is a claim that forgets
/// the password hash, and expired unconfirmed sign-ups are pruned.
async fn registrations_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 36).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_boss",
                login: "boss",
                name: "boss",
                role: Role::Admin,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    use ferry_store::registrations::{self as reg, NewRegistration};
    let sign_up = |id: &'static str, token_hash: &'static str, expires_at: i64| NewRegistration {
        id,
        login: "new@example.com",
        name: "New",
        password_hash: "argon2-hash",
        token_hash,
        now: 2,
        expires_at,
    };
    reg::insert(&mut c, &sign_up("reg_1", "hash-1", 100))
        .await
        .unwrap();
    let open = reg::open_for_login(&mut c, "NEW@example.com", 3)
        .await
        .unwrap()
        .expect("an open sign-up");
    assert_eq!(
        (open.id.as_str(), open.status.as_str()),
        ("reg_1", "unconfirmed")
    );
    let confirmed = reg::confirm(&mut c, "hash-1", 3).await.unwrap().unwrap();
    assert_eq!(confirmed.status, "pending");
    assert!(reg::confirm(&mut c, "hash-1", 4).await.unwrap().is_none());
    assert!(
        reg::decide(
            &mut c,
            "reg_1",
            "approved",
            Some("usr_boss"),
            Some("usr_boss"),
            5
        )
        .await
        .unwrap()
    );
    assert!(
        !reg::decide(&mut c, "reg_1", "denied", Some("usr_boss"), None, 6)
            .await
            .unwrap()
    );
    let decided = reg::get(&mut c, "reg_1").await.unwrap().unwrap();
    assert_eq!(
        (
            decided.status.as_str(),
            decided.password_hash.as_str(),
            decided.user_id.as_deref()
        ),
        ("approved", "", Some("usr_boss"))
    );
    reg::insert(&mut c, &sign_up("reg_2", "hash-2", 7))
        .await
        .unwrap();
    assert!(reg::confirm(&mut c, "hash-2", 8).await.unwrap().is_none());
    assert_eq!(reg::prune(&mut c, 10).await.unwrap(), 1);
    assert_eq!(reg::list(&mut c, None, 10).await.unwrap().len(), 1);
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_36_upgrades_to_registrations_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    registrations_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_36_upgrades_to_registrations_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    registrations_upgrade(schema.url(), "postgres").await;
}

/// Migration 0032 (scrubbing): blobs stored before it have never been checked, so they are due
/// one interval after they were stored; a claim stamps them, and unreferenced blobs are never
/// claimed (but still known, so fsck does not call them orphans).
async fn scrub_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 31).await;
    let a = "a".repeat(64);
    let b = "b".repeat(64);
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        for (sha, refcount) in [(&a, 1), (&b, 0)] {
            sqlx::query(
                "INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ($1, 7, $2, 1000)",
            )
            .bind(sha.as_str())
            .bind(refcount)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(
        ferry_store::scrub::claim_due(&mut tx, 999, 5000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due before its interval"
    );
    let claimed = ferry_store::scrub::claim_due(&mut tx, 1000, 5000, 10)
        .await
        .unwrap();
    assert_eq!(
        claimed,
        vec![ferry_store::scrub::BlobCheck {
            sha256: a.clone(),
            key: a.clone(),
            size: 7
        }]
    );
    assert!(
        ferry_store::scrub::claim_due(&mut tx, 4999, 6000, 10)
            .await
            .unwrap()
            .is_empty(),
        "checked at 5000: not due again before 5000 + interval"
    );
    assert_eq!(
        ferry_store::scrub::claim_due(&mut tx, 5000, 7000, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let referenced = ferry_store::scrub::referenced(&mut tx).await.unwrap();
    assert_eq!(referenced.len(), 1);
    let mut known = ferry_store::scrub::known_keys(&mut tx).await.unwrap();
    known.sort();
    assert_eq!(known, vec![a.clone(), b.clone()]);
    tx.commit().await.unwrap();
    assert!(store.schema_version().await.unwrap() >= 32);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_31_upgrades_to_scrubbing_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    scrub_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_31_upgrades_to_scrubbing_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    scrub_upgrade(schema.url(), "postgres").await;
}

/// 0031 adds the change feed: a database of schema 30 holding a folder gains an empty feed
/// that starts at 0, numbers the first change 1, and keeps what was there.
async fn change_feed_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 30).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_feed",
                login: "feed",
                name: "Feed",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_feed', 'usr_feed', 'Docs', 'docs', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let folder = ferry_store::folders::get(&mut c, "fld_feed")
        .await
        .unwrap()
        .expect("the folder survived");
    assert_eq!(folder.name, "Docs");
    assert_eq!(
        ferry_store::changes::position(&mut c).await.unwrap(),
        ferry_store::changes::Position {
            last_seq: 0,
            pruned_through: 0
        }
    );
    let change = ferry_store::changes::NewChange {
        time: 5,
        kind: "created".into(),
        item_type: "folder".into(),
        item_id: "fld_feed".into(),
        owner_id: "usr_feed".into(),
        chain: ferry_store::changes::chain_of(["fld_feed"]),
        path: "/Docs".into(),
        ..Default::default()
    };
    assert_eq!(
        ferry_store::changes::append(&mut c, &change).await.unwrap(),
        Some(1)
    );
    let scope = ferry_store::changes::Scope {
        user_id: Some("usr_feed".into()),
        ..Default::default()
    };
    let listed = ferry_store::changes::list(&mut c, &scope, 0, 1, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, "/Docs");
    let stranger = ferry_store::changes::Scope {
        user_id: Some("usr_other".into()),
        shared_roots: vec!["fld_elsewhere".into()],
        ..Default::default()
    };
    assert!(
        ferry_store::changes::list(&mut c, &stranger, 0, 1, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let shared = ferry_store::changes::Scope {
        user_id: Some("usr_other".into()),
        shared_roots: vec!["fld_feed".into()],
        ..Default::default()
    };
    assert_eq!(
        ferry_store::changes::list(&mut c, &shared, 0, 1, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(ferry_store::changes::prune(&mut c, 6).await.unwrap(), 1);
    assert_eq!(
        ferry_store::changes::position(&mut c).await.unwrap(),
        ferry_store::changes::Position {
            last_seq: 1,
            pruned_through: 1
        }
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_30_upgrades_to_the_change_feed_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    change_feed_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_30_upgrades_to_the_change_feed_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    change_feed_upgrade(schema.url(), "postgres").await;
}

/// 0037 adds company visibility's access requests: a database at schema 36 holding a
/// company's folder shown to the company upgrades; the folder is in the company's directory,
/// one pending request per folder and member, decided once.
async fn access_requests_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 36).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::query(
            "INSERT INTO companies (id, name, name_key, display_name, created_at, updated_at) \
             VALUES ('cmp_acme', 'Acme', 'acme', 'Acme', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        for (id, login) in [("usr_owns", "owns"), ("usr_asks", "asks")] {
            ferry_store::users::insert(
                &mut conn,
                &NewUser {
                    id,
                    login,
                    name: login,
                    role: Role::User,
                    password_hash: "x",
                    quota_bytes: None,
                    company_id: Some("cmp_acme"),
                    now: 1,
                },
            )
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_shown', 'usr_owns', 'Handbook', 'handbook', 0, \
             'company', 1, 1), ('fld_kept', 'usr_owns', 'Private', 'private', 0, 'private', 2, 2)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let listed = ferry_store::access_requests::directory(&mut c, "cmp_acme", "usr_asks", None, 10)
        .await
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|l| l.folder.id.as_str())
            .collect::<Vec<_>>(),
        vec!["fld_shown"]
    );
    assert_eq!(listed[0].pending_request_id, None);
    let ask = |id: &'static str| ferry_store::access_requests::NewAccessRequest {
        id,
        folder_id: "fld_shown",
        user_id: "usr_asks",
        role: "viewer",
        message: "please",
        now: 3,
    };
    ferry_store::access_requests::insert(&mut c, &ask("acr_1"))
        .await
        .unwrap();
    assert!(matches!(
        ferry_store::access_requests::insert(&mut c, &ask("acr_2")).await,
        Err(ferry_store::StoreError::Conflict)
    ));
    let listed = ferry_store::access_requests::directory(&mut c, "cmp_acme", "usr_asks", None, 10)
        .await
        .unwrap();
    assert_eq!(listed[0].pending_request_id.as_deref(), Some("acr_1"));
    assert!(
        ferry_store::access_requests::decide(&mut c, "acr_1", "approved", "editor", "usr_owns", 4)
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::access_requests::decide(&mut c, "acr_1", "denied", "viewer", "usr_owns", 5)
            .await
            .unwrap()
    );
    let decided = ferry_store::access_requests::get(&mut c, "acr_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            decided.status.as_str(),
            decided.role.as_str(),
            decided.folder_name.as_str()
        ),
        ("approved", "editor", "Handbook")
    );
    ferry_store::access_requests::insert(&mut c, &ask("acr_2"))
        .await
        .unwrap();
    let on_folder =
        ferry_store::access_requests::on_folder(&mut c, "fld_shown", Some("pending"), None, 10)
            .await
            .unwrap();
    assert_eq!(on_folder.len(), 1);
    assert_eq!(on_folder[0].user_login, "asks");
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_36_upgrades_to_access_requests_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    access_requests_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_36_upgrades_to_access_requests_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    access_requests_upgrade(schema.url(), "postgres").await;
}

/// 0041 adds profile pictures and company logos: a database at schema 40 holding a company
/// and its user upgrades with neither a picture nor a logo; both can then be set, read,
/// replaced and removed, and go with a purged account or a deleted company.
async fn pictures_upgrade(url: &str, backend: &str) {
    use ferry_store::pictures::{self, Owner};
    migrate_up_to(url, backend, 40).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        sqlx::query(
            "INSERT INTO companies (id, name, name_key, display_name, created_at, updated_at) \
             VALUES ('cmp_acme', 'Acme', 'acme', 'Acme', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_pic",
                login: "pic",
                name: "Pic",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: Some("cmp_acme"),
                now: 1,
            },
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let user = ferry_store::users::get(&mut c, "usr_pic")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.login.as_str(), user.picture_version), ("pic", None));
    let company = ferry_store::companies::get(&mut c, "cmp_acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(company.logo_version, None);
    let bytes: Vec<u8> = (0..=255).collect();
    let variants = [
        ("original", "image/webp", &bytes[..]),
        ("64", "image/webp", &bytes[..10]),
    ];
    assert!(
        pictures::replace(&mut c, Owner::User("usr_pic"), "v1", &variants, 2)
            .await
            .unwrap()
    );
    assert!(
        !pictures::replace(&mut c, Owner::User("usr_gone"), "v1", &variants, 2)
            .await
            .unwrap()
    );
    let got = pictures::get(&mut c, "usr_pic", "original")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.mime_type.as_str(), got.bytes),
        ("image/webp", bytes.clone())
    );
    // A replacement keeps only its own variants.
    pictures::replace(
        &mut c,
        Owner::User("usr_pic"),
        "v2",
        &[("original", "image/webp", b"new".as_slice())],
        3,
    )
    .await
    .unwrap();
    assert!(
        pictures::get(&mut c, "usr_pic", "64")
            .await
            .unwrap()
            .is_none()
    );
    let user = ferry_store::users::get(&mut c, "usr_pic")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.picture_version.as_deref(), Some("v2"));
    pictures::replace(&mut c, Owner::Company("cmp_acme"), "l1", &variants, 4)
        .await
        .unwrap();
    let company = ferry_store::companies::get(&mut c, "cmp_acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(company.logo_version.as_deref(), Some("l1"));
    // Removing says whether there was one.
    assert!(
        pictures::remove(&mut c, Owner::Company("cmp_acme"), 5)
            .await
            .unwrap()
    );
    assert!(
        !pictures::remove(&mut c, Owner::Company("cmp_acme"), 5)
            .await
            .unwrap()
    );
    assert!(
        pictures::get(&mut c, "cmp_acme", "original")
            .await
            .unwrap()
            .is_none()
    );
    // A purged account leaves no picture behind.
    ferry_store::users::remove_belongings(&mut c, "usr_pic")
        .await
        .unwrap();
    let user = ferry_store::users::get(&mut c, "usr_pic")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.picture_version, None);
    assert!(
        pictures::get(&mut c, "usr_pic", "original")
            .await
            .unwrap()
            .is_none()
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_40_upgrades_to_pictures_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    pictures_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_40_upgrades_to_pictures_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    pictures_upgrade(schema.url(), "postgres").await;
}

/// Schema 41 → 42: download and folder links made before `show_location` keep hiding GPS
/// positions from their recipients (the column defaults to 0), and it can be turned on.
async fn link_locations_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 41).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folders (id, owner_id, name, name_key, retention_days, visibility, \
             created_at, updated_at) VALUES ('fld_trip', 'usr_owner', 'Trip', 'trip', 0, \
             'private', 1, 1)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        let sha = "ab".repeat(32);
        ferry_store::files::reference_blob(&mut conn, &sha, 1000, 1)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO files (id, folder_id, owner_id, name, name_key, size, sha256, \
             mime_type, version, state, created_at, updated_at) VALUES ('fil_photo', \
             'fld_trip', 'usr_owner', 'a.jpg', 'a.jpg', 1000, $1, 'image/jpeg', 1, 'active', \
             1, 1)",
        )
        .bind(&sha)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO links (id, file_id, version, creator_id, expires_at, max_downloads, \
             unit_bytes, watermark, created_at) VALUES ('lnk_000000000000000000000042', \
             'fil_photo', 1, 'usr_owner', 5000, 3, 1000, 0, 2)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO folder_links (id, folder_id, creator_id, expires_at, max_downloads, \
             created_at) VALUES ('lnk_000000000000000000000043', 'fld_trip', 'usr_owner', \
             5000, NULL, 2)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    let (file_link, folder_link) = (
        "lnk_000000000000000000000042",
        "lnk_000000000000000000000043",
    );
    let link = ferry_store::links::get(&mut c, file_link)
        .await
        .unwrap()
        .expect("the link survived");
    assert_eq!((link.max_downloads, link.show_location()), (Some(3), false));
    let fl = ferry_store::folder_links::get(&mut c, folder_link)
        .await
        .unwrap()
        .expect("the folder link survived");
    assert_eq!(
        (fl.folder_id.as_str(), fl.show_location()),
        ("fld_trip", false)
    );
    assert!(
        ferry_store::links::set_show_location(&mut c, file_link, true)
            .await
            .unwrap()
    );
    assert!(
        ferry_store::folder_links::set_show_location(&mut c, folder_link, true)
            .await
            .unwrap()
    );
    assert!(
        !ferry_store::links::set_show_location(&mut c, "lnk_none", true)
            .await
            .unwrap()
    );
    let link = ferry_store::links::get(&mut c, file_link)
        .await
        .unwrap()
        .unwrap();
    let fl = ferry_store::folder_links::get(&mut c, folder_link)
        .await
        .unwrap()
        .unwrap();
    assert!(link.show_location() && fl.show_location());
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_41_upgrades_to_link_locations_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    link_locations_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_41_upgrades_to_link_locations_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    link_locations_upgrade(schema.url(), "postgres").await;
}

/// 0045: the multipart upload records start empty next to the data already there; a sweep
/// claims old records no open session refers to, and fsck's key look-up sees old blobs
/// (stored before keys existed, by SHA-256) and keyed ones alike.
async fn multipart_uploads_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 42).await;
    let (legacy, keyed) = ("cd".repeat(32), "ef".repeat(32));
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        sqlx::query("INSERT INTO blobs (sha256, size, refcount, created_at) VALUES ($1, 7, 1, 1)")
            .bind(&legacy)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO blobs (sha256, size, refcount, created_at, storage_key) \
             VALUES ($1, 7, 1, 1, 'blobs/s-keyed')",
        )
        .bind(&keyed)
        .execute(&mut conn)
        .await
        .unwrap();
        for (id, status) in [("upl_open", "open"), ("upl_done", "completed")] {
            sqlx::query(
                "INSERT INTO uploads (id, creator_id, payer_id, filename, size, part_size, \
                 part_count, on_conflict, status, expires_at, created_at, updated_at, \
                 blob_session) VALUES ($1, 'usr_owner', 'usr_owner', 'b.bin', 10, 10, 1, \
                 'rename', $2, 9000, 3, 3, '{\"mpu\":\"m\"}')",
            )
            .bind(id)
            .bind(status)
            .execute(&mut conn)
            .await
            .unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    use ferry_store::multipart_uploads as mpu;
    assert_eq!(mpu::all(&mut c).await.unwrap(), vec![]);
    for (id, key, session, at) in [
        ("mpu-open", "blobs/u-upl_open", Some("upl_open"), 10),
        ("mpu-done", "blobs/u-upl_done", Some("upl_done"), 10),
        ("mpu-gone", "blobs/u-upl_gone", Some("upl_gone"), 10),
        ("mpu-simple", "blobs/s-x", None, 10),
        ("mpu-young", "blobs/s-y", None, 500),
    ] {
        mpu::record(&mut c, id, key, session, at).await.unwrap();
    }
    // Recorded twice (a retry): one record.
    mpu::record(&mut c, "mpu-simple", "blobs/s-x", None, 11)
        .await
        .unwrap();
    assert_eq!(mpu::all(&mut c).await.unwrap().len(), 5);
    let mut claimed: Vec<String> = mpu::claim_abandoned(&mut c, 100, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id)
        .collect();
    claimed.sort();
    assert_eq!(claimed, ["mpu-done", "mpu-gone", "mpu-simple"]);
    mpu::forget(&mut c, "blobs/s-y", "mpu-young").await.unwrap();
    let left: Vec<String> = mpu::all(&mut c)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.upload_id)
        .collect();
    assert_eq!(left, ["mpu-open"]);

    let mut known = ferry_store::scrub::known_among(
        &mut c,
        &[
            legacy.clone(),
            keyed.clone(),
            "blobs/s-keyed".into(),
            "blobs/s-unknown".into(),
        ],
    )
    .await
    .unwrap();
    known.sort();
    assert_eq!(known, vec!["blobs/s-keyed".to_string(), legacy.clone()]);
    let mut open = ferry_store::uploads::unfinished_ids(&mut c).await.unwrap();
    open.sort();
    assert_eq!(open, ["upl_open"]);
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_42_upgrades_to_multipart_upload_records_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    multipart_uploads_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_42_upgrades_to_multipart_upload_records_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    multipart_uploads_upgrade(schema.url(), "postgres").await;
}

/// Schema 49 (the tree's generation): an existing tree gets generation 0, and every change to
/// a folder's place, name or owner, and every deletion, bumps it in the changing statement's
/// transaction, while what uploads write on a folder (its revision) does not.
async fn tree_generation_upgrade(url: &str, backend: &str) {
    migrate_up_to(url, backend, 48).await;
    {
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_owner",
                login: "owner",
                name: "Owner",
                role: Role::User,
                password_hash: "x",
                quota_bytes: None,
                company_id: None,
                now: 1,
            },
        )
        .await
        .unwrap();
        for (id, parent) in [
            ("fld_top", None),
            ("fld_mid", Some("fld_top")),
            ("fld_low", Some("fld_mid")),
            ("fld_else", None),
        ] {
            ferry_store::folders::insert(
                &mut conn,
                &ferry_store::folders::NewFolder {
                    id,
                    owner_id: "usr_owner",
                    parent_id: parent,
                    name: id,
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
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    use ferry_store::collaborations::{chain_with_grants, folder_with_grants};

    let read = chain_with_grants(&mut c, "fld_low", 81, "usr_owner", 1)
        .await
        .unwrap();
    let ids: Vec<&str> = read.chain.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["fld_top", "fld_mid", "fld_low"]);
    assert_eq!(read.generation, 0);
    async fn generation(c: &mut ferry_store::Conn) -> i64 {
        let chain = ["fld_top", "fld_mid", "fld_low"];
        let read =
            ferry_store::collaborations::folder_with_grants(c, "fld_low", &chain, "usr_owner", 1);
        read.await.unwrap().unwrap().generation
    }
    assert_eq!(generation(&mut c).await, 0);
    let mut expected = 0;
    for (change, bumps) in [
        (
            "UPDATE folders SET revision = revision + 1 WHERE id = 'fld_mid'",
            false,
        ),
        (
            "UPDATE folders SET name = 'mid2' WHERE id = 'fld_mid'",
            true,
        ),
        (
            "UPDATE folders SET parent_id = 'fld_else' WHERE id = 'fld_mid'",
            true,
        ),
        (
            "UPDATE folders SET trash_id = 'fld_mid' WHERE id = 'fld_mid'",
            true,
        ),
        (
            "UPDATE folders SET owner_id = 'usr_owner' WHERE id = 'fld_top'",
            true,
        ),
        (
            "DELETE FROM folders WHERE id = 'fld_else' AND parent_id IS NOT NULL",
            false,
        ),
    ] {
        sqlx::query(change).execute(&mut *c).await.unwrap();
        expected += i64::from(bumps);
        let now = generation(&mut c).await;
        if backend == "sqlite" || bumps {
            assert_eq!(now, expected, "{change}");
        } else {
            // PostgreSQL counts a statement that matched nothing too (it bumps before it runs).
            assert!(now >= expected, "{change}");
            expected = now;
        }
    }
    sqlx::query("UPDATE folders SET parent_id = NULL WHERE id = 'fld_low'")
        .execute(&mut *c)
        .await
        .unwrap();
    sqlx::query("DELETE FROM folders WHERE id = 'fld_low'")
        .execute(&mut *c)
        .await
        .unwrap();
    assert_eq!(
        folder_with_grants(&mut c, "fld_top", &["fld_top"], "usr_owner", 1)
            .await
            .unwrap()
            .unwrap()
            .generation,
        expected + 2
    );
    drop(c);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_49_upgrades_to_a_tree_generation_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path());
    tree_generation_upgrade(&url, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_49_upgrades_to_a_tree_generation_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    tree_generation_upgrade(schema.url(), "postgres").await;
}
