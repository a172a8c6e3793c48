//! A fresh PostgreSQL schema per test, for this crate's conformance suite and the server's API
//! tests (the `test-support` feature; never in a normal build).
//!
//! Every PostgreSQL test gets a schema of its own, with a random name, in the database at
//! `FERRY_TEST_DATABASE_URL`, and connects with `search_path` set to it: tests run in parallel
//! against one database without seeing each other's rows, migrations run from scratch in each,
//! and the schema is dropped (with everything in it) when the test is done.
//!
//! Whether the PostgreSQL variants run at all is decided when the tests are built (each test
//! crate's `build.rs` sets `cfg(ferry_pg_tests)`); this module only reads the variable at run time.

use sqlx::Connection;

/// The variable naming the PostgreSQL database the tests use, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const DATABASE_URL_VAR: &str = "FERRY_TEST_DATABASE_URL";

/// A schema created for one test in the database at [`DATABASE_URL_VAR`]; dropped, with
/// everything in it, when this value is dropped.
#[derive(Debug)]
pub struct TestSchema {
    /// The database's URL as given, to drop the schema over a connection of its own.
    base: String,
    name: String,
    url: String,
}

impl TestSchema {
    /// Creates a schema with a random name; `None` when [`DATABASE_URL_VAR`] is unset or empty.
    ///
    /// # Panics
    /// When the database cannot be reached or refuses the schema: a test that asked for
    /// PostgreSQL cannot run without it.
    pub async fn create() -> Option<TestSchema> {
        let base = std::env::var(DATABASE_URL_VAR)
            .ok()
            .filter(|v| !v.is_empty())?;
        let name = format!("test_{}", hex::encode(ferry_core::ids::random_bytes::<8>()));
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .expect("connect to PostgreSQL at FERRY_TEST_DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        // `options` is passed to the server at connection time, so every connection of a pool
        // made from this URL starts in the schema, with nothing to run after connecting.
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Some(TestSchema { base, name, url })
    }

    /// The database URL whose connections use this schema: for `Store::connect` or the
    /// server's `database.url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The schema's name (`test_<random hex>`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let base = std::mem::take(&mut self.base);
        let name = std::mem::take(&mut self.name);
        // Drop cannot await, and blocking on a runtime inside the test's runtime panics: drop
        // the schema from a thread with a runtime of its own, and wait for it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
