//! Policies (migration 0025): rules on a company, a group or a user. What applies to a user is
//! the most restrictive combination of those on their company, their groups and themselves;
//! combining them is ferry-app's business, this module stores and finds them.

use crate::{Conn, Result};

/// What a policy is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyTarget {
    Company,
    Group,
    User,
}

impl PolicyTarget {
    pub const ALL: [PolicyTarget; 3] = [
        PolicyTarget::Company,
        PolicyTarget::Group,
        PolicyTarget::User,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyTarget::Company => "company",
            PolicyTarget::Group => "group",
            PolicyTarget::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<PolicyTarget> {
        PolicyTarget::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A stored policy. A `None` rule says nothing (allowed, no limit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub can_download: Option<bool>,
    pub can_upload: Option<bool>,
    pub can_share_links: Option<bool>,
    pub force_watermark: Option<bool>,
    pub max_link_expires_in_secs: Option<i64>,
    /// CIDR ranges, as given (checked by the app before they are stored).
    pub allowed_ip_ranges: Option<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    can_download: Option<i64>,
    can_upload: Option<i64>,
    can_share_links: Option<i64>,
    force_watermark: Option<i64>,
    max_link_expires_in_secs: Option<i64>,
    allowed_ip_ranges: Option<String>,
}

impl From<Row> for Policy {
    fn from(r: Row) -> Self {
        Policy {
            can_download: r.can_download.map(crate::flag),
            can_upload: r.can_upload.map(crate::flag),
            can_share_links: r.can_share_links.map(crate::flag),
            force_watermark: r.force_watermark.map(crate::flag),
            max_link_expires_in_secs: r.max_link_expires_in_secs,
            // Written by `put` only, so it parses; anything else fails closed (no address).
            allowed_ip_ranges: r
                .allowed_ip_ranges
                .map(|json| serde_json::from_str(&json).unwrap_or_default()),
        }
    }
}

const COLUMNS: &str = "can_download, can_upload, can_share_links, force_watermark, \
                       max_link_expires_in_secs, allowed_ip_ranges";

/// The policy on one target, if one was set.
pub async fn get(conn: &mut Conn, target: PolicyTarget, id: &str) -> Result<Option<Policy>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM policies WHERE target_kind = $1 AND target_id = $2"
    )))
    .bind(target.as_str())
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Policy::from))
}

/// Sets (replaces) the policy on one target.
pub async fn put(
    conn: &mut Conn,
    target: PolicyTarget,
    id: &str,
    policy: &Policy,
    now: i64,
) -> Result<()> {
    let ranges = policy
        .allowed_ip_ranges
        .as_ref()
        .map(|r| serde_json::to_string(r).expect("strings serialise"));
    sqlx::query(
        "INSERT INTO policies (target_kind, target_id, can_download, can_upload, \
         can_share_links, force_watermark, max_link_expires_in_secs, allowed_ip_ranges, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (target_kind, target_id) DO UPDATE SET \
         can_download = excluded.can_download, can_upload = excluded.can_upload, \
         can_share_links = excluded.can_share_links, force_watermark = excluded.force_watermark, \
         max_link_expires_in_secs = excluded.max_link_expires_in_secs, \
         allowed_ip_ranges = excluded.allowed_ip_ranges, updated_at = excluded.updated_at",
    )
    .bind(target.as_str())
    .bind(id)
    .bind(policy.can_download.map(i64::from))
    .bind(policy.can_upload.map(i64::from))
    .bind(policy.can_share_links.map(i64::from))
    .bind(policy.force_watermark.map(i64::from))
    .bind(policy.max_link_expires_in_secs)
    .bind(ranges)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every policy that applies to `user_id`: on the user, on each group they belong to and on
/// `company_id`, in one query.
pub async fn applying_to(
    conn: &mut Conn,
    user_id: &str,
    company_id: Option<&str>,
) -> Result<Vec<Policy>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM policies WHERE \
         (target_kind = 'user' AND target_id = $1) \
         OR (target_kind = 'company' AND target_id = $2) \
         OR (target_kind = 'group' AND target_id IN \
             (SELECT group_id FROM group_members WHERE user_id = $1))"
    )))
    .bind(user_id)
    .bind(company_id.unwrap_or(""))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Policy::from).collect())
}
