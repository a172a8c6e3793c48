//! Sets `cfg(ferry_pg_tests)` when `FERRY_TEST_DATABASE_URL` is set at build time, so the
//! PostgreSQL variants of the tests are reported as ignored, not as passed, without it.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(ferry_pg_tests)");
    println!("cargo::rerun-if-env-changed=FERRY_TEST_DATABASE_URL");
    if std::env::var_os("FERRY_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=ferry_pg_tests");
    }
}
