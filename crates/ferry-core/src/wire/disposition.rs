//! `Content-Disposition` (RFC 6266, with RFC 8187's `filename*`): the server writes it with
//! [`content_disposition`]; any client that names a downloaded file after it reads it with
//! [`filename`] (the CLI does, through `ferry_client::disposition`).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// `attachment` with an ASCII fallback and the exact UTF-8 name in `filename*` (RFC 6266).
/// Only visible ASCII and spaces: always a valid header value.
pub fn content_disposition(name: &str) -> String {
    // RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" /
    // "`" / "|" / "~". Everything else is percent-encoded.
    const ATTR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR)
    )
}

/// The file name in a `Content-Disposition` value: `filename*` (percent-decoded UTF-8 or
/// ISO-8859-1) if present and decodable, else `filename`. Not reduced to a safe local name:
/// that is the caller's policy.
pub fn filename(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (key, val) in params(value) {
        match key.to_ascii_lowercase().as_str() {
            "filename*" => extended = extended.or_else(|| decode_ext_value(&val)),
            "filename" => plain = plain.or(Some(val)),
            _ => {}
        }
    }
    extended.or(plain)
}

/// The `key=value` parameters after the disposition type, quoted strings unquoted.
fn params(value: &str) -> Vec<(String, String)> {
    // Split on `;` outside quoted strings: a quoted file name may hold `;` and `\"`.
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut escaped = false;
    for c in value.chars() {
        if in_quotes {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_quotes = false;
            }
        } else if c == ';' {
            parts.push(std::mem::take(&mut current));
        } else {
            if c == '"' {
                in_quotes = true;
            }
            current.push(c);
        }
    }
    parts.push(current);
    let mut out = Vec::new();
    // The first part is the type (`attachment`).
    for part in parts.into_iter().skip(1) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            Some(inner) => unquote(inner),
            None => v.to_string(),
        };
        out.push((k.trim().to_string(), v));
    }
    out
}

/// The content of a quoted-string: `\x` stands for `x`.
fn unquote(inner: &str) -> String {
    let mut s = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                s.push(n);
            }
        } else {
            s.push(c);
        }
    }
    s
}

/// `charset'language'percent-encoded` (RFC 8187).
fn decode_ext_value(value: &str) -> Option<String> {
    let mut it = value.splitn(3, '\'');
    let charset = it.next()?.trim().to_ascii_lowercase();
    let _language = it.next()?;
    let encoded = it.next()?;
    let bytes = percent_decode(encoded)?;
    match charset.as_str() {
        "utf-8" => String::from_utf8(bytes).ok(),
        "iso-8859-1" => Some(bytes.into_iter().map(char::from).collect()),
        _ => None,
    }
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            // `from_str_radix` alone would take `%+1` as 0x01.
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{content_disposition, filename};

    #[test]
    fn file_names_from_content_disposition() {
        assert_eq!(
            filename(
                "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
            )
            .as_deref(),
            Some("résumé \"final\".pdf")
        );
        assert_eq!(
            filename("attachment; filename=\"a \\\"b\\\"; c.txt\"").as_deref(),
            Some("a \"b\"; c.txt")
        );
        assert_eq!(
            filename("attachment; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        assert_eq!(
            filename("attachment; FILENAME*=iso-8859-1'en'%E9t%E9.txt").as_deref(),
            Some("été.txt")
        );
        // An undecodable filename* falls back to filename.
        assert_eq!(
            filename("attachment; filename*=UTF-8''%FF%FE; filename=\"x.bin\"").as_deref(),
            Some("x.bin")
        );
        assert_eq!(filename("attachment; filename*=UTF-8''%4"), None);
        // A sign is not a hex digit: `%+1` is malformed, not byte 0x01.
        assert_eq!(
            filename("attachment; filename*=UTF-8''a%+1; filename=\"a_1\"").as_deref(),
            Some("a_1")
        );
        assert_eq!(filename("attachment"), None);
    }

    #[test]
    fn disposition_encodes_unicode_and_quotes() {
        assert_eq!(
            content_disposition("résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
    }

    /// Whatever name the server's encoder writes, this parser reads back unchanged.
    #[test]
    fn round_trip_with_the_servers_encoder() {
        let names = [
            "plain.txt",
            "résumé \"final\".pdf",
            "a;b=c, d.txt",
            "back\\slash.bin",
            "100% sure #1 & 'quoted' (copy).tar.gz",
            "emoji 🚢 ferry.png",
            "日本語のファイル.txt",
            "tab\there",
            "filename*=UTF-8''evil.txt",
            "   spaces   ",
            "~!@$^&*_+`|{}[]<>?=.x",
        ];
        for name in names {
            let value = content_disposition(name);
            assert!(
                value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()),
                "{value}"
            );
            let value = value.as_str();
            assert_eq!(filename(value).as_deref(), Some(name), "{value}");
            // The ASCII fallback alone still reads as a name (for old clients).
            let fallback = value.split("; filename*=").next().unwrap();
            assert!(
                filename(fallback).is_some_and(|n| !n.is_empty()),
                "{fallback}"
            );
        }
    }
}
