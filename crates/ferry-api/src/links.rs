//! Download links: creating, showing and listing them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /files/{id}/download-link`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateLink {
    /// Seconds until the link expires: 1..=`links.max_expires_in_secs` (default 900).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub expires_in: Option<i64>,
    /// 1..=10000, or null/absent for unlimited.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    pub max_downloads: Option<i64>,
    /// Images only: deliver a copy with a visible mark naming the link.
    #[serde(default)]
    pub watermark: Option<bool>,
}

/// A download link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Link {
    pub id: String,
    /// Absolute, signed URL; anyone holding it can download (no login).
    pub url: String,
    pub expires_at: String,
    pub max_downloads: Option<i64>,
    /// `ceil(bytes_delivered / size)`.
    pub downloads_used: i64,
    pub bytes_delivered: i64,
    pub watermark: bool,
    pub created_at: String,
    /// `active`, `expired`, `exhausted` or `revoked`.
    pub status: String,
    pub file_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct LinkList {
    pub links: Vec<Link>,
    /// The cursor of the next page; null at the end.
    #[serde(default)]
    pub next_cursor: Option<String>,
}
