//! RFC 6266 `Content-Disposition`: the server's builder and the client's parser
//! (`ferry_core::wire::disposition`). Properties: whatever the file name, the header is visible
//! ASCII (no CR, LF or unescaped quote can reach the header), reads back as exactly that name,
//! and its ASCII fallback alone still reads as a name; any header value parses without a panic.
#![no_main]

use ferry_core::wire::disposition::{content_disposition, filename};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Any header value a server might send: the client must not panic.
    let _ = filename(&String::from_utf8_lossy(data));
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let value = content_disposition(name);
    assert!(
        value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
        "not a valid header value: {value:?}"
    );
    assert_eq!(filename(&value).as_deref(), Some(name), "{value}");
    // The encoded part holds no `;` or space: the last separator is the real one.
    let (fallback, extended) = value.rsplit_once("; filename*=").expect("both forms");
    // The quoted fallback holds no quote or backslash: nothing in it ends the string early.
    let quoted = fallback
        .strip_prefix("attachment; filename=\"")
        .and_then(|f| f.strip_suffix('"'))
        .expect("a quoted fallback");
    assert!(!quoted.contains(['"', '\\']), "{quoted}");
    assert!(!extended.contains([';', '"', ' ']), "{extended}");
    if !name.is_empty() {
        assert!(
            filename(fallback).is_some_and(|n| !n.is_empty()),
            "{fallback}"
        );
    }
});
