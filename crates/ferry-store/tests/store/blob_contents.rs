//! Small files kept in the database: their content goes in with the blob row, is read back
//! by hash, and goes with the row when the collector claims it. Also the upgrade from schema
//! 46, which had no such table.

use ferry_store::Store;
use ferry_store::blob_contents::{self, inline_key, inline_sha256};
use ferry_store::files;
use ferry_store::testdb::TestSchema;

use super::{postgres, sqlite};

conformance!(inline_content_goes_with_its_blob_row);

const SHA_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const SHA_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// Stores `content` as the inline blob `sha` with one reference, as an upload does.
async fn store_inline(store: &Store, sha: &str, content: &[u8]) {
    let mut tx = store.begin().await.unwrap();
    let key = inline_key(sha);
    let stored = files::reference_new_blob(&mut tx, sha, content.len() as i64, &key, None, 1)
        .await
        .unwrap();
    assert_eq!(stored, key);
    blob_contents::insert(&mut tx, sha, content).await.unwrap();
    tx.commit().await.unwrap();
}

async fn inline_content_goes_with_its_blob_row(store: &Store) {
    assert_eq!(inline_sha256(&inline_key(SHA_A)), Some(SHA_A));
    assert_eq!(inline_sha256(SHA_A), None);
    // Every byte value survives the round trip, on both backends.
    let all: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    store_inline(store, SHA_A, &all).await;
    store_inline(store, SHA_B, b"").await;
    let mut c = store.conn().await.unwrap();
    assert_eq!(blob_contents::get(&mut c, SHA_A).await.unwrap(), Some(all));
    assert_eq!(
        blob_contents::get(&mut c, SHA_B).await.unwrap(),
        Some(Vec::new())
    );
    assert_eq!(
        files::blob_key(&mut c, SHA_A).await.unwrap(),
        Some(inline_key(SHA_A))
    );
    // A second insert of the same content keeps the first.
    blob_contents::insert(&mut c, SHA_A, b"other")
        .await
        .unwrap();
    assert_eq!(
        blob_contents::get(&mut c, SHA_A)
            .await
            .unwrap()
            .unwrap()
            .len(),
        4096
    );

    // A backup finds them in its copy of the database, not in the blob store.
    assert!(store.referenced_blobs().await.unwrap().is_empty());

    // Unreferenced, claimed: the content goes in the same transaction; the other stays.
    files::unreference_blob(&mut c, SHA_A, 2).await.unwrap();
    drop(c);
    let mut tx = store.begin().await.unwrap();
    let claimed = files::claim_unreferenced_blobs(&mut tx, 10, 100)
        .await
        .unwrap();
    assert_eq!(claimed, vec![inline_key(SHA_A)]);
    tx.commit().await.unwrap();
    let mut c = store.conn().await.unwrap();
    assert_eq!(blob_contents::get(&mut c, SHA_A).await.unwrap(), None);
    assert_eq!(
        blob_contents::get(&mut c, SHA_B).await.unwrap(),
        Some(Vec::new())
    );
}

/// Schema 46 holding a blob upgrades to 47: the blob keeps its key and stays in the backup's
/// list, and contents can be kept.
async fn upgrade_from_46(url: &str, backend: &str) {
    crate::upgrade::migrate_up_to(url, backend, 46).await;
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        files::reference_new_blob(&mut conn, SHA_A, 10, SHA_A, Some(7), 1)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let store = Store::connect(url).await.unwrap();
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        files::blob_key(&mut c, SHA_A).await.unwrap().as_deref(),
        Some(SHA_A)
    );
    drop(c);
    let listed = store.referenced_blobs().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, SHA_A);
    store_inline(&store, SHA_B, b"small").await;
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        blob_contents::get(&mut c, SHA_B).await.unwrap().as_deref(),
        Some(&b"small"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_46_upgrades_to_blob_contents_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    upgrade_from_46(&Store::sqlite_url_in(dir.path()), "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_46_upgrades_to_blob_contents_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    upgrade_from_46(schema.url(), "postgres").await;
}
