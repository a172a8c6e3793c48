//! Logging in: the session request and the access token it answers with.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::UserSummary;

/// `POST /auth/session`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

/// A new access token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: String,
    pub user: UserSummary,
}
