//! Companies (tenants) and the policies on companies, groups and users.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::patch::present;
use crate::users::Quota;

/// How a company presents itself on its users' link pages.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Branding {
    pub display_name: String,
    /// The logo, or `null`. An uploaded logo (`PUT /companies/{company_id}/logo`) is served by
    /// Ferry itself: `/api/v1/companies/{company_id}/logo?v=…` on the company, and
    /// `/api/v1/links/{token}/logo?v=…` in a link's info (it works without login for whoever
    /// holds the link). Without one, the external URL set with `PATCH`, if any (the portal
    /// shows only images of its own origin).
    #[serde(default)]
    #[schema(required = true)]
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
}

/// A company (tenant).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Company {
    /// `cmp_…`.
    pub id: String,
    pub name: String,
    /// `active`, `inactive` or `expired`: only an active company's users may log in, and
    /// only its users' links serve (others answer `410 link_revoked`).
    pub status: String,
    /// The most its users may store together (`limit_bytes: null`: no limit) and what they
    /// store.
    pub quota: Quota,
    /// The quota of a user created in the company without one of their own.
    pub default_user_quota_bytes: Option<i64>,
    pub branding: Branding,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CompanyList {
    pub companies: Vec<Company>,
    pub next_cursor: Option<String>,
}

/// A quota to set (`limit_bytes: null`: no limit).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct QuotaLimit {
    #[schema(minimum = 0)]
    pub limit_bytes: Option<i64>,
}

/// Branding to set; absent fields stay, `null` removes the logo or the colour.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct BrandingPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub display_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, max_length = 2048, pattern = "^https?://")]
    pub logo_url: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, pattern = "^#[0-9A-Fa-f]{6}$")]
    pub accent_color: Option<Option<String>>,
}

/// `POST /companies` (system admins) and `PATCH /companies/{id}`: absent fields take their
/// defaults (active, no limits, the name as display name) or, for a change, stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CompanyInput {
    /// Required to create; named like a folder, unique without regard to case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 255)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(active|inactive|expired)$")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaLimit>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub default_user_quota_bytes: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<BrandingPatch>,
}

/// A policy on a company, a group or a user (`PUT /policies/{kind}/{id}` replaces it; absent
/// or `null` rules say nothing). Effective (`GET /me/policy`): the most restrictive of the
/// policies on the caller's company, groups and account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Policy {
    #[serde(default)]
    pub can_download: Option<bool>,
    #[serde(default)]
    pub can_upload: Option<bool>,
    #[serde(default)]
    pub can_share_links: Option<bool>,
    /// New links get a watermark (images only).
    #[serde(default)]
    pub force_watermark: Option<bool>,
    /// New links live at most this long; asking for longer is `403 policy_denied`, asking
    /// for nothing gets this.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 316224000)]
    pub max_link_expires_in_secs: Option<i64>,
    /// Client addresses allowed (CIDR ranges or single addresses); `null`: any.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub allowed_ip_ranges: Option<Vec<String>>,
}
