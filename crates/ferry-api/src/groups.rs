//! Groups of users and their members.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /groups` (admins).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateGroup {
    /// 1..=255 bytes of UTF-8, named like a folder (no `/`, `\`, control or invisible
    /// formatting characters, not `.` or `..`); unique without regard to case.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub name: String,
    /// At most 4096 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4096)]
    pub description: Option<String>,
}

/// `PATCH /groups/{id}` (admins): what to change (absent fields stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateGroup {
    /// A new name, with the rules of [`CreateGroup::name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub name: Option<String>,
    /// At most 4096 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4096)]
    pub description: Option<String>,
}

/// A group of users.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Group {
    /// `grp_…`.
    pub id: String,
    pub name: String,
    /// Empty when none was given.
    pub description: String,
    pub member_count: i64,
    /// The company the group belongs to (made by its company admin), or `null`.
    #[serde(default)]
    #[schema(required = true)]
    pub company_id: Option<String>,
    pub created_at: String,
    /// Changes with the name, the description and the members.
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupList {
    pub groups: Vec<Group>,
    pub next_cursor: Option<String>,
}

/// A member of a group.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupMember {
    /// The user's id (`usr_…`).
    pub id: String,
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GroupMemberList {
    pub members: Vec<GroupMember>,
    pub next_cursor: Option<String>,
}
