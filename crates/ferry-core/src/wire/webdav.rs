//! WebDAV request headers the door checks before dav-server sees them.

/// Whether an `If:` header has a `<` or `[` that dav-server's parser would scan past the end
/// for (it stops cleanly at whitespace, and skips closers inside quotes).
pub fn unterminated_if(v: &[u8]) -> bool {
    let mut i = 0;
    while i < v.len() {
        let close = match v[i] {
            b'<' => b'>',
            b'[' => b']',
            _ => {
                i += 1;
                continue;
            }
        };
        let mut j = i + 1;
        let mut quoted = false;
        loop {
            match v.get(j) {
                None => return true,
                Some(&c) if !quoted && c == close => break,
                Some(b' ' | b'\t' | b'\r' | b'\n') => return false,
                Some(b'"') => quoted = !quoted,
                Some(_) => {}
            }
            j += 1;
        }
        i = j + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::unterminated_if;

    #[test]
    fn unterminated_if_headers_are_caught() {
        assert!(!unterminated_if(
            b"(<urn:uuid:1> [\"r1\"]) (Not <DAV:no-lock>)"
        ));
        assert!(unterminated_if(b"(<urn:uuid:1> [\"r1"));
        assert!(unterminated_if(b"(<urn:uuid:1"));
        assert!(!unterminated_if(b"(<urn uuid"));
        assert!(unterminated_if(b"[\"]\""));
    }
}
