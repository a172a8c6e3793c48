//! Sharing: collaborations on folders and the invitations they start as.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a collaboration is for: `type` is `user`, `group` or `email`; `id` the user's or
/// group's id (the address for `email`); `name` the login, the group's name or the address.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Principal {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// Who invited.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Inviter {
    pub id: String,
    pub login: String,
}

/// A collaboration (`shr_…`): `role` on `folder_id` for `principal`. `status` is `pending`
/// (an invitation not yet answered), `accepted` or `declined`; groups' are accepted at once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Collaboration {
    pub id: String,
    pub folder_id: String,
    /// The shared folder's own name.
    pub folder_name: String,
    pub principal: Principal,
    /// `viewer`, `uploader`, `editor` or `manager`.
    pub role: String,
    pub status: String,
    /// Where the collaborator mounted it in their root, once accepted.
    pub mount_name: Option<String>,
    pub message: String,
    pub invited_by: Option<Inviter>,
    pub created_at: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CollaborationList {
    pub collaborators: Vec<Collaboration>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InvitationList {
    pub invitations: Vec<Collaboration>,
    pub next_cursor: Option<String>,
}

/// `POST /folders/{id}/collaborators`: exactly one of `user` (a login or `usr_` id), `group`
/// (`grp_` id) and `email`, with the role to give.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateCollaboration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `viewer`, `uploader`, `editor` or `manager` (managers give at most `editor`).
    #[schema(pattern = "^(viewer|uploader|editor|manager)$")]
    pub role: String,
    /// At most 2048 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048)]
    pub message: Option<String>,
    /// When the collaboration ends (RFC 3339, in the future).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// `PATCH /collaborations/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateCollaboration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(viewer|uploader|editor|manager)$")]
    pub role: Option<String>,
    /// A new end (RFC 3339, in the future) or `null` for none.
    #[serde(
        default,
        deserialize_with = "crate::patch::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Option<String>>,
}

/// `POST /invitations/{id}/accept`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AcceptInvitation {
    /// The name it gets in the caller's root (default: the folder's own name, numbered when
    /// taken; a name given that is taken is `409 name_conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_name: Option<String>,
}

/// `POST /folders/{id}/transfer`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct TransferFolder {
    /// The new owner: a login or a `usr_` id.
    pub to: String,
}

/// A folder of the caller's company directory (`GET /directory`): a top-level folder a
/// member shows to the company. Members see it here, not its contents, unless they hold a
/// role on it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DirectoryFolder {
    pub id: String,
    pub name: String,
    pub description: String,
    pub owner: crate::Owner,
    pub created_at: String,
    /// The caller's role on it, or `null` when they hold none (then they may ask for access).
    pub role: Option<String>,
    /// The caller's request for access waiting for an answer, or `null`.
    pub pending_request_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DirectoryList {
    pub folders: Vec<DirectoryFolder>,
    pub next_cursor: Option<String>,
}

/// A company member's request for access to a folder of the directory.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessRequest {
    /// `acr_…`
    pub id: String,
    pub folder_id: String,
    pub folder_name: String,
    /// Who asked.
    pub user: crate::Owner,
    /// The role asked for; once approved, the role granted.
    pub role: String,
    pub message: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// The id of whoever answered.
    pub decided_by: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessRequestList {
    pub requests: Vec<AccessRequest>,
    pub next_cursor: Option<String>,
}

/// `POST /folders/{id}/access-requests`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateAccessRequest {
    /// The role asked for (default `viewer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(viewer|uploader|editor|manager)$")]
    pub role: Option<String>,
    /// For whoever decides (at most 2048 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048)]
    pub message: Option<String>,
}

/// `POST /access-requests/{id}/approve`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ApproveAccessRequest {
    /// The role to grant (default: the one asked for; a manager gives at most `editor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(viewer|uploader|editor|manager)$")]
    pub role: Option<String>,
}
