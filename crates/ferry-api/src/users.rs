//! Users as the API shows them (`/me`, the admin's `/users`), their quotas, and the short
//! forms other resources name them by (`UserSummary`, `Owner`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::patch::present;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
    pub id: String,
    pub login: String,
    pub name: String,
    /// `user`, `admin`, `company_admin` or `moderator`.
    pub role: String,
}

/// Storage use against a limit (`null` = unlimited).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Quota {
    pub limit_bytes: Option<i64>,
    pub used_bytes: i64,
}

/// A user's storage use against their limit (`null` = unlimited), with the part of it that
/// unfinished uploads hold.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct UserQuota {
    pub limit_bytes: Option<i64>,
    /// Bytes charged to the user: their files, and the space reserved by the unfinished
    /// uploads they pay for (`reserved_bytes` is included here, not added on top).
    pub used_bytes: i64,
    /// The part of `used_bytes` held by unfinished uploads (`open` or `completing`) that this
    /// user pays for (uploads into the user's folders): reserved when an upload is created,
    /// given back when it is aborted, fails or expires, and kept as the file's charge when it
    /// completes. `GET /uploads` lists one's unfinished uploads; `DELETE /uploads/{id}` frees
    /// their space at once.
    // `default`: a client reading an older server's answer sees 0; the server always sends it.
    #[serde(default)]
    #[schema(required = true)]
    pub reserved_bytes: i64,
    /// How many unfinished uploads hold `reserved_bytes`.
    #[serde(default)]
    #[schema(required = true)]
    pub reserved_uploads: i64,
}

/// A user as `GET /me` and the admin endpoints show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub login: String,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    /// Whether too many failed logins locked the account right now.
    pub locked: bool,
    pub quota: UserQuota,
    /// The company the user belongs to (`cmp_…`), or `null`.
    // `default`: a client reading an older server's answer sees none.
    #[serde(default)]
    #[schema(required = true)]
    pub company_id: Option<String>,
    /// `active`, `disabled`, `locked` (by failed logins, right now), `expired` (past
    /// `expires_at`) or `deleted` (waiting for its purge at `purge_at`, or purged).
    #[serde(default)]
    #[schema(pattern = "^(active|disabled|locked|expired|deleted)$")]
    pub status: String,
    /// Whether a login needs a TOTP code as well as the password.
    #[serde(default)]
    pub two_factor: bool,
    /// When the account stops letting its user in, or `null` for never.
    #[serde(default)]
    #[schema(required = true)]
    pub expires_at: Option<String>,
    /// Only on a deleted account: when it was deleted and when it will be purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Where the user's profile picture is served (`GET /users/{user_id}/picture`; add
    /// `&size=32|64|128|256`), or `null` when there is none. Relative to the server; its
    /// `v` changes with every new picture, so what was fetched under it may be cached.
    // `default`: a client reading an older server's answer sees none.
    #[serde(default)]
    #[schema(required = true)]
    pub picture_url: Option<String>,
    /// Only on `/me`: the language tag the user chose, or `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Only on `/me`: the time zone the user chose, or `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// `POST /users` (admin).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateUser {
    /// 1..=128 letters, digits or `.@_+-`.
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9.@_+-]+$")]
    pub login: String,
    /// 8..=1024 bytes.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// At most 255 bytes, no control characters.
    #[serde(default)]
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
    /// `user` (default), `admin`, `company_admin` or `moderator`. A company admin may give
    /// `user` or `company_admin` only.
    #[serde(default)]
    #[schema(pattern = "^(user|admin|company_admin|moderator)$")]
    pub role: Option<String>,
    /// Without it, a user created in a company gets the company's `default_user_quota_bytes`.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub quota_bytes: Option<i64>,
    /// The user's company (`cmp_…`); a company admin's users always join its company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
}

/// `PATCH /users/{id}` (admin). Absent fields are left as they are; `quota_bytes: null`
/// removes the quota.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(user|admin|company_admin|moderator)$")]
    pub role: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub quota_bytes: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Moves the user into this company (`cmp_…`), or out of any with `null`; what they store
    /// moves with them and must fit the new company's quota.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub company_id: Option<Option<String>>,
    /// When the account stops letting its user in (RFC 3339), or `null` for never.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<String>>,
}

/// `DELETE /users/{id}` (optional body).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct DeleteUser {
    /// The user (id or login) who receives the account's folders when it is purged;
    /// without it they are removed then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128)]
    pub transfer_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
    /// How many users the filters select, on every page together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// Who owns a folder or file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    pub id: String,
    pub login: String,
}

/// `GET /users/exists?login=` (admins): whether an account has this login (or extra login).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginExists {
    pub exists: bool,
    /// The account, when the caller administers it (a company admin learns only that a login
    /// outside its company is taken, as a refused `POST /users` would tell it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}
