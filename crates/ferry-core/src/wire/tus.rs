//! tus 1.0 request headers: `Upload-Metadata`, `Upload-Checksum`, `Upload-Offset` and
//! `Upload-Length`, `Upload-Concat`. The tus door maps the failures to its errors.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `Upload-Metadata` that is not `key base64,key base64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadMetadata;

/// `key base64value,key2 base64value2` → map (values decoded; keys without value map to "").
pub fn metadata(raw: &str) -> Result<HashMap<String, String>, BadMetadata> {
    let mut map = HashMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.splitn(2, ' ');
        let key = it.next().ok_or(BadMetadata)?.to_string();
        let value = match it.next() {
            Some(b64) => String::from_utf8(STANDARD.decode(b64.trim()).map_err(|_| BadMetadata)?)
                .map_err(|_| BadMetadata)?,
            None => String::new(),
        };
        map.insert(key, value);
    }
    Ok(map)
}

/// The digest a chunk must have (`Upload-Checksum`); its length fits the algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

/// Why an `Upload-Checksum` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadChecksum {
    /// Not `<algorithm> <base64>`, or a digest of the wrong length.
    Invalid,
    /// An algorithm other than sha1 and sha256.
    Unsupported,
}

/// `Upload-Checksum: <sha1|sha256> <base64>`.
pub fn checksum(raw: &str) -> Result<Checksum, BadChecksum> {
    let (algo, b64) = raw.split_once(' ').ok_or(BadChecksum::Invalid)?;
    let expected = STANDARD
        .decode(b64.trim())
        .map_err(|_| BadChecksum::Invalid)?;
    match algo {
        "sha1" if expected.len() == 20 => Ok(Checksum::Sha1(expected)),
        "sha256" if expected.len() == 32 => Ok(Checksum::Sha256(expected)),
        "sha1" | "sha256" => Err(BadChecksum::Invalid),
        _ => Err(BadChecksum::Unsupported),
    }
}

/// `Upload-Offset` and `Upload-Length`: a non-negative integer (`None` for anything else).
pub fn non_negative(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// `Upload-Concat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concat {
    Partial,
    /// The ids of the partial uploads, in order (the last segment of each URL).
    Final(Vec<String>),
}

/// `Upload-Concat: partial` or `final;<url> <url>…`; `None` for anything else.
pub fn concat(raw: &str) -> Option<Concat> {
    if let Some(spec) = raw.strip_prefix("final;") {
        let ids = spec
            .split_whitespace()
            .map(|url| {
                url.trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        return Some(Concat::Final(ids));
    }
    (raw == "partial").then_some(Concat::Partial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_parses_base64_values() {
        let m = metadata("filename cmVwb3J0LnBkZg==,folder_id Zmxk,empty").unwrap();
        assert_eq!(m["filename"], "report.pdf");
        assert_eq!(m["folder_id"], "fld");
        assert_eq!(m["empty"], "");
        assert!(metadata("filename !!!").is_err());
    }

    #[test]
    fn checksums_lengths_and_concat() {
        let sha1 = format!("sha1 {}", STANDARD.encode([0u8; 20]));
        assert_eq!(checksum(&sha1), Ok(Checksum::Sha1(vec![0; 20])));
        let short = format!("sha256 {}", STANDARD.encode([0u8; 20]));
        assert_eq!(checksum(&short), Err(BadChecksum::Invalid));
        assert_eq!(checksum("md5 AAAA"), Err(BadChecksum::Unsupported));
        assert_eq!(non_negative("-1"), None);
        assert_eq!(non_negative("12"), Some(12));
        assert_eq!(
            concat("final;/api/v1/tus/a /api/v1/tus/b/"),
            Some(Concat::Final(vec!["a".into(), "b".into()]))
        );
        assert_eq!(concat("partial"), Some(Concat::Partial));
        assert_eq!(concat("partially"), None);
    }
}
