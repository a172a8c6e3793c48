//! Conditional requests on metadata (RFC 9110 §13): `If-None-Match` answers `304` when the
//! client's copy is current; `If-Match` makes a change refuse (`412`) when the object changed
//! since the client read it, so two editors cannot overwrite each other unseen.

use axum::http::{HeaderMap, header};

/// The revision `If-Match` asks for: `None` when absent or `*`. An entity tag that is not one
/// of ours can never match, so it becomes a revision no object has.
pub fn if_match_revision(headers: &HeaderMap) -> Option<i64> {
    let value = headers.get(header::IF_MATCH)?.to_str().unwrap_or("");
    let value = value.trim();
    if value == "*" {
        return None;
    }
    // One tag is what editors send; of a list, the first of ours counts.
    let revision = value.split(',').map(str::trim).find_map(|tag| {
        tag.strip_prefix("\"r")?
            .strip_suffix('"')?
            .parse::<i64>()
            .ok()
    });
    Some(revision.unwrap_or(-1))
}

/// `If-Match` on a content change: our metadata ETag (`"r<revision>"`) or the content ETag
/// (`"<sha256>"`, as `GET …/content` sends it). Anything else can never match.
pub fn if_match_content(headers: &HeaderMap) -> Option<ferry_app::versions::Precondition> {
    use ferry_app::versions::Precondition;
    let value = headers.get(header::IF_MATCH)?.to_str().unwrap_or("").trim();
    if value == "*" {
        return None;
    }
    let tag = value.split(',').next().unwrap_or("").trim();
    let inner = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or("");
    if let Some(rev) = inner.strip_prefix('r').and_then(|r| r.parse::<i64>().ok()) {
        return Some(Precondition::Revision(rev));
    }
    if inner.len() == 64 && inner.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(Precondition::Content(inner.to_ascii_lowercase()));
    }
    Some(Precondition::Revision(-1))
}

/// Whether `If-None-Match` names `etag` (or is `*`): the client's copy is current.
pub fn is_current(headers: &HeaderMap, etag: &str) -> bool {
    let Some(value) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    #[test]
    fn if_match_reads_our_tags_and_refuses_foreign_ones() {
        assert_eq!(if_match_revision(&HeaderMap::new()), None);
        assert_eq!(if_match_revision(&headers(header::IF_MATCH, "*")), None);
        assert_eq!(
            if_match_revision(&headers(header::IF_MATCH, "\"r7\"")),
            Some(7)
        );
        assert_eq!(
            if_match_revision(&headers(header::IF_MATCH, "\"abc\", \"r3\"")),
            Some(3)
        );
        assert_eq!(
            if_match_revision(&headers(header::IF_MATCH, "\"abc\"")),
            Some(-1)
        );
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let h = headers(header::IF_NONE_MATCH, "W/\"r2\", \"r5\"");
        assert!(is_current(&h, "\"r2\""));
        assert!(is_current(&h, "\"r5\""));
        assert!(!is_current(&h, "\"r6\""));
        assert!(!is_current(&HeaderMap::new(), "\"r6\""));
    }
}
