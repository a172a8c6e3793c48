//! Notices: what a user should hear about.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A notice (`ntc_…`). `kind`: `invitation` (data: `collaboration_id`, `folder_id`,
/// `folder_name`, `role`, `invited_by`, `message`), `invitation.accepted` and
/// `invitation.declined` (data: `collaboration_id`, `folder_id`, `folder_name`, `role`, `by`),
/// `comment.mention` and `comment.assigned` (data: `comment_id`, `file_id`, `file_name`,
/// `author`, `excerpt`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    pub id: String,
    pub kind: String,
    pub created_at: String,
    pub read: bool,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoticeList {
    pub notices: Vec<Notice>,
    pub next_cursor: Option<String>,
}
