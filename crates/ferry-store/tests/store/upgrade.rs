//! Schema upgrades: a database made by an older release, holding data, is migrated by
//! `Store::connect` to the current schema without losing anything.

use std::path::Path;

use ferry_core::Role;
use ferry_store::Store;
use ferry_store::files::NewFile;
use ferry_store::folders::NewFolder;
use ferry_store::links::NewLink;
use ferry_store::testdb::TestSchema;
use ferry_store::users::NewUser;
use sqlx::Connection;

/// Databases left by earlier releases: the schema versions a test starts from (0006 is the
/// last release's; 0007 adds the upload listing's indexes, 0008 the link probe allowance).
const EARLIER_SCHEMAS: [u32; 2] = [6, 7];

/// Applies the migrations up to `last` (copied into a directory of their own) to `url`.
async fn migrate_up_to(url: &str, backend: &str, last: u32) {
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
            now: 1,
        },
    )
    .await
    .unwrap();
    ferry_store::folders::insert(
        c,
        &NewFolder {
            id: "fld_old",
            owner_id: "usr_old",
            name: "kept",
            visibility: "private",
            retention_days: 0,
            now: 1,
        },
    )
    .await
    .unwrap();
    let sha = "cd".repeat(32);
    ferry_store::files::reference_blob(c, &sha, 1000, 1)
        .await
        .unwrap();
    ferry_store::files::insert(
        c,
        &NewFile {
            id: "fil_old",
            folder_id: "fld_old",
            owner_id: "usr_old",
            name: "a.bin",
            size: 1000,
            sha256: &sha,
            mime_type: "application/octet-stream",
            expires_at: None,
            now: 1,
        },
    )
    .await
    .unwrap();
    ferry_store::links::insert(
        c,
        &NewLink {
            id: "lnk_00000000000000000000000a",
            file_id: "fil_old",
            creator_id: "usr_old",
            expires_at: i64::MAX,
            max_downloads: Some(2),
            unit_bytes: 1000,
            watermark: false,
            now: 1,
        },
    )
    .await
    .unwrap();
    ferry_store::links::record_interruption(c, "lnk_00000000000000000000000a", "client", 0, 400, 1)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

async fn check_upgraded(store: &Store) {
    let mut c = store.conn().await.unwrap();
    let link = ferry_store::links::get(&mut c, "lnk_00000000000000000000000a")
        .await
        .unwrap()
        .expect("the link survived");
    assert_eq!(
        (link.file_id.as_str(), link.max_downloads),
        ("fil_old", Some(2))
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
