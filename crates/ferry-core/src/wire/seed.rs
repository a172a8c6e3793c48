//! The request bodies of the seed-compatible paths: seed 003's `create_session` JSON and seed
//! 004's `/fileshare` JSON bodies and form fields. Each failure is an [`Invalid`] naming the
//! seed's field, which the doors render in their own shapes.

use serde::Deserialize;

use crate::OnConflict;
use crate::timefmt::parse_rfc3339;
use crate::validate::{Invalid, in_range};

/// Seed 003's `createOn`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOn {
    pub utc_time: Option<String>,
}

/// Seed 003's `POST …/upload/create_session` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSession {
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub relative_path: Option<String>,
    pub create_on: Option<CreateOn>,
    #[serde(default)]
    pub encrypted: bool,
    pub create_new_if_exist: Option<bool>,
}

/// What a seed 003 session asks for, checked (the name itself is checked when the upload opens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    pub file_name: String,
    /// Not negative.
    pub file_size: i64,
    /// Not blank.
    pub relative_path: Option<String>,
    pub client_modified_at: Option<i64>,
    pub on_conflict: OnConflict,
}

impl CreateSession {
    /// The request's fields, or the first one that is missing or wrong.
    pub fn checked(self) -> Result<SessionRequest, Invalid> {
        if self.encrypted {
            return Err(Invalid::new(
                "encrypted",
                "encryption_unsupported",
                "Ferry does not store client-encrypted files; send `\"encrypted\": false`.",
            ));
        }
        let file_name = self
            .file_name
            .ok_or_else(|| Invalid::new("fileName", "missing_field", "`fileName` is required."))?;
        let file_size = self
            .file_size
            .ok_or_else(|| Invalid::new("fileSize", "missing_field", "`fileSize` is required."))?;
        if file_size < 0 {
            return Err(Invalid::new(
                "fileSize",
                "invalid_value",
                "`fileSize` must not be negative.",
            ));
        }
        let client_modified_at = self
            .create_on
            .and_then(|c| c.utc_time)
            .map(|t| {
                parse_rfc3339(&t).ok_or_else(|| {
                    Invalid::new(
                        "createOn.utcTime",
                        "invalid_value",
                        "createOn.utcTime must be an RFC 3339 time such as 2026-11-22T12:00:00Z.",
                    )
                })
            })
            .transpose()?;
        // The seed's `createNewIfExist: false` replaces the existing file: a new version here.
        let on_conflict = match self.create_new_if_exist {
            Some(false) => OnConflict::NewVersion,
            _ => OnConflict::Rename,
        };
        Ok(SessionRequest {
            file_name,
            file_size,
            relative_path: self.relative_path.filter(|p| !p.trim().is_empty()),
            client_modified_at,
            on_conflict,
        })
    }
}

/// Longest `ttl` of a seed 004 upload (ten years).
pub const MAX_TTL_SECS: i64 = 10 * 365 * 86_400;

/// The `ttl` form field of a seed 004 upload: whole seconds, 1..=[`MAX_TTL_SECS`].
pub fn ttl_field(text: &str) -> Result<i64, Invalid> {
    let t: i64 = text.trim().parse().map_err(|_| {
        Invalid::new(
            "ttl",
            "invalid_value",
            "ttl must be a whole number of seconds.",
        )
    })?;
    in_range("ttl", t, 1..=MAX_TTL_SECS)
}

/// Whether a body counts as absent (seed clients send nothing, or whitespace).
fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// The `ttl` of `POST /fileshare/sessions` (`{"ttl": seconds}`): `None` when the body or the
/// key is absent (or null), for the default.
pub fn session_ttl(body: &[u8]) -> Result<Option<i64>, Invalid> {
    if is_blank(body) {
        return Ok(None);
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        Invalid::new(
            "body",
            "invalid_value",
            "The body must be JSON, e.g. {\"ttl\": 3600}.",
        )
    })?;
    match v.get("ttl") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(t) => t.as_i64().map(Some).ok_or_else(|| {
            Invalid::new(
                "ttl",
                "invalid_value",
                "ttl must be a whole number of seconds.",
            )
        }),
    }
}

/// The `max_downloads` of a seed 004 download token (`{"max_downloads": n}`): one when the body
/// or the key is absent, `None` (no limit) when it is null.
pub fn max_downloads(body: &[u8]) -> Result<Option<i64>, Invalid> {
    if is_blank(body) {
        return Ok(Some(1));
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        Invalid::new(
            "body",
            "invalid_value",
            "The body must be JSON, e.g. {\"max_downloads\": 3}.",
        )
    })?;
    match v.get("max_downloads") {
        None => Ok(Some(1)),
        Some(serde_json::Value::Null) => Ok(None),
        Some(m) => m.as_i64().map(Some).ok_or_else(|| {
            Invalid::new(
                "max_downloads",
                "invalid_value",
                "max_downloads must be a whole number.",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(json: &str) -> Result<SessionRequest, Invalid> {
        serde_json::from_str::<CreateSession>(json)
            .unwrap()
            .checked()
    }

    #[test]
    fn create_session_bodies() {
        let s = session(
            r#"{"fileName":"a.txt","fileSize":3,"relativePath":" ","createOn":{"utcTime":"2026-11-28T12:00:00Z"},"createNewIfExist":false}"#,
        )
        .unwrap();
        assert_eq!(s.file_size, 3);
        assert_eq!(s.relative_path, None);
        assert_eq!(s.client_modified_at, Some(1_795_867_200_000));
        assert_eq!(s.on_conflict, OnConflict::NewVersion);
        assert_eq!(session(r#"{"fileSize":3}"#).unwrap_err().field, "fileName");
        assert_eq!(
            session(r#"{"fileName":"a","fileSize":-1}"#)
                .unwrap_err()
                .field,
            "fileSize"
        );
        assert_eq!(
            session(r#"{"fileName":"a","fileSize":1,"encrypted":true}"#)
                .unwrap_err()
                .code,
            "encryption_unsupported"
        );
    }

    #[test]
    fn fileshare_bodies() {
        assert_eq!(session_ttl(b" \n"), Ok(None));
        assert_eq!(session_ttl(br#"{"ttl": 60}"#), Ok(Some(60)));
        assert_eq!(session_ttl(br#"{"ttl": null}"#), Ok(None));
        assert!(session_ttl(br#"{"ttl": "60"}"#).is_err());
        assert!(session_ttl(b"ttl=60").is_err());
        assert_eq!(max_downloads(b""), Ok(Some(1)));
        assert_eq!(max_downloads(br#"{"max_downloads": null}"#), Ok(None));
        assert_eq!(max_downloads(br#"{"max_downloads": 3}"#), Ok(Some(3)));
        assert_eq!(ttl_field(" 60 "), Ok(60));
        assert!(ttl_field("0").is_err());
        assert!(ttl_field("x").is_err());
    }
}
