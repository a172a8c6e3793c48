//! Previews: what `GET /files/{id}/preview` shows of a file, inline and safe. Images as their
//! `xl` thumbnail; text and source code as the first [`TEXT_BYTES`] of text; PDF, audio and
//! video as themselves (served inline by the door, with Range, in a sandbox). Nothing a
//! browser could run as the portal's origin: no HTML, no SVG, never anything inline without
//! its type pinned.

use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;
use ferry_store::files::File;

/// The most text a preview shows.
pub const TEXT_BYTES: u64 = 256 * 1024;

/// How a file is previewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    /// The `xl` thumbnail.
    Image,
    /// The first [`TEXT_BYTES`] as `text/plain; charset=utf-8`, invalid UTF-8 replaced.
    Text,
    /// The PDF itself, inline in a sandbox.
    Pdf,
    /// The audio or video itself, inline, through the Range content path.
    Media,
}

/// How a file of `mime` is previewed, if at all.
pub fn kind_of(mime: &str) -> Option<Preview> {
    let essence = mime.split(';').next().unwrap_or("").trim();
    match essence {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" => Some(Preview::Image),
        // Never rendered, never inline: an SVG can carry script.
        "image/svg+xml" => None,
        "application/pdf" => Some(Preview::Pdf),
        m if m.starts_with("audio/") || m.starts_with("video/") => Some(Preview::Media),
        // HTML too: as plain text it is only its source.
        m if m.starts_with("text/") => Some(Preview::Text),
        "application/json"
        | "application/xml"
        | "application/javascript"
        | "application/x-javascript"
        | "application/ecmascript"
        | "application/x-sh"
        | "application/x-yaml"
        | "application/yaml"
        | "application/toml"
        | "application/x-toml"
        | "application/sql"
        | "application/x-httpd-php"
        | "application/rtf" => Some(Preview::Text),
        _ => None,
    }
}

/// The file and how to preview it, if the caller may download it (the scan rule included).
pub async fn open(app: &AppState, caller: &Caller, id: &str) -> Result<(File, Preview)> {
    let (file, _) = crate::files::downloadable(app, caller, id).await?;
    let kind = kind_of(&file.mime_type).ok_or(Error::PreviewUnavailable)?;
    Ok((file, kind))
}

/// Text for a preview: lossy UTF-8 (a character cut at the end becomes U+FFFD too).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind_of("image/png"), Some(Preview::Image));
        assert_eq!(kind_of("image/svg+xml"), None);
        assert_eq!(kind_of("text/html"), Some(Preview::Text));
        assert_eq!(kind_of("text/x-rust; charset=utf-8"), Some(Preview::Text));
        assert_eq!(kind_of("video/mp4"), Some(Preview::Media));
        assert_eq!(kind_of("application/pdf"), Some(Preview::Pdf));
        assert_eq!(kind_of("application/zip"), None);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(text(b"ok \xff\xfe end"), "ok \u{fffd}\u{fffd} end");
    }
}
