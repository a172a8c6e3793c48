//! The domain error: what a use case answers instead of success. Every error code Ferry
//! reports lives in [`Error::code`], one exhaustive match; the doors (JSON API, tus, WebDAV…)
//! map each variant to their own status in one match of their own.

use serde_json::{Value, json};

/// Everything a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused by validation; `code` is stable (`invalid_name`, `invalid_value`…).
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("Authentication required.")]
    Unauthorized,
    #[error("Wrong login or password.")]
    InvalidCredentials,
    #[error("The access token has expired. Log in again.")]
    TokenExpired,
    #[error("This account is disabled.")]
    AccountDisabled,
    /// The account was deleted (it may still be restored by an admin until it is purged).
    #[error("This account was deleted.")]
    AccountDeleted,
    /// The account's expiry date has passed.
    #[error("This account has expired. Ask an admin to extend it.")]
    AccountExpired,
    /// The password was right, but the account has two-factor login: send `otp` too.
    #[error("This account needs a code from its authenticator app (`otp`).")]
    OtpRequired,
    /// A wrong, expired or already used TOTP or recovery code.
    #[error("The code is wrong, expired or already used.")]
    InvalidOtp,
    /// The token's device was wiped remotely: it must delete what it holds of the account and
    /// confirm with `POST /auth/wiped`.
    #[error("This device was wiped remotely: delete the account's local data and confirm.")]
    DeviceWiped,
    /// The token was not issued for this kind of request (a read-only token writing).
    #[error("This token's scopes do not allow this request.")]
    InsufficientScope,
    /// The user's company is inactive or expired: its users cannot log in.
    #[error("This account's company is not active.")]
    CompanyInactive,
    /// A policy on the caller's company, groups or account refuses this action (or this
    /// client address).
    #[error("{0}")]
    PolicyDenied(String),
    #[error("Too many failed logins; the account is locked. Try again later or ask an admin.")]
    AccountLocked { retry_after_secs: i64 },
    /// The caller's role does not allow this (an admin-only operation).
    #[error("This needs the admin role.")]
    Forbidden,
    /// The caller sees the object but their role does not allow this change.
    #[error("You may see this, but not change it.")]
    PermissionDenied,
    /// Not there, or not visible to the caller: the same answer, so nothing leaks.
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    NameConflict(String),
    /// A concurrent change won (a unique constraint, a compare-and-set that lost).
    #[error("{0}")]
    Conflict(String),
    #[error("The file is held by the folder's retention policy.")]
    FileHeld,
    #[error("The file has expired.")]
    FileExpired,
    /// The folder (or the top-level folder above it) has passed its `expires_at`.
    #[error("The folder has expired.")]
    FolderExpired,
    /// A change-feed cursor older than the feed's retention window (`changes.keep_days`):
    /// changes after it are gone, so the client must list again and start from a new cursor.
    #[error("This cursor is older than the change feed keeps; list again and start anew.")]
    CursorExpired,
    /// The virus scanner found something in the content: it is quarantined.
    #[error("The file is infected ({signature}); it cannot be downloaded.")]
    FileInfected { signature: String },
    /// The content has not been scanned yet (`scan.policy = "block_until_clean"`).
    #[error("The file is being scanned for viruses; try again shortly.")]
    ScanPending,
    /// The file type has no thumbnail, or this content could not be rendered.
    #[error("There is no thumbnail for this file.")]
    ThumbnailUnavailable,
    /// The file type has no preview.
    #[error("There is no preview for this file.")]
    PreviewUnavailable,
    #[error("The file is not held; only held files can be restored.")]
    FileNotHeld,
    /// The object changed since the caller read it (`If-Match` did not match).
    #[error("The object has changed since it was read; fetch it again and retry.")]
    PreconditionFailed,
    /// A move of a folder into itself or below itself.
    #[error("A folder cannot be moved into itself or into a folder below it.")]
    InvalidMove,
    #[error("Folders nest at most {max} levels deep.")]
    TooDeep { max: usize },
    #[error("The place this item was deleted from is gone; give a parent_id to restore it to.")]
    OriginalParentMissing,
    #[error("The current version cannot be deleted; restore another version first.")]
    CurrentVersion,
    #[error("The request body is too large (limit {limit} bytes).")]
    PayloadTooLarge { limit: u64 },
    #[error("The upload would exceed the storage quota.")]
    QuotaExceeded { limit: Option<i64>, used: i64 },
    #[error("The folder `{folder}` may hold at most {limit} bytes; this would pass it.")]
    FolderSizeLimit {
        folder: String,
        limit: i64,
        used: i64,
    },
    #[error("The file is larger than the server accepts ({limit} bytes).")]
    FileTooLarge { limit: i64 },
    /// The content stream broke off (the client went away, or sent too slowly).
    #[error("The request body could not be read.")]
    BodyRead,
    #[error("Upload session has expired. Start a new upload.")]
    UploadExpired,
    #[error("The upload is already completed.")]
    UploadAlreadyCompleted,
    #[error("The upload was aborted.")]
    UploadAborted,
    #[error("The upload failed verification; start a new upload.")]
    UploadFailed,
    #[error("Parts are missing; send them and complete again.")]
    UploadIncomplete { missing_parts: Vec<i64> },
    #[error("The file's SHA-256 is {actual}, not the declared {expected}. Nothing was stored.")]
    ChecksumMismatch { expected: String, actual: String },
    #[error("The part's bytes do not match its Content-Digest. The part was not kept.")]
    PartChecksumMismatch,
    /// A tus chunk that does not match its `Upload-Checksum`.
    #[error("The chunk does not match its Upload-Checksum; it was discarded.")]
    ChunkChecksumMismatch,
    #[error("Part {part_no} must be exactly {expected} bytes; received {received}.")]
    PartSizeMismatch {
        part_no: i64,
        expected: u64,
        received: u64,
    },
    #[error("Part numbers run from 1 to {part_count}.")]
    InvalidPartNumber { part_count: i64 },
    #[error("`parts` must name every part from 1 to {part_count} exactly once.")]
    InvalidParts {
        part_count: i64,
        duplicates: Vec<i64>,
        missing: Vec<i64>,
    },
    /// A tus append at the wrong offset.
    #[error("Upload-Offset is {given} but the upload is at {current}.")]
    OffsetMismatch { given: i64, current: i64 },
    #[error("The download link has expired.")]
    LinkExpired,
    #[error("The download link has been used up.")]
    LinkExhausted,
    #[error("The download link was revoked.")]
    LinkRevoked,
    #[error("This link needs its password: unlock it first.")]
    LinkPasswordRequired,
    #[error("Wrong password for this link.")]
    InvalidLinkPassword,
    #[error("Too many wrong passwords for this link; try again later.")]
    TooManyAttempts { retry_after_secs: i64 },
    /// A client address or a user went over its rate limit (`rate_limits.*`).
    #[error("Too many requests; slow down and try again later.")]
    TooManyRequests { retry_after_secs: i64 },
    #[error("Watermarks are only for PNG and JPEG images.")]
    WatermarkUnsupported,
    #[error("The webhook is disabled; re-enable it with PATCH {{\"active\": true}} first.")]
    WebhookInactive,
    #[error("The service is not ready.")]
    Unavailable,
    /// What was asked needs e-mail, and `mail.smtp_url` is not set.
    #[error("This server sends no e-mail (mail.smtp_url is not set); ask an admin.")]
    MailNotConfigured,
    /// A password reset token that is unknown, used already, or expired (one answer for all).
    #[error(
        "This password reset link is not valid: it is wrong, used already or expired. Ask for a new one."
    )]
    ResetTokenInvalid,
    /// Self-registration is off (`accounts.registration = "closed"`).
    #[error("This server does not take sign-ups; ask an admin for an account.")]
    RegistrationClosed,
    /// A sign-up confirmation token that is unknown, used already, or expired (one answer).
    #[error(
        "This confirmation link is not valid: it is wrong, used already or expired. Sign up again."
    )]
    RegistrationTokenInvalid,
    /// A bug or a broken dependency; logged once by the door, shown as a generic message.
    #[error("Internal error.")]
    Internal(#[source] anyhow::Error),
}

/// What use cases return.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Refused input, naming the field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    /// Refused input that no single field explains.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Error::Internal(e.into())
    }

    /// The stable snake_case code: the catalogue of every domain error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { code, .. } => code,
            Error::Unauthorized => "unauthorized",
            Error::InvalidCredentials => "invalid_credentials",
            Error::TokenExpired => "token_expired",
            Error::AccountDisabled => "account_disabled",
            Error::AccountDeleted => "account_deleted",
            Error::AccountExpired => "account_expired",
            Error::OtpRequired => "otp_required",
            Error::InvalidOtp => "invalid_otp",
            Error::DeviceWiped => "device_wiped",
            Error::InsufficientScope => "insufficient_scope",
            Error::AccountLocked { .. } => "account_locked",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::PermissionDenied => "permission_denied",
            Error::NameConflict(_) => "name_conflict",
            Error::Conflict(_) => "conflict",
            Error::FileHeld => "file_held",
            Error::FileExpired => "file_expired",
            Error::FolderExpired => "folder_expired",
            Error::CursorExpired => "cursor_expired",
            Error::FileNotHeld => "file_not_held",
            Error::FileInfected { .. } => "file_infected",
            Error::ScanPending => "scan_pending",
            Error::ThumbnailUnavailable => "thumbnail_unavailable",
            Error::PreviewUnavailable => "preview_unavailable",
            Error::PreconditionFailed => "precondition_failed",
            Error::InvalidMove => "invalid_move",
            Error::TooDeep { .. } => "depth_limit_exceeded",
            Error::OriginalParentMissing => "original_parent_missing",
            Error::CurrentVersion => "current_version",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::QuotaExceeded { .. } => "quota_exceeded",
            Error::FolderSizeLimit { .. } => "folder_size_limit",
            Error::FileTooLarge { .. } => "file_too_large",
            Error::BodyRead => "body_read_failed",
            Error::UploadExpired => "upload_session_expired",
            Error::UploadAlreadyCompleted => "upload_already_completed",
            Error::UploadAborted => "upload_aborted",
            Error::UploadFailed => "upload_failed",
            Error::UploadIncomplete { .. } => "upload_incomplete",
            Error::ChecksumMismatch { .. } => "checksum_mismatch",
            Error::PartChecksumMismatch => "part_checksum_mismatch",
            Error::ChunkChecksumMismatch => "chunk_checksum_mismatch",
            Error::PartSizeMismatch { .. } => "part_size_mismatch",
            Error::InvalidPartNumber { .. } => "invalid_part_number",
            Error::InvalidParts { .. } => "invalid_parts",
            Error::OffsetMismatch { .. } => "offset_mismatch",
            Error::LinkExpired => "link_expired",
            Error::LinkExhausted => "link_exhausted",
            Error::LinkRevoked => "link_revoked",
            Error::CompanyInactive => "company_inactive",
            Error::PolicyDenied(_) => "policy_denied",
            Error::LinkPasswordRequired => "link_password_required",
            Error::InvalidLinkPassword => "invalid_link_password",
            Error::TooManyAttempts { .. } => "too_many_attempts",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::WatermarkUnsupported => "watermark_unsupported",
            Error::WebhookInactive => "webhook_inactive",
            Error::Unavailable => "unavailable",
            Error::MailNotConfigured => "mail_not_configured",
            Error::ResetTokenInvalid => "reset_token_invalid",
            Error::RegistrationClosed => "registration_closed",
            Error::RegistrationTokenInvalid => "registration_token_invalid",
            Error::Internal(_) => "internal_error",
        }
    }

    /// The offending input, where there is one.
    pub fn field(&self) -> Option<String> {
        match self {
            Error::Invalid { field, .. } => field.clone(),
            Error::ChecksumMismatch { .. } => Some("checksum_sha256".into()),
            Error::PartChecksumMismatch => Some("Content-Digest".into()),
            Error::InvalidPartNumber { .. } => Some("part_no".into()),
            Error::InvalidParts { .. } => Some("parts".into()),
            Error::ResetTokenInvalid | Error::RegistrationTokenInvalid => Some("token".into()),
            _ => None,
        }
    }

    /// Structured extra data for the client.
    pub fn details(&self) -> Option<Value> {
        match self {
            Error::QuotaExceeded { limit, used } => {
                Some(json!({"limit_bytes": limit, "used_bytes": used}))
            }
            Error::FolderSizeLimit {
                folder,
                limit,
                used,
            } => Some(json!({"folder": folder, "limit_bytes": limit, "used_bytes": used})),
            Error::FileTooLarge { limit } => Some(json!({"max_file_size": limit})),
            Error::AccountLocked { retry_after_secs }
            | Error::TooManyAttempts { retry_after_secs }
            | Error::TooManyRequests { retry_after_secs } => {
                Some(json!({"retry_after_secs": retry_after_secs}))
            }
            Error::UploadIncomplete { missing_parts } => {
                Some(json!({"missing_parts": missing_parts}))
            }
            Error::ChecksumMismatch { expected, actual } => {
                Some(json!({"expected": expected, "actual": actual}))
            }
            Error::PartSizeMismatch {
                expected, received, ..
            } => Some(json!({"expected": expected, "received": received})),
            Error::InvalidPartNumber { part_count } => Some(json!({"part_count": part_count})),
            Error::TooDeep { max } => Some(json!({"max_depth": max})),
            Error::DeviceWiped => Some(json!({"wipe": true})),
            Error::FileInfected { signature } => Some(json!({"signature": signature})),
            Error::InvalidParts {
                part_count,
                duplicates,
                missing,
            } => Some(json!({
                "part_count": part_count, "duplicates": duplicates, "missing": missing
            })),
            Error::OffsetMismatch { given, current } => {
                Some(json!({"given": given, "current": current}))
            }
            _ => None,
        }
    }
}

impl From<ferry_store::StoreError> for Error {
    fn from(e: ferry_store::StoreError) -> Self {
        match e {
            // A unique violation nobody turned into a better answer is still a conflict the
            // client can retry, never an internal error.
            ferry_store::StoreError::Conflict => {
                Error::Conflict("A concurrent change conflicted with this one; retry.".into())
            }
            other => Error::Internal(other.into()),
        }
    }
}

impl From<ferry_store::DbError> for Error {
    fn from(e: ferry_store::DbError) -> Self {
        Error::Internal(e.into())
    }
}

impl From<ferry_core::Invalid> for Error {
    fn from(e: ferry_core::Invalid) -> Self {
        Error::Invalid {
            code: e.code,
            message: e.message,
            field: Some(e.field.to_string()),
        }
    }
}

impl From<ferry_blob::BlobError> for Error {
    fn from(e: ferry_blob::BlobError) -> Self {
        match e {
            ferry_blob::BlobError::Body(_) => Error::BodyRead,
            ferry_blob::BlobError::TooLarge { limit } => Error::PayloadTooLarge { limit },
            other => Error::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unique_violation_is_a_conflict_not_an_internal_error() {
        let e: Error = ferry_store::StoreError::Conflict.into();
        assert_eq!(e.code(), "conflict");
    }
}
