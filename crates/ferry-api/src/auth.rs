//! Logging in: the session request and the access token it answers with.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::UserSummary;

/// `POST /auth/session`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
    /// The code from the authenticator app (or a recovery code), for an account with
    /// two-factor login; without it such an account answers `401 otp_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
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

/// `GET /me/2fa`: where the caller's two-factor login stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorStatus {
    /// Whether a login needs a code.
    pub enabled: bool,
    /// A secret was handed out and waits to be confirmed with `POST /me/2fa/confirm`.
    pub pending: bool,
    pub recovery_codes_left: i64,
}

/// `POST /me/2fa`: the secret to add to an authenticator app.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TwoFactorEnrolment {
    /// Base32 (RFC 4648), for typing into the app.
    pub secret: String,
    /// `otpauth://totp/…` with SHA-1, 6 digits and 30-second steps, for a QR code.
    pub otpauth_uri: String,
}

/// A code from the authenticator app (or, to turn two-factor login off, a recovery code).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OtpCode {
    #[schema(max_length = 64)]
    pub code: String,
}

/// `POST /me/2fa/confirm`: the recovery codes, shown this once. Each stands in for a code
/// once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// `POST /auth/login-key`: a one-time login key an admin handed out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginKeyRequest {
    #[schema(min_length = 1, max_length = 256)]
    pub key: String,
    /// The code from the authenticator app, for an account with two-factor login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<String>,
}

/// A one-time login key, shown once: whoever holds it logs in once as the user, until
/// `expires_at` (24 hours).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginKey {
    pub key: String,
    pub expires_at: String,
}
