//! The change feed: what changed in the files and folders a caller can read, in commit order.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One change. `kind`: `created`, `updated` (content, a new version, or metadata), `moved`
/// (also a rename; `old_path` says where it was), `deleted` (to the trash or held, or its
/// time to live ended), `restored`, `shared` and `unshared` (a folder's collaborators
/// changed). A move into what the caller can read shows as `created`, a move out of it as
/// `deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// The change's number in the feed: increasing, in commit order.
    pub seq: i64,
    pub time: String,
    pub kind: String,
    /// `file` or `folder`.
    #[serde(rename = "type")]
    pub item_type: String,
    /// The file's or folder's id.
    pub id: String,
    /// Where the item is, from the caller's root (a share under its mount name).
    pub path: String,
    /// Where it was, for `moved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// The file's version after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// This change's position: a cursor that resumes after it (the SSE event id).
    pub cursor: String,
}

/// A page of the feed. `next_cursor` is always set: pass it back to get what comes after
/// (nothing yet is an empty page with the same position).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangeList {
    pub changes: Vec<Change>,
    pub next_cursor: String,
    /// More changes wait after `next_cursor`: ask again at once.
    pub has_more: bool,
}
