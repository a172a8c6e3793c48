//! Policies on a company, a group or a user, and the effective policy of a user: the most
//! restrictive combination of the policies on their company, every group they belong to and
//! themselves. Who may read and set them is [`access::policy_target`]; where they are
//! enforced is [`access::admit`] and [`access::require_policy`], so every door obeys them.

use std::net::IpAddr;

use ferry_core::audit::{Action, TargetKind};
use ferry_store::policies::{Policy, PolicyTarget};
use ferry_store::users::User;
use ipnet::IpNet;
use serde_json::json;

use crate::access::{self, Guarded};
use crate::audit;
use crate::caller::Caller;
use crate::coherence::commit_change;
use crate::error::{Error, Result};
use crate::state::AppState;

/// The most ranges one policy may list.
const MAX_RANGES: usize = 100;
/// The longest link lifetime a policy may name (ten years), so sums cannot overflow.
const MAX_EXPIRY_SECS: i64 = 10 * 366 * 24 * 3600;

/// What applies to a user once every policy is combined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub can_download: bool,
    pub can_upload: bool,
    pub can_share_links: bool,
    pub force_watermark: bool,
    pub max_link_expires_in_secs: Option<i64>,
    /// The addresses allowed (`None`: any). An empty list allows none: two policies whose
    /// ranges do not overlap leave nothing.
    pub allowed_ip_ranges: Option<Vec<IpNet>>,
}

impl Default for Effective {
    fn default() -> Self {
        Effective {
            can_download: true,
            can_upload: true,
            can_share_links: true,
            force_watermark: false,
            max_link_expires_in_secs: None,
            allowed_ip_ranges: None,
        }
    }
}

impl Effective {
    /// Combines `policies`: a refusal anywhere refuses, a watermark forced anywhere is forced,
    /// the shortest expiry cap counts, and an address must be in the ranges of every policy
    /// that lists some.
    pub fn combine(policies: &[Policy]) -> Effective {
        let mut out = Effective::default();
        for p in policies {
            out.can_download &= p.can_download.unwrap_or(true);
            out.can_upload &= p.can_upload.unwrap_or(true);
            out.can_share_links &= p.can_share_links.unwrap_or(true);
            out.force_watermark |= p.force_watermark.unwrap_or(false);
            out.max_link_expires_in_secs =
                match (out.max_link_expires_in_secs, p.max_link_expires_in_secs) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            if let Some(ranges) = &p.allowed_ip_ranges {
                // Stored ranges were checked when set; one that no longer parses allows nothing.
                let ranges: Vec<IpNet> =
                    ranges.iter().filter_map(|r| parse_range(r).ok()).collect();
                out.allowed_ip_ranges = Some(match out.allowed_ip_ranges.take() {
                    None => ranges,
                    Some(have) => intersect(&have, &ranges),
                });
            }
        }
        out
    }

    /// `PolicyDenied` unless the policy allows `what`.
    pub fn allows(&self, what: Guarded) -> Result<()> {
        let (allowed, message) = match what {
            Guarded::Download => (
                self.can_download,
                "A policy does not allow you to download.",
            ),
            Guarded::Upload => (self.can_upload, "A policy does not allow you to upload."),
            Guarded::ShareLinks => (
                self.can_share_links,
                "A policy does not allow you to create links.",
            ),
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::PolicyDenied(message.into()))
        }
    }

    /// `PolicyDenied` unless `ip` (the client address the server derived, after
    /// `server.trusted_proxies`) is in the allowed ranges. No known address with ranges set
    /// is refused: a restriction must not be passed by hiding the address.
    pub fn check_address(&self, ip: Option<&str>) -> Result<()> {
        let Some(ranges) = &self.allowed_ip_ranges else {
            return Ok(());
        };
        let ip = ip.and_then(|ip| ip.parse::<IpAddr>().ok());
        if ip.is_some_and(|ip| ranges.iter().any(|r| r.contains(&ip))) {
            Ok(())
        } else {
            Err(Error::PolicyDenied(
                "A policy does not allow access from this address.".into(),
            ))
        }
    }

    /// The lifetime (in seconds from now) a new link may have: `requested` if within the cap,
    /// `default` (no more than the cap) when nothing was asked, `PolicyDenied` when more was
    /// asked than the cap allows.
    pub fn link_lifetime(&self, requested: Option<i64>, default: i64) -> Result<Option<i64>> {
        match (self.max_link_expires_in_secs, requested) {
            (Some(cap), Some(asked)) if asked > cap => Err(Error::PolicyDenied(format!(
                "A policy allows links to live at most {cap} seconds."
            ))),
            (Some(cap), None) => Ok(Some(default.min(cap))),
            (_, asked) => Ok(asked),
        }
    }
}

/// A CIDR range, or a single address as its own range.
fn parse_range(s: &str) -> std::result::Result<IpNet, ()> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| ())
}

/// The addresses in both sets of ranges: two CIDR ranges either nest or are apart, so the
/// overlap is each range of one set that lies inside a range of the other.
fn intersect(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    let mut out: Vec<IpNet> = a
        .iter()
        .filter(|x| b.iter().any(|y| y.contains(*x)))
        .chain(b.iter().filter(|y| a.iter().any(|x| x.contains(*y))))
        .copied()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The effective policy of `user`.
pub async fn effective(app: &AppState, user: &User) -> Result<Effective> {
    if let Some(cached) = app.tokens.policy(&user.id) {
        return Ok(cached);
    }
    let epoch = app.tokens.epoch();
    let mut conn = app.store.conn().await?;
    let policies =
        ferry_store::policies::applying_to(&mut conn, &user.id, user.company_id.as_deref()).await?;
    let effective = Effective::combine(&policies);
    app.tokens.insert_policy(epoch, &user.id, effective.clone());
    Ok(effective)
}

/// The caller's own effective policy (`GET /me/policy`).
pub async fn mine(app: &AppState, caller: &Caller) -> Result<Effective> {
    let user = caller.user_ref().ok_or(Error::Unauthorized)?;
    effective(app, user).await
}

/// Parses a policy target kind from the path (`company`, `group`, `user`); anything else is
/// `NotFound`, as an unknown path is.
pub fn target(kind: &str) -> Result<PolicyTarget> {
    PolicyTarget::parse(kind).ok_or(Error::NotFound)
}

/// The policy set on a target (an empty one if none was), for a caller who administers it.
pub async fn get(
    app: &AppState,
    caller: &Caller,
    target: PolicyTarget,
    id: &str,
) -> Result<Policy> {
    access::policy_target(app, caller, target, id).await?;
    let mut conn = app.store.conn().await?;
    Ok(ferry_store::policies::get(&mut conn, target, id)
        .await?
        .unwrap_or_default())
}

/// Sets (replaces) the policy on a target the caller administers, audited as
/// `policy.changed`.
pub async fn put(
    app: &AppState,
    caller: &Caller,
    target: PolicyTarget,
    id: &str,
    policy: Policy,
) -> Result<Policy> {
    access::policy_target(app, caller, target, id).await?;
    let policy = checked(policy)?;
    let now = app.now_ms();
    let mut tx = app.store.begin().await?;
    ferry_store::policies::put(&mut tx, target, id, &policy, now).await?;
    audit::success(
        &caller.origin,
        caller.user_ref(),
        Action::PolicyChanged,
        (TargetKind::Policy, id),
    )
    .at(now)
    .details(json!({
        "target": target.as_str(),
        "can_download": policy.can_download,
        "can_upload": policy.can_upload,
        "can_share_links": policy.can_share_links,
        "force_watermark": policy.force_watermark,
        "max_link_expires_in_secs": policy.max_link_expires_in_secs,
        "allowed_ip_ranges": policy.allowed_ip_ranges,
    }))
    .append(&mut tx)
    .await?;
    commit_change(app, tx).await?;
    Ok(policy)
}

/// Checks a policy's values; ranges are stored in their canonical form.
fn checked(mut policy: Policy) -> Result<Policy> {
    if let Some(secs) = policy.max_link_expires_in_secs {
        ferry_core::validate::in_range("max_link_expires_in_secs", secs, 1..=MAX_EXPIRY_SECS)?;
    }
    if let Some(ranges) = &policy.allowed_ip_ranges {
        if ranges.len() > MAX_RANGES {
            return Err(Error::invalid(
                "allowed_ip_ranges",
                "invalid_value",
                format!("At most {MAX_RANGES} ranges."),
            ));
        }
        let parsed = ranges
            .iter()
            .map(|r| {
                parse_range(r).map(|n| n.to_string()).map_err(|()| {
                    Error::invalid(
                        "allowed_ip_ranges",
                        "invalid_value",
                        format!(
                            "`{}` is not an IP address or CIDR range.",
                            r.chars().take(64).collect::<String>()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        policy.allowed_ip_ranges = Some(parsed);
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn the_most_restrictive_wins() {
        let company = Policy {
            can_download: Some(true),
            max_link_expires_in_secs: Some(3600),
            allowed_ip_ranges: Some(vec!["10.0.0.0/8".into()]),
            ..Policy::default()
        };
        let group = Policy {
            can_download: Some(false),
            force_watermark: Some(true),
            max_link_expires_in_secs: Some(60),
            allowed_ip_ranges: Some(vec!["10.1.0.0/16".into(), "192.168.0.0/16".into()]),
            ..Policy::default()
        };
        let e = Effective::combine(&[company, group]);
        assert!(!e.can_download && e.can_upload && e.force_watermark);
        assert_eq!(e.max_link_expires_in_secs, Some(60));
        assert_eq!(e.allowed_ip_ranges, Some(vec![net("10.1.0.0/16")]));
        assert!(e.check_address(Some("10.1.2.3")).is_ok());
        assert!(e.check_address(Some("10.2.0.1")).is_err());
        assert!(e.check_address(None).is_err());
        assert!(e.link_lifetime(Some(61), 900).is_err());
        assert_eq!(e.link_lifetime(None, 900).unwrap(), Some(60));
        assert_eq!(e.link_lifetime(Some(30), 900).unwrap(), Some(30));
    }

    #[test]
    fn no_policy_allows_everything() {
        let e = Effective::combine(&[]);
        assert_eq!(e, Effective::default());
        assert!(e.check_address(None).is_ok());
        assert!(e.allows(Guarded::Download).is_ok());
    }
}
