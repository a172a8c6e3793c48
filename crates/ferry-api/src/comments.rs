//! Comments on files, and tasks (comments with an assignee).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user as a comment names them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommentUser {
    pub id: String,
    pub login: String,
}

/// What makes a comment a task: who it is for, and `open` or `done`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommentTask {
    pub assignee: CommentUser,
    /// `open` or `done`.
    #[schema(pattern = "^(open|done)$")]
    pub status: String,
}

/// A comment (`cmt_…`) on a file; `task` is `null` for a plain comment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Comment {
    pub id: String,
    pub file_id: String,
    pub author: CommentUser,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    pub task: Option<CommentTask>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommentList {
    pub comments: Vec<Comment>,
    pub next_cursor: Option<String>,
}

/// `POST /files/{file_id}/comments`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateComment {
    /// 1 to 10,000 characters, not blank, no control characters but newlines. `@login`
    /// mentions notify the users named who may read the file.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x09\x0b-\x1f\x7f-\x9f]*$"
    )]
    pub body: String,
    /// Makes the comment a task (`open`) for this user (a login or `usr_` id), who must be
    /// able to read the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// `PATCH /comments/{comment_id}`: absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateComment {
    /// A new body (its author only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x09\x0b-\x1f\x7f-\x9f]*$"
    )]
    pub body: Option<String>,
    /// A task's new status: `open` or `done` (its author, its assignee, or anyone who may
    /// write in the folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(open|done)$")]
    pub status: Option<String>,
}
