//! The SSRF guard: webhook targets must be `https://` URLs of public addresses.
//!
//! A target is checked when it is registered (every address its host resolves to must be
//! public) and again on every delivery: domain names go through [`GuardedResolver`], which
//! hands the HTTP client only public addresses, so the connection is pinned to addresses that
//! were checked (no DNS-rebinding window); IP-literal URLs never reach a resolver, so
//! [`check_literal`] checks them directly. `webhooks.allow_private_targets` turns all of
//! this off and also allows `http://` (tests, closed networks).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use ferry_app::webhooks::transport::TargetError;

/// Longest accepted target URL.
pub const MAX_URL_LEN: usize = 2048;

/// Whether `ip` must never be a webhook target: anything but a public unicast address.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_forbidden(v4),
        IpAddr::V6(v6) => v6_forbidden(v6),
    }
}

fn v4_forbidden(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()            // 0.0.0.0
        || a == 0                  // 0/8 "this network"
        || ip.is_loopback()        // 127/8
        || ip.is_private()         // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()      // 169.254/16, incl. 169.254.169.254 (cloud metadata)
        || (a == 100 && (b & 0xc0) == 64) // 100.64/10 carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // 192.0.0/24 IETF protocol assignments
        || ip.is_documentation()   // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || (a == 192 && b == 88 && c == 99) // 192.88.99/24 6to4 relay anycast
        || (a == 198 && (b & 0xfe) == 18) // 198.18/15 benchmarking
        || ip.is_multicast()       // 224/4
        || a >= 240 // 240/4 reserved, incl. 255.255.255.255 broadcast
}

fn v6_forbidden(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Addresses that carry an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_forbidden(v4); // ::ffff:0:0/96
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return v4_forbidden(embedded_v4(s[6], s[7])); // 64:ff9b::/96 NAT64
    }
    if s[0] == 0x2002 {
        return v4_forbidden(embedded_v4(s[1], s[2])); // 2002::/16 6to4
    }
    ip.is_unspecified()                          // ::
        || ip.is_loopback()                      // ::1
        || s[..6] == [0, 0, 0, 0, 0, 0]          // ::/96 IPv4-compatible (deprecated)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // 64:ff9b:1::/48 local NAT64
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // 100::/64 discard-only
        || (s[0] == 0x2001 && s[1] < 0x200)      // 2001::/23 IETF (Teredo, benchmarking, ORCHID)
        || (s[0] == 0x2001 && s[1] == 0xdb8)     // 2001:db8::/32 documentation
        || (s[0] & 0xfff0) == 0x3ff0             // 3fff::/20 documentation
        || s[0] == 0x5f00                        // 5f00::/16 SRv6 SIDs
        || (s[0] & 0xfe00) == 0xfc00             // fc00::/7 unique local
        || (s[0] & 0xffc0) == 0xfe80             // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfec0             // fec0::/10 site-local (deprecated)
        || ip.is_multicast() // ff00::/8
}

fn embedded_v4(hi: u16, lo: u16) -> Ipv4Addr {
    let [a, b] = hi.to_be_bytes();
    let [c, d] = lo.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

/// The URL's host as an IP address, if it is an IP literal. The URL parser has already
/// normalised odd IPv4 spellings (`2130706433`, `0x7f.1`) to dotted quads.
pub fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Parses a target and checks what can be checked without DNS: the scheme, the host, and
/// IP literals.
pub fn parse_target(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    if raw.len() > MAX_URL_LEN {
        return Err(TargetError::Invalid(format!(
            "The URL must be at most {MAX_URL_LEN} bytes."
        )));
    }
    let url =
        Url::parse(raw).map_err(|e| TargetError::Invalid(format!("The URL is not valid: {e}.")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => {
            return Err(TargetError::Invalid(
                "The URL must start with https://.".into(),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::Invalid("The URL must name a host.".into()));
    }
    check_literal(&url, allow_private)?;
    Ok(url)
}

/// Refuses an IP-literal URL whose address is not public (the resolver never sees those).
pub fn check_literal(url: &Url, allow_private: bool) -> Result<(), TargetError> {
    match literal_ip(url) {
        Some(ip) if !allow_private && is_forbidden(ip) => Err(TargetError::Forbidden(format!(
            "{ip} is not a public address; webhooks may only target public addresses."
        ))),
        _ => Ok(()),
    }
}

/// The full registration check: [`parse_target`], then every address the host resolves to
/// must be public.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = parse_target(raw, allow_private)?;
    if allow_private || literal_ip(&url).is_some() {
        return Ok(url);
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| TargetError::Invalid(format!("The host {host} does not resolve.")))?
        .collect();
    if addrs.is_empty() {
        return Err(TargetError::Invalid(format!(
            "The host {host} does not resolve."
        )));
    }
    if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
        return Err(TargetError::Forbidden(format!(
            "{host} resolves to {}, which is not a public address; webhooks may only target \
             public addresses.",
            bad.ip()
        )));
    }
    Ok(url)
}

/// A DNS resolver for the delivery client that drops every non-public address, so a host
/// that starts resolving to, say, 127.0.0.1 after registration is never connected to.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let safe: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_forbidden(a.ip()))
                .collect();
            if safe.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(safe.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(s: &str) -> bool {
        is_forbidden(s.parse().unwrap())
    }

    #[test]
    fn refuses_non_public_ipv4() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
    }

    #[test]
    fn allows_public_ipv4() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.255.255",
            "192.0.1.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn refuses_non_public_ipv6() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
        ] {
            assert!(forbidden(ip), "{ip} should be forbidden");
        }
    }

    #[test]
    fn allows_public_ipv6() {
        for ip in [
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2a00:1450::1",
        ] {
            assert!(!forbidden(ip), "{ip} should be allowed");
        }
    }

    #[test]
    fn urls_need_https_and_a_public_literal() {
        let invalid = |u: &str| matches!(parse_target(u, false), Err(TargetError::Invalid(_)));
        let refused = |u: &str| matches!(parse_target(u, false), Err(TargetError::Forbidden(_)));
        assert!(invalid("http://example.com/"));
        assert!(invalid("ftp://example.com/"));
        assert!(invalid("not a url"));
        assert!(invalid("https://"));
        assert!(refused("https://127.0.0.1/"));
        assert!(
            refused("https://2130706433/"),
            "decimal spelling of 127.0.0.1"
        );
        assert!(refused("https://0x7f.0.0.1/"), "hex spelling of 127.0.0.1");
        assert!(refused("https://[::1]/hook"));
        assert!(refused("https://[::ffff:7f00:1]/"));
        assert!(refused("https://169.254.169.254/latest/meta-data"));
        assert!(refused("https://10.0.0.1:8443/"));
        assert!(parse_target("https://8.8.8.8/hook", false).is_ok());
        assert!(parse_target("https://example.com/hook", false).is_ok());
        assert!(parse_target("http://127.0.0.1:9/", true).is_ok());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        assert!(matches!(
            check_target("https://localhost/", false).await,
            Err(TargetError::Forbidden(_))
        ));
        assert!(check_target("http://localhost:1/", true).await.is_ok());
    }
}
