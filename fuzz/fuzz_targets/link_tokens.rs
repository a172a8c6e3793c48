//! Link tokens, link access tokens and temporary download tokens (`ferry_core::tokens`).
//! Properties: never a panic on any string; a token that verifies was signed, by this key, for
//! exactly the claims it yields (re-signing them gives the token back); a signed token altered
//! anywhere no longer verifies, and no kind verifies as another.
#![no_main]

use ferry_core::tokens::{access, link, temporary};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = b"fuzzing key, 32 bytes long......";

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    /// Any string presented as a token.
    token: &'a str,
    /// A genuine token's claims, and where to alter it.
    id: [u8; 12],
    expires_at: i64,
    user_id: &'a str,
    file_id: &'a str,
    flip_at: usize,
    flip_to: u8,
}

fuzz_target!(|input: Input<'_>| {
    let t = input.token;
    if let Some(c) = link::verify(KEY, t) {
        assert_eq!(link::sign(KEY, &c.link_id, c.expires_at), t);
    }
    if let Some(c) = access::verify(KEY, t) {
        assert_eq!(access::sign(KEY, &c.link_id, c.expires_at), t.trim());
    }
    if let Some(c) = temporary::verify(KEY, t) {
        assert_eq!(
            temporary::sign(KEY, &c.user_id, &c.file_id, c.expires_at),
            t.trim()
        );
    }

    let link_id = format!("lnk_{}", hex(&input.id));
    let genuine = [
        link::sign(KEY, &link_id, input.expires_at),
        access::sign(KEY, &link_id, input.expires_at),
        temporary::sign(KEY, input.user_id, input.file_id, input.expires_at),
    ];
    let opens = |token: &str| {
        [
            link::verify(KEY, token).is_some(),
            access::verify(KEY, token).is_some(),
            temporary::verify(KEY, token).is_some(),
        ]
    };
    for (kind, token) in genuine.iter().enumerate() {
        let verified = opens(token);
        // A temporary token is refused when longer than 256 characters.
        let valid = kind != 2 || token.len() <= 256;
        for (other, v) in verified.iter().enumerate() {
            assert_eq!(
                *v,
                other == kind && valid,
                "kind {kind} as {other}: {token}"
            );
        }
        let mut altered = token.clone().into_bytes();
        if altered.is_empty() {
            continue;
        }
        let at = input.flip_at % altered.len();
        altered[at] = input.flip_to;
        if altered != token.as_bytes()
            && let Ok(altered) = String::from_utf8(altered)
            // Surrounding whitespace is trimmed, by design, for access and temporary tokens.
            && altered.trim() != token
        {
            assert_eq!(opens(&altered), [false; 3], "{altered}");
        }
    }
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
