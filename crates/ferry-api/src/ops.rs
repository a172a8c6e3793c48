//! Operations endpoints: health and readiness.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    /// `/readyz` only: what the optional helpers are doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ReadyDetails>,
}

/// What `/readyz` tells of the content features (`docs/content.md`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ReadyDetails {
    /// With scanning on: `up`, or `down: <why>` (files then stay `pending`/`error` until it
    /// answers; the node still serves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clamd: Option<String>,
    /// What thumbnails can be made of: `jpeg`, `png`, `gif`, `webp`, and `pdf` (pdftoppm)
    /// and `video` (ffmpeg) when those tools were found at start.
    #[serde(default)]
    pub thumbnails: Vec<String>,
}
