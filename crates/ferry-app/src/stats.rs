//! Installation-wide figures for the metrics (`/metrics`).

use crate::error::Result;
use crate::state::AppState;

pub use ferry_store::stats::Totals;

/// What is stored, who can log in and what is in flight, across every node.
pub async fn totals(app: &AppState) -> Result<Totals> {
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::stats::totals(&mut conn).await?)
}
