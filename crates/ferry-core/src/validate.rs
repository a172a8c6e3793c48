//! Validation of everything a user can name or number. Each failure names the field and a
//! stable error code, so the HTTP layer can answer `400` precisely.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Why an input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The offending input field, as named on the wire.
    pub field: &'static str,
    /// Stable snake_case error code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            field,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

/// Longest file or folder name, in UTF-8 bytes (the common filesystem limit).
pub const MAX_NAME_BYTES: usize = 255;

/// A file or folder name: 1..=255 bytes, no path separators, no NUL or control characters,
/// not `.` or `..`, no leading or trailing whitespace. Names never reach the filesystem (blobs
/// are stored by hash), but clients that save files by name must be safe too.
pub fn name(field: &'static str, value: &str) -> Result<(), Invalid> {
    let bad = |why: &str| Err(Invalid::new(field, "invalid_name", why.to_string()));
    if value.is_empty() {
        return bad("Name must not be empty.");
    }
    if value.len() > MAX_NAME_BYTES {
        return bad("Name must be at most 255 bytes of UTF-8.");
    }
    if value == "." || value == ".." {
        return bad("Name must not be \".\" or \"..\".");
    }
    if value.contains(['/', '\\']) {
        return bad("Name must not contain '/' or '\\'.");
    }
    if value.chars().any(|c| c.is_control()) {
        return bad("Name must not contain NUL or control characters.");
    }
    if value.chars().any(is_invisible_formatting) {
        return bad(
            "Name must not contain bidirectional overrides or zero-width characters: they make a name display as something it is not.",
        );
    }
    if value.trim() != value {
        return bad("Name must not start or end with whitespace.");
    }
    if value.ends_with('.') {
        return bad("Name must not end with a dot.");
    }
    Ok(())
}

/// A valid name in the form it is stored in: NFC-normalised, so that the same name typed on
/// macOS (decomposed) and on Windows (composed) is one name.
pub fn stored_name(field: &'static str, value: &str) -> Result<String, Invalid> {
    let nfc: String = value.nfc().collect();
    name(field, &nfc)?;
    Ok(nfc)
}

/// The key under which a name is unique among its siblings: case-insensitive (Unicode
/// lowercase of the NFC form), so `Report.pdf` and `report.PDF` cannot sit side by side.
pub fn name_key(name: &str) -> String {
    let lower = name.nfc().collect::<String>().to_lowercase();
    lower.nfc().collect()
}

/// The `n`th alternative to a taken name: `report (n).pdf`, `folder (n)`.
pub fn numbered(name: &str, n: u32) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    format!("{stem} ({n}){ext}")
}

/// Deepest folder nesting: a folder may sit at most this many levels below the root.
pub const MAX_DEPTH: usize = 64;

/// The folder names of a `relative_path` (`a/b/c`, as browsers send a dropped folder's
/// files), each a valid [`stored_name`]: at most [`MAX_DEPTH`] of them, no empty segment.
/// Leading and trailing slashes are ignored; an empty path names no folder.
pub fn relative_path(value: &str) -> Result<Vec<String>, Invalid> {
    let bad = |why: String| Invalid::new("relative_path", "invalid_relative_path", why);
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let segments: Vec<&str> = trimmed.split('/').collect();
    if segments.len() > MAX_DEPTH {
        return Err(bad("relative_path has more than 64 levels.".into()));
    }
    let mut names = Vec::with_capacity(segments.len());
    for segment in &segments {
        if segment.is_empty() {
            return Err(bad(
                "relative_path must not contain empty segments (`a//b`).".into(),
            ));
        }
        let name = stored_name("relative_path", segment).map_err(|e| {
            bad(format!(
                "`{segment}` is not a valid folder name: {}",
                e.message
            ))
        })?;
        names.push(name);
    }
    Ok(names)
}

/// Characters that change how a name is displayed without being seen: bidirectional
/// embeddings, overrides and isolates (`invoice\u{202E}gnp.exe` shows as `invoiceexe.png`) and
/// zero-width characters.
fn is_invisible_formatting(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

/// A login: 1..=128 characters of letters, digits and `.@_+-`.
pub fn login(value: &str) -> Result<(), Invalid> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '@' | '_' | '+' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            "login",
            "invalid_login",
            "Login must be 1 to 128 letters, digits or . @ _ + -.",
        ))
    }
}

/// A password: 8..=1024 bytes (the upper bound keeps Argon2 inputs reasonable).
pub fn password(value: &str) -> Result<(), Invalid> {
    if (8..=1024).contains(&value.len()) {
        Ok(())
    } else {
        Err(Invalid::new(
            "password",
            "invalid_password",
            "Password must be 8 to 1024 bytes long.",
        ))
    }
}

/// A display name: at most 255 bytes, no control characters.
pub fn display_name(value: &str) -> Result<(), Invalid> {
    if value.len() <= MAX_NAME_BYTES && !value.chars().any(|c| c.is_control()) {
        Ok(())
    } else {
        Err(Invalid::new(
            "name",
            "invalid_name",
            "Name must be at most 255 bytes without control characters.",
        ))
    }
}

/// An integer within `range`, reported as `invalid_value` on `field` otherwise.
pub fn in_range(
    field: &'static str,
    value: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, Invalid> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(
            field,
            "invalid_value",
            format!(
                "{field} must be between {} and {}.",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// Longest retention, in days (ten years).
pub const MAX_RETENTION_DAYS: i64 = 3650;

/// The longest prefix of `s` of at most `max_bytes` bytes that ends on a character boundary
/// (for error texts and excerpts kept in bounded columns).
pub fn clip(s: &str, max_bytes: usize) -> &str {
    let mut end = s.len().min(max_bytes);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_unicode_names() {
        for ok in [
            "report.pdf",
            "Ünïcødé 名前.txt",
            ".hidden",
            "a..b",
            &"x".repeat(255),
        ] {
            assert_eq!(name("name", ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_hostile_names() {
        let long = "é".repeat(128); // 256 bytes
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "..\\x",
            "nul\0",
            "tab\there",
            "line\n",
            " lead",
            "trail ",
            &long,
            "invoice\u{202E}gnp.exe",
            "a\u{2066}b",
            "zero\u{200B}width",
            "bom\u{FEFF}.txt",
            "joiner\u{200D}",
            "trailing.",
        ] {
            let err = name("name", bad).unwrap_err();
            assert_eq!(err.code, "invalid_name", "{bad:?}");
            assert_eq!(err.field, "name");
        }
    }

    #[test]
    fn names_are_stored_nfc_and_compared_without_case() {
        let decomposed = "Cafe\u{301}.txt";
        assert_eq!(stored_name("name", decomposed).unwrap(), "Caf\u{e9}.txt");
        assert_eq!(name_key("Report.PDF"), name_key("report.pdf"));
        assert_eq!(name_key("\u{c9}T\u{c9}"), name_key("e\u{301}t\u{e9}"));
        assert_ne!(name_key("a.txt"), name_key("b.txt"));
        assert!(stored_name("name", "x.").is_err());
    }

    #[test]
    fn logins_and_passwords() {
        assert!(login("alice@example.com").is_ok());
        assert!(login("").is_err());
        assert!(login("a b").is_err());
        assert!(password("short").is_err());
        assert!(password("long enough").is_ok());
    }

    #[test]
    fn ranges() {
        assert_eq!(
            in_range("retention_days", 30, 0..=MAX_RETENTION_DAYS),
            Ok(30)
        );
        assert_eq!(
            in_range("retention_days", -1, 0..=MAX_RETENTION_DAYS)
                .unwrap_err()
                .code,
            "invalid_value"
        );
    }
}
