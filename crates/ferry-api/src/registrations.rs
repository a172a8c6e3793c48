//! Self-registration: signing up, confirming the address, and the sign-ups admins decide.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::UserSummary;

/// `POST /auth/register`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// The e-mail address to sign up with; it becomes the login, and the confirmation link
    /// is mailed there.
    pub login: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /auth/register/confirm`: the token from the mailed link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisterConfirm {
    pub token: String,
}

/// What a confirmation did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegistrationConfirmed {
    /// `active`: the account exists and can sign in; `pending`: it waits for an admin.
    pub status: String,
    /// The account (`active` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserSummary>,
}

/// A sign-up, as admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Registration {
    /// `reg_…`
    pub id: String,
    pub login: String,
    pub name: String,
    /// `unconfirmed` (the mail is out), `pending` (confirmed, waiting for an admin),
    /// `approved` or `denied`.
    pub status: String,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    /// The admin who decided (none when the server approved it itself, in `open` mode).
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// The account made of it.
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegistrationList {
    pub registrations: Vec<Registration>,
}
