//! Operations endpoints: health and readiness.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}
