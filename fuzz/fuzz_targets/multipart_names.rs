//! `multipart/form-data` bodies as the upload doors read them (multer, through axum's
//! `Multipart`): the `Content-Type` boundary, every field's headers and file name, then the
//! name rules a file name goes through (`validate::stored_name`) and seed 004's `ttl` field.
//! Properties: never a panic; a name that is accepted obeys every name rule and is stable.
#![no_main]

use bytes::Bytes;
use ferry_core::validate;
use ferry_core::wire::seed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the request's Content-Type, the rest its body.
    let (content_type, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let content_type = String::from_utf8_lossy(content_type);
    let Ok(boundary) = multer::parse_boundary(content_type.as_ref()) else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    let stream = futures::stream::iter([Ok::<_, std::convert::Infallible>(body)]);
    let mut form = multer::Multipart::new(stream, boundary);
    futures::executor::block_on(async {
        while let Ok(Some(mut field)) = form.next_field().await {
            if let Some(name) = field.file_name() {
                check_name(name);
            }
            if field.name() == Some("ttl") {
                if let Ok(text) = field.text().await
                    && let Ok(ttl) = seed::ttl_field(&text)
                {
                    assert!((1..=seed::MAX_TTL_SECS).contains(&ttl));
                }
                continue;
            }
            while let Ok(Some(_)) = field.chunk().await {}
        }
    });
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
