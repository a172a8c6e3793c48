//! Shared rate-limit buckets (GCRA): a burst passes, the next request waits one interval,
//! concurrent takes are each counted once, and full buckets are forgotten. Also the upgrade
//! from schema 45, which had no such table.

use ferry_core::Role;
use ferry_store::Store;
use ferry_store::rate_buckets::{self, Rule, Taken};
use ferry_store::testdb::TestSchema;
use ferry_store::users::NewUser;

use super::{postgres, sqlite};

conformance!(
    a_bucket_lets_its_burst_through_then_one_per_interval,
    concurrent_takes_count_once
);

async fn take(store: &Store, bucket: &str, rule: Rule, now: i64, nonce: &str) -> Taken {
    let mut c = store.conn().await.unwrap();
    rate_buckets::take(&mut c, "auth", bucket, rule, now, nonce)
        .await
        .unwrap()
}

async fn a_bucket_lets_its_burst_through_then_one_per_interval(store: &Store) {
    // 3 a minute: one every 20 s, 3 at once.
    let rule = Rule::per_minute(3);
    let t0 = 1_000_000;
    for (i, remaining) in [2, 1, 0].into_iter().enumerate() {
        let taken = take(store, "192.0.2.1", rule, t0, &format!("n{i}")).await;
        assert_eq!(
            taken,
            Taken {
                allowed: true,
                remaining,
                wait_ms: 20_000 * (i as i64 + 1),
            }
        );
    }
    let refused = take(store, "192.0.2.1", rule, t0 + 1_000, "n3").await;
    assert_eq!(
        refused,
        Taken {
            allowed: false,
            remaining: 0,
            wait_ms: 19_000,
        }
    );
    // Another bucket, and another scope, are their own.
    assert!(take(store, "192.0.2.2", rule, t0, "m0").await.allowed);
    let mut c = store.conn().await.unwrap();
    assert!(
        rate_buckets::take(&mut c, "other", "192.0.2.1", rule, t0, "o0")
            .await
            .unwrap()
            .allowed
    );
    // One interval later, one more passes; then it is refused again.
    assert!(
        take(store, "192.0.2.1", rule, t0 + 20_000, "n4")
            .await
            .allowed
    );
    assert!(
        !take(store, "192.0.2.1", rule, t0 + 20_000, "n5")
            .await
            .allowed
    );
    // A bucket is forgotten only once it is full again.
    assert_eq!(
        rate_buckets::forget_full(&mut c, t0 + 60_000)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        rate_buckets::forget_full(&mut c, t0 + 80_001)
            .await
            .unwrap(),
        1
    );
    let fresh = take(store, "192.0.2.1", rule, t0 + 80_001, "n6").await;
    assert_eq!((fresh.allowed, fresh.remaining), (true, 2));
}

/// Twelve requests at the same moment on their own connections, for a burst of five: exactly
/// five pass, whatever the interleaving.
async fn concurrent_takes_count_once(store: &Store) {
    let rule = Rule::per_minute(5);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                take(&store, "198.51.100.7", rule, 5_000, &format!("c{i}")).await
            })
        })
        .collect();
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.unwrap().allowed);
    }
    assert_eq!(allowed, 5);
}

/// Schema 45 holding data upgrades to 46: the data stays, and buckets can be taken.
async fn upgrade_from_45(url: &str, backend: &str) {
    crate::upgrade::migrate_up_to(url, backend, 45).await;
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        ferry_store::users::insert(
            &mut conn,
            &NewUser {
                id: "usr_before",
                login: "before",
                name: "Before",
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
        ferry_store::users::by_login(&mut c, "before")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        rate_buckets::take(&mut c, "auth", "k", Rule::per_minute(1), 1, "u")
            .await
            .unwrap()
            .allowed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_45_upgrades_to_rate_buckets_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    upgrade_from_45(&Store::sqlite_url_in(dir.path()), "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(ferry_pg_tests),
    ignore = "set FERRY_TEST_DATABASE_URL when building the tests"
)]
async fn schema_45_upgrades_to_rate_buckets_postgres() {
    let schema = TestSchema::create()
        .await
        .expect("FERRY_TEST_DATABASE_URL was set when the tests were built, not now");
    upgrade_from_45(schema.url(), "postgres").await;
}
