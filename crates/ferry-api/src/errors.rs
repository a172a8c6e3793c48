//! The error body every non-2xx response carries (`docs/api-contract.md`, "Errors").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every non-2xx response body (except 304).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `not_found`, `quota_exceeded`.
    pub code: String,
    /// For humans; may change between versions.
    pub message: String,
    /// The `X-Request-Id` of the failed request.
    pub request_id: String,
    /// The offending input, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Structured extra data, e.g. `missing_parts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}
