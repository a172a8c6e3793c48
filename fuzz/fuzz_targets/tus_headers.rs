//! tus request headers (`ferry_core::wire::tus`): `Upload-Metadata`, `Upload-Checksum`,
//! `Upload-Offset`/`Upload-Length`, `Upload-Concat`, and the names that metadata carries
//! (`filename`, `relative_path`) through the name rules. Properties: never a panic; metadata
//! re-encoded parses to the same map; a digest has its algorithm's length; a length is not
//! negative; partial ids hold no `/` or space; a stored name obeys the name rules.
#![no_main]

use base64::Engine;
use ferry_core::validate;
use ferry_core::wire::tus::{self, Checksum, Concat};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    metadata: &'a str,
    checksum: &'a str,
    length: &'a str,
    concat: &'a str,
}

/// The tus client's encoding: standard base64 with padding.
fn encode(v: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(v)
}

fuzz_target!(|input: Input<'_>| {
    if let Ok(map) = tus::metadata(input.metadata) {
        let again: String = map
            .iter()
            .map(|(k, v)| format!("{k} {}", encode(v)))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(tus::metadata(&again).as_ref(), Ok(&map), "{again}");
        if let Some(name) = map.get("filename") {
            check_name(name);
        }
        if let Some(path) = map.get("relative_path")
            && let Ok(names) = validate::relative_path(path)
        {
            assert!(names.len() <= validate::MAX_DEPTH);
            names.iter().for_each(|n| check_name(n));
        }
    }
    match tus::checksum(input.checksum) {
        Ok(Checksum::Sha1(d)) => assert_eq!(d.len(), 20),
        Ok(Checksum::Sha256(d)) => assert_eq!(d.len(), 32),
        Err(_) => {}
    }
    if let Some(n) = tus::non_negative(input.length) {
        assert!(n >= 0);
    }
    if let Some(Concat::Final(ids)) = tus::concat(input.concat) {
        for id in ids {
            assert!(
                !id.contains('/') && !id.contains(char::is_whitespace),
                "{id:?}"
            );
        }
    }
});

/// A name that passes as stored obeys every rule, and storing it again changes nothing.
fn check_name(raw: &str) {
    let Ok(name) = validate::stored_name("filename", raw) else {
        return;
    };
    assert!(!name.is_empty() && name.len() <= validate::MAX_NAME_BYTES);
    assert!(name != "." && name != "..");
    assert!(!name.contains(['/', '\\']) && !name.chars().any(char::is_control));
    assert_eq!(
        validate::stored_name("filename", &name).as_deref(),
        Ok(name.as_str())
    );
}
