//! The mail outbox as admins see it: what was sent, what waits, what failed (never a body).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One mail of the outbox (`eml_…`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Mail {
    pub id: String,
    /// `password_reset`, `invitation` or `link_uploaded`.
    pub kind: String,
    /// The recipient's address.
    pub to: String,
    pub subject: String,
    /// `pending`, `sending`, `retrying`, `sent` or `failed`.
    #[schema(pattern = "^(pending|sending|retrying|sent|failed)$")]
    pub status: String,
    pub attempts: i64,
    /// When the next attempt is due (while the mail waits).
    pub next_attempt_at: Option<String>,
    /// What the last failed attempt saw.
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// `GET /admin/mail`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MailList {
    pub mails: Vec<Mail>,
    pub next_cursor: Option<String>,
}
