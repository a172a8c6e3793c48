//! Folders: creating, showing and listing them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::{Owner, Quota};

/// `POST /folders`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateFolder {
    /// 1..=255 bytes of UTF-8; no `/`, `\`, control or invisible formatting characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub name: String,
    /// 0..=3650. 0 deletes files at once; N holds deleted files for N days.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub retention_days: Option<i64>,
    /// `private` (default), or `company` for a top-level folder of a company member: listed in
    /// the company's directory (`GET /directory`), whose members may ask for access.
    #[serde(default)]
    #[schema(pattern = "^(private|company)$")]
    pub visibility: Option<String>,
    /// Makes a subfolder of this folder (needs `write` there); without it a top-level folder.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// At most 4096 bytes.
    #[serde(default)]
    #[schema(max_length = 4096)]
    pub description: Option<String>,
    /// Top-level folders only: when the folder and everything in it expire (RFC 3339, in the
    /// future): then `410 folder_expired`, and purged soon after. Subfolders share their
    /// top-level folder's.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// `PATCH /folders/{id}`: what to change (absent fields stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateFolder {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4096)]
    pub description: Option<String>,
    /// Needs `manage`; at least the rule inherited from above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 3650)]
    pub retention_days: Option<i64>,
    /// Top-level folders only (`manage`): a new expiry (RFC 3339, in the future) or `null`
    /// for none.
    #[serde(
        default,
        deserialize_with = "crate::patch::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Option<String>>,
    /// `manage`: what the folder's subtree may hold (bytes of its live files, every version),
    /// whoever uploads (`413 folder_size_limit` beyond it), or `null` for no limit.
    #[serde(
        default,
        deserialize_with = "crate::patch::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub size_limit_bytes: Option<Option<i64>>,
    /// Top-level folders only (`manage`): `private`, or `company` to list the folder in the
    /// directory of its owner's company (`GET /directory`), whose members may ask for access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(private|company)$")]
    pub visibility: Option<String>,
}

/// `POST /folders/{id}/move` and `/copy`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct MoveFolder {
    /// Required: the new parent, or `null` to make the folder top-level (moves only, owner
    /// only). Absent is `400 missing_field`, so a forgotten field never moves a folder to the
    /// top level.
    #[serde(
        default,
        deserialize_with = "crate::patch::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
    /// A new name; default: the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `rename` (default: `name (1)`) or `fail` (`409 name_conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(rename|fail)$")]
    pub on_conflict: Option<String>,
    /// Check names, permissions and quota; change nothing (`200 {"ok": true}`).
    #[serde(default)]
    pub dry_run: bool,
}

/// `{"ok": true}`: a dry run found nothing in the way.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DryRun {
    pub ok: bool,
}

/// What a folder move answers with `200`: the moved folder, or for a dry run `{"ok": true}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FolderMoveResult {
    Moved(Box<Folder>),
    DryRun(DryRun),
}

/// A folder's recursive contents (`GET /folders/{id}?include=size`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderSize {
    /// Bytes of the current versions of all live files below.
    pub bytes: i64,
    pub files: i64,
    pub folders: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Folder {
    pub id: String,
    /// `null` for a top-level folder.
    pub parent_id: Option<String>,
    pub name: String,
    /// From the caller's root, e.g. `/Partner deliveries/2026`.
    pub path: String,
    pub description: String,
    /// The caller's role here: `viewer`, `uploader`, `editor`, `manager` or `owner`.
    pub role: String,
    pub visibility: String,
    pub retention_days: i64,
    pub owner: Owner,
    /// What the caller may do here: `read`, `write`, `share`, `manage`.
    pub permissions: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// When the folder's tree expires (set on its top-level folder), or `null`.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// What the folder's subtree may hold (`PATCH` with `size_limit_bytes`), or `null`.
    #[serde(default)]
    pub size_limit_bytes: Option<i64>,
    /// Only with `include_quota=true`: the owner's limit and this folder's use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// Only with `include=size`: what the folder holds, recursively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<FolderSize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderList {
    pub folders: Vec<Folder>,
    pub next_cursor: Option<String>,
}
