//! `GET /analytics/usage`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One interval's activity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsagePeriod {
    pub start: String,
    /// Exclusive.
    pub end: String,
    /// Completed uploads (every door: simple, resumable, tus, WebDAV, upload links).
    pub uploads: i64,
    /// Bytes those uploads brought in.
    pub upload_bytes: i64,
    /// Downloads of files, ranges and archive members, by users and through links.
    pub downloads: i64,
    pub download_bytes: i64,
    /// Users who did anything that is audited.
    pub active_users: i64,
}

/// What is stored now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UsageNow {
    /// The installation's blob store (each content once), or a company's users' quota use.
    pub stored_bytes: i64,
    pub files: i64,
    /// Accounts that are not deleted.
    pub users: i64,
    pub uploads_in_flight: i64,
}

/// `GET /analytics/usage`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Usage {
    /// `hour`, `day` or `week`.
    pub interval: String,
    /// The company counted, or `null` for the whole installation.
    #[schema(required = true)]
    pub company_id: Option<String>,
    pub from: String,
    pub to: String,
    pub periods: Vec<UsagePeriod>,
    pub now: UsageNow,
}
