//! Rate limits (`rate_limits.*`): GCRA buckets from `governor`, keyed by client address for
//! logins, password resets and link unlocks (`auth`) and for every request without
//! credentials (`anonymous`), and keyed by user for authenticated API requests (`user`, checked
//! by the `AuthUser` extractor once the user is known). A refused request is
//! `429 too_many_requests` with `Retry-After`; every limited response carries the IETF
//! `RateLimit-Policy` and `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers).
//!
//! A request whose credentials are refused (`401`/`423`) is charged to its address's `auth`
//! bucket too, so guessing passwords over HTTP Basic is limited like guessing them at
//! `POST /auth/session`. IPv6 clients are keyed by their /64 (one subscriber's whole prefix).
//!
//! On PostgreSQL the `auth` buckets are the database's ([`ferry_app::rate_limits`]), shared by
//! every node, so that guesses spread over N nodes still count once each; should the database
//! not answer, the node's own bucket decides. The `anonymous` and `user` limits protect each
//! node's capacity and stay per node.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ferry_app::Error;
use ferry_app::config::RateLimitsConfig;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::ApiError;
use crate::http::context::ClientIp;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// Every this many checks, keys whose buckets are full again are forgotten (bounded memory
/// whatever the number of addresses seen).
const RETAIN_EVERY: u64 = 4096;

/// One limit: a name (the policy in the headers), its rate and its buckets.
struct Limit<K: std::hash::Hash + Eq + Clone> {
    name: &'static str,
    per_minute: u32,
    limiter: Keyed<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Limit<K> {
    fn new(name: &'static str, per_minute: u32) -> Option<Self> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Limit {
            name,
            per_minute,
            limiter: RateLimiter::dashmap(Quota::per_minute(n))
                .with_middleware::<StateInformationMiddleware>(),
        })
    }

    /// The outcome of a shared bucket's answer, in this limit's terms.
    fn outcome_of_shared(&self, taken: ferry_app::rate_limits::Taken) -> Outcome {
        let secs = (taken.wait_ms.max(0) as u64).div_ceil(1000);
        Outcome {
            policy: self.name,
            limit: self.per_minute,
            remaining: taken.remaining.clamp(0, i64::from(self.per_minute)) as u32,
            reset_secs: if taken.allowed { secs } else { secs.max(1) },
            refused: !taken.allowed,
        }
    }

    fn check(&self, key: &K) -> Outcome {
        let period = 60.0 / f64::from(self.per_minute);
        match self.limiter.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = self.per_minute.saturating_sub(remaining);
                Outcome {
                    policy: self.name,
                    limit: self.per_minute,
                    remaining,
                    reset_secs: (f64::from(used) * period).ceil() as u64,
                    refused: false,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Outcome {
                    policy: self.name,
                    limit: self.per_minute,
                    remaining: 0,
                    reset_secs: secs.max(1),
                    refused: true,
                }
            }
        }
    }

    fn retain(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// What one check found: enough to answer, and to write the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub policy: &'static str,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again; when refused, until the next request passes.
    pub reset_secs: u64,
    pub refused: bool,
}

impl Outcome {
    /// `429 too_many_requests` with `Retry-After` and the rate-limit headers.
    pub fn error(&self) -> ApiError {
        metrics::counter!("ferry_rate_limited_total", "policy" => self.policy).increment(1);
        ApiError::App(Error::TooManyRequests {
            retry_after_secs: self.reset_secs as i64,
        })
    }

    fn write_headers(&self, headers: &mut axum::http::HeaderMap) {
        let policy = format!("\"{}\";q={};w=60", self.policy, self.limit);
        let state = format!(
            "\"{}\";r={};t={}",
            self.policy, self.remaining, self.reset_secs
        );
        if let (Ok(p), Ok(s)) = (
            HeaderValue::from_str(&policy),
            HeaderValue::from_str(&state),
        ) {
            headers.insert("ratelimit-policy", p);
            headers.insert("ratelimit", s);
        }
    }
}

/// The server's limits; one per server, shared by every connection.
pub struct RateLimits {
    enabled: bool,
    exempt_loopback: bool,
    auth: Option<Limit<IpAddr>>,
    anonymous: Option<Limit<IpAddr>>,
    user: Option<Limit<String>>,
    checks: AtomicU64,
    /// Where the `auth` buckets are shared by every node (PostgreSQL), if they are.
    shared: Option<ferry_app::AppState>,
}

impl RateLimits {
    pub fn new(config: &RateLimitsConfig) -> Self {
        RateLimits {
            enabled: config.enabled,
            exempt_loopback: config.exempt_loopback,
            auth: Limit::new("auth", config.auth_per_minute),
            anonymous: Limit::new("anonymous", config.anonymous_per_minute),
            user: Limit::new("user", config.user_per_minute),
            checks: AtomicU64::new(0),
            shared: None,
        }
    }

    /// Keeps the `auth` buckets in `app`'s database, for every node to share.
    pub fn shared(mut self, app: Option<ferry_app::AppState>) -> Self {
        self.shared = app;
        self
    }

    /// The secret-guessing limit for `ip`: the shared bucket where there is one (the node's own
    /// if the database does not answer), else the node's.
    async fn check_auth(&self, ip: IpAddr) -> Option<Outcome> {
        let limit = self.auth.as_ref()?;
        if let Some(app) = &self.shared {
            let key = bucket_key(ip).to_string();
            match ferry_app::rate_limits::take(app, limit.name, &key, limit.per_minute).await {
                Ok(taken) => return Some(limit.outcome_of_shared(taken)),
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate limit unavailable; this node's own applies");
                }
            }
        }
        self.check_ip(&self.auth, ip)
    }

    fn exempt(&self, ip: Option<IpAddr>) -> bool {
        !self.enabled || (self.exempt_loopback && ip.is_some_and(|ip| ip.is_loopback()))
    }

    fn tick(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            for limit in [&self.auth, &self.anonymous].into_iter().flatten() {
                limit.retain();
            }
            if let Some(user) = &self.user {
                user.retain();
            }
        }
    }

    fn check_ip(&self, limit: &Option<Limit<IpAddr>>, ip: IpAddr) -> Option<Outcome> {
        self.tick();
        limit.as_ref().map(|l| l.check(&bucket_key(ip)))
    }

    /// The per-user limit, for a request whose user is known.
    pub fn check_user(&self, user_id: &str, ip: Option<IpAddr>) -> Option<Outcome> {
        if self.exempt(ip) {
            return None;
        }
        self.tick();
        self.user.as_ref().map(|l| l.check(&user_id.to_string()))
    }
}

/// IPv4 addresses as they are; IPv6 addresses by their /64.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(Ipv6Addr::from(segments))
        }
    }
}

/// Where the `AuthUser` extractor leaves the per-user outcome for the middleware's headers.
#[derive(Clone)]
pub struct UserLimit {
    pub limits: Arc<RateLimits>,
    pub outcome: Arc<Mutex<Option<Outcome>>>,
}

/// Requests that guess a secret: a login (with a password or a one-time login key), a
/// password reset, a sign-up and its confirmation (both mail or probe an address), a link
/// password.
fn guesses_a_secret(method: &Method, path: &str) -> bool {
    if method != Method::POST {
        return false;
    }
    matches!(
        path,
        "/api/v1/auth/session"
            | "/api/v1/auth/login-key"
            | "/api/v1/auth/password-reset"
            | "/api/v1/auth/password-reset/confirm"
            | "/api/v1/auth/register"
            | "/api/v1/auth/register/confirm"
    ) || path
        .strip_prefix("/api/v1/links/")
        .and_then(|rest| rest.strip_suffix("/unlock"))
        .is_some_and(|token| !token.contains('/'))
}

/// Probes load balancers and monitoring poll; they are not limited.
fn unlimited(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

fn has_credentials(req: &Request) -> bool {
    let headers = req.headers();
    headers.contains_key(header::AUTHORIZATION)
}

/// The per-address limits, and the per-user one's headers.
pub async fn middleware(
    State(limits): State<Arc<RateLimits>>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = req.extensions().get::<ClientIp>().map(|c| c.0);
    let path = req.uri().path();
    if limits.exempt(ip) || unlimited(path) {
        return next.run(req).await;
    }
    let Some(ip) = ip else {
        return next.run(req).await;
    };
    let credentials = has_credentials(&req);
    let before = if guesses_a_secret(req.method(), path) {
        limits.check_auth(ip).await
    } else if !credentials {
        limits.check_ip(&limits.anonymous, ip)
    } else {
        None
    };
    if let Some(outcome) = before
        && outcome.refused
    {
        return refused(outcome);
    }
    let slot = Arc::new(Mutex::new(None));
    req.extensions_mut().insert(UserLimit {
        limits: limits.clone(),
        outcome: slot.clone(),
    });
    let mut response = next.run(req).await;
    let mut shown = before.or_else(|| *slot.lock().expect("rate limit slot"));
    // Refused credentials are a guess too.
    if credentials
        && before.is_none()
        && matches!(
            response.status(),
            StatusCode::UNAUTHORIZED | StatusCode::LOCKED
        )
        && let Some(outcome) = limits.check_auth(ip).await
    {
        if outcome.refused {
            return refused(outcome);
        }
        shown = Some(outcome);
    }
    if let Some(outcome) = shown {
        outcome.write_headers(response.headers_mut());
    }
    response
}

fn refused(outcome: Outcome) -> Response {
    let mut response = outcome.error().into_response();
    outcome.write_headers(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(auth: u32) -> RateLimits {
        RateLimits::new(&RateLimitsConfig {
            auth_per_minute: auth,
            ..RateLimitsConfig::default()
        })
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_and_keeps_others_apart() {
        let l = limits(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for left in [2, 1, 0] {
            let o = l.check_ip(&l.auth, a).unwrap();
            assert!(!o.refused);
            assert_eq!(o.remaining, left);
        }
        let o = l.check_ip(&l.auth, a).unwrap();
        assert!(o.refused);
        assert!((1..=20).contains(&o.reset_secs), "{o:?}");
        assert!(!l.check_ip(&l.auth, b).unwrap().refused);
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let l = limits(1);
        assert!(
            !l.check_ip(&l.auth, "2001:db8::1".parse().unwrap())
                .unwrap()
                .refused
        );
        assert!(
            l.check_ip(&l.auth, "2001:db8::2".parse().unwrap())
                .unwrap()
                .refused
        );
        assert!(
            !l.check_ip(&l.auth, "2001:db8:0:1::1".parse().unwrap())
                .unwrap()
                .refused
        );
    }

    #[test]
    fn loopback_is_exempt_only_when_asked() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(!limits(1).exempt(Some(lo)));
        let exempt = RateLimits::new(&RateLimitsConfig {
            exempt_loopback: true,
            ..RateLimitsConfig::default()
        });
        assert!(exempt.exempt(Some(lo)));
        assert!(!exempt.exempt(Some("192.0.2.1".parse().unwrap())));
    }

    #[test]
    fn the_secret_guessing_routes() {
        assert!(guesses_a_secret(&Method::POST, "/api/v1/auth/session"));
        assert!(guesses_a_secret(&Method::POST, "/api/v1/links/abc/unlock"));
        assert!(guesses_a_secret(&Method::POST, "/api/v1/auth/login-key"));
        assert!(guesses_a_secret(&Method::POST, "/api/v1/auth/register"));
        assert!(guesses_a_secret(
            &Method::POST,
            "/api/v1/auth/register/confirm"
        ));
        assert!(!guesses_a_secret(&Method::GET, "/api/v1/auth/session"));
        assert!(!guesses_a_secret(&Method::POST, "/api/v1/links/a/b/unlock"));
        assert!(!guesses_a_secret(&Method::DELETE, "/api/v1/auth/session"));
    }

    #[test]
    fn headers_follow_the_draft() {
        let o = Outcome {
            policy: "auth",
            limit: 30,
            remaining: 0,
            reset_secs: 2,
            refused: true,
        };
        let mut h = axum::http::HeaderMap::new();
        o.write_headers(&mut h);
        assert_eq!(h["ratelimit-policy"], "\"auth\";q=30;w=60");
        assert_eq!(h["ratelimit"], "\"auth\";r=0;t=2");
    }
}
