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
    /// 8..=256 characters: downloads need it (`POST /links/{token}/unlock` first). Stored as
    /// an Argon2id hash only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 256)]
    pub password: Option<String>,
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
    /// Downloads need the link's password (a link access token).
    #[serde(default)]
    pub password_required: bool,
}

/// `GET /links/{token}/info`: what a landing page needs; no password needed, nothing counted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkInfo {
    /// `file` (folder and upload links come later).
    #[serde(rename = "type")]
    pub kind: String,
    /// The file's name.
    pub name: String,
    /// The size of what a download delivers (the linked version's).
    pub size: i64,
    pub expires_at: String,
    /// Whole downloads left; null when unlimited.
    pub downloads_left: Option<i64>,
    pub password_required: bool,
    pub watermark: bool,
}

/// `POST /links/{token}/unlock`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnlockLink {
    pub password: String,
}

/// A link access token: send it as `X-Link-Access` with `GET /d/{token}` (browsers get the
/// `ferry_link_access` cookie). Valid for this link only, until `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkAccess {
    pub link_access_token: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct LinkList {
    pub links: Vec<Link>,
    /// The cursor of the next page; null at the end.
    #[serde(default)]
    pub next_cursor: Option<String>,
}
