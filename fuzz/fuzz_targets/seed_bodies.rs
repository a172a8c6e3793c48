//! The seed-compatible request bodies (`ferry_core::wire::seed`): seed 003's `create_session`
//! JSON (then its `fileName` and `relativePath` through the name rules) and seed 004's
//! `/fileshare` JSON bodies. Properties: never a panic; a checked session has a non-negative
//! size and no blank relative path; every accepted folder name obeys the name rules.
#![no_main]

use ferry_core::validate;
use ferry_core::wire::seed::{self, CreateSession};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<CreateSession>(data)
        && let Ok(session) = body.checked()
    {
        assert!(session.file_size >= 0);
        let _ = validate::stored_name("filename", &session.file_name);
        if let Some(path) = &session.relative_path {
            assert!(!path.trim().is_empty());
            if let Ok(names) = validate::relative_path(path) {
                assert!(!names.is_empty() && names.len() <= validate::MAX_DEPTH);
                for name in names {
                    assert!(validate::name("relative_path", &name).is_ok(), "{name:?}");
                }
            }
        }
    }
    let _ = seed::session_ttl(data);
    let _ = seed::max_downloads(data);
});
