//! API and device tokens (`/me/tokens`, `/users/{id}/tokens`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /me/tokens`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateToken {
    /// 1 to 100 characters, e.g. the script or the device it is for.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// `api` (for scripts) or `device` (never expires until revoked; can be wiped remotely).
    #[schema(pattern = "^(api|device)$")]
    pub kind: String,
    /// Any of `read` (requests that change nothing), `write` (requests that do), `admin`
    /// (the user's admin role; without it an admin's token acts as a plain user).
    #[schema(min_items = 1)]
    pub scopes: Vec<String>,
    /// Restricts the token to this folder (`fld_…`, one the caller can read) and what is
    /// below it: it sees nothing else, through every door; calls that are not about a folder
    /// or file answer `403 insufficient_scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    /// RFC 3339; unset: the token works until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: String,
    /// `session` (a login's), `api` or `device`.
    pub kind: String,
    pub name: Option<String>,
    pub scopes: Vec<String>,
    pub folder_id: Option<String>,
    pub created_at: String,
    /// `null`: until revoked.
    pub expires_at: Option<String>,
    /// To the minute.
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    /// When a remote wipe was ordered (the device has not confirmed it yet).
    pub wiped_at: Option<String>,
    /// Whether this is the token of the request that listed it.
    pub current: bool,
}

/// `POST /me/tokens` → `201`: the token with its secret, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub token: Token,
    /// The bearer token itself; only its hash is stored.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<Token>,
}
