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
    /// Only `private` for now.
    #[serde(default)]
    #[schema(pattern = "^private$")]
    pub visibility: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub visibility: String,
    pub retention_days: i64,
    pub owner: Owner,
    /// What the caller may do here: `read`, `write`, `share`, `manage`.
    pub permissions: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Only with `include_quota=true`: the owner's limit and this folder's use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderList {
    pub folders: Vec<Folder>,
    pub next_cursor: Option<String>,
}
