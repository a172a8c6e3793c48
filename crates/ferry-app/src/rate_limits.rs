//! Rate-limit buckets every node shares. On PostgreSQL several nodes may serve one
//! installation behind a load balancer, and a limit each node keeps in its own memory would
//! let an address make N times as many guesses through N nodes; so the limit on secret
//! guessing is taken from the database there ([`ferry_store::rate_buckets`], one statement per
//! guess). SQLite has one node: its limits stay in the node's memory (the HTTP door's).

use ferry_store::Backend;
pub use ferry_store::rate_buckets::{Rule, Taken};

use crate::error::Result;
use crate::state::AppState;

/// Whether this installation's limits must be kept where every node sees them.
pub fn shared(app: &AppState) -> bool {
    app.store.backend() == Backend::Postgres
}

/// Takes one request from the shared bucket `bucket` of `scope` (`per_minute` requests a
/// minute, as many at once when it is full).
pub async fn take(app: &AppState, scope: &str, bucket: &str, per_minute: u32) -> Result<Taken> {
    let nonce = hex::encode(ferry_core::ids::random_bytes::<16>());
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::rate_buckets::take(
        &mut conn,
        scope,
        bucket,
        Rule::per_minute(per_minute),
        app.now_ms(),
        &nonce,
    )
    .await?)
}
