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

/// `POST /auth/password-reset`: mail a reset link to this account's address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    /// The account's login.
    pub login: String,
}

/// `POST /auth/password-reset/confirm`: the token from the mailed link and the new password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    pub token: String,
    pub new_password: String,
}
