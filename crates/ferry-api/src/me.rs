//! Self-service: the caller's profile, password and settings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `PATCH /me`: absent fields stay; `null` clears the language or timezone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateMe {
    /// At most 255 bytes, no control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
    /// A language tag such as `en`, `de-CH`.
    #[serde(
        default,
        deserialize_with = "crate::patch::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    /// A time zone name such as `Europe/Zurich`.
    #[serde(
        default,
        deserialize_with = "crate::patch::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
}

/// `POST /me/password`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangePassword {
    pub current_password: String,
    /// 8..=1024 bytes.
    #[schema(min_length = 8, max_length = 1024)]
    pub new_password: String,
}

/// One of the caller's settings: any JSON value of at most 16 KiB.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Setting {
    pub key: String,
    pub value: serde_json::Value,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettingList {
    pub settings: Vec<Setting>,
}

/// `PUT /me/settings/{key}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PutSetting {
    pub value: serde_json::Value,
}

/// A login of an account: its own (`primary`) or an extra one, such as a second e-mail
/// address. Each logs in to the account; each is unique across users in any case.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountLogin {
    pub login: String,
    pub primary: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountLoginList {
    pub logins: Vec<AccountLogin>,
}

/// `POST /me/logins`, `POST /users/{user_id}/logins`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AddLogin {
    /// 1 to 128 letters, digits or `. @ _ + -`.
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9.@_+-]+$")]
    pub login: String,
}

/// A request for more quota.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaRequest {
    pub id: String,
    pub user_id: String,
    pub user_login: String,
    /// The quota asked for, in bytes.
    pub quota_bytes: i64,
    /// The quota when it was asked for (`null`: unlimited).
    pub previous_quota_bytes: Option<i64>,
    pub message: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_message: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuotaRequestList {
    pub requests: Vec<QuotaRequest>,
}

/// `POST /me/quota-requests`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateQuotaRequest {
    /// The quota asked for, in bytes: more than the current one.
    #[schema(minimum = 1)]
    pub quota_bytes: i64,
    /// Why, for the admin (at most 2048 bytes).
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub message: String,
}

/// `POST /quota-requests/{request_id}/approve|deny`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct DecideQuotaRequest {
    /// For the user (at most 2048 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048)]
    pub message: Option<String>,
}
