//! Which address a request comes from. Behind a reverse proxy every connection comes from the
//! proxy; `server.trusted_proxies` names the proxies whose `Forwarded` / `X-Forwarded-For`
//! headers are believed. From anyone else those headers are ignored: a client must not be able
//! to pick the address the audit records for it.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `server.trusted_proxies`: IP addresses or CIDR ranges.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|e| {
                let e = e.trim();
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("server.trusted_proxies: `{e}` is not an IP address or CIDR range")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `peer` itself, unless `peer` is a trusted proxy; then the last
    /// address in the forwarding chain that is not a trusted proxy (each proxy appends the
    /// address it received the request from, so only the right end can be believed).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return canonical(peer);
        }
        let chain = forwarded_for(headers);
        chain
            .iter()
            .rev()
            .find(|ip| !self.contains(**ip))
            .or_else(|| chain.first())
            .copied()
            .map_or(canonical(peer), canonical)
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses of `Forwarded: for=…` (RFC 7239) if present, else of `X-Forwarded-For`,
/// in order; entries that are not addresses (`unknown`, obfuscated names) are skipped.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<IpAddr> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.eq_ignore_ascii_case("for").then(|| parse_node(value))?
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(parse_node)
        .collect()
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:80`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.rsplit_once(':').and_then(|(host, _)| host.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let xff = headers(&[("x-forwarded-for", "198.51.100.7, 10.9.9.9")]);
        assert_eq!(
            trusted.client(proxy, &xff),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A client that is not a proxy cannot choose its address.
        assert_eq!(trusted.client(stranger, &xff), stranger);
        // A spoofed left end is passed over: the right-most untrusted address counts.
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7")]);
        assert_eq!(
            trusted.client(proxy, &spoofed),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.2",
        )]);
        assert_eq!(
            trusted.client(proxy, &forwarded),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        // No header: the proxy itself.
        assert_eq!(trusted.client(proxy, &HeaderMap::new()), proxy);
        assert!(TrustedProxies::parse(&["not-an-ip".into()]).is_err());
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert!(trusted.contains(mapped));
    }
}
