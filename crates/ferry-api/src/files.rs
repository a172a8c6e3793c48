//! Files: a published file, its retention state, and file listings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::Owner;

/// Where a file stands in its lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Retention {
    /// `active` or `held`.
    pub state: String,
    pub held_until: Option<String>,
    /// When the file's `ttl` ends, if it has one.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct File {
    pub id: String,
    pub folder_id: String,
    pub name: String,
    pub size: i64,
    pub checksum_sha256: String,
    pub mime_type: String,
    pub version: i64,
    pub owner: Owner,
    pub created_at: String,
    pub updated_at: String,
    pub retention: Retention,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileList {
    pub files: Vec<File>,
    pub next_cursor: Option<String>,
}
