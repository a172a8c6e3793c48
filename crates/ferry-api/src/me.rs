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
