//! The one HTTP error type. `status()` and `code()` are each one exhaustive match; the body is
//! rendered with the request id by the request-context middleware (`http::context`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Everything a handler can answer with instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
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
    #[error("Too many failed logins; the account is locked. Try again later or ask an admin.")]
    AccountLocked { retry_after_secs: i64 },
    #[error("This needs the admin role.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Method not allowed.")]
    MethodNotAllowed,
    #[error("{0}")]
    NameConflict(String),
    #[error("The file is held by the folder's retention policy.")]
    FileHeld,
    #[error("The file has expired.")]
    FileExpired,
    #[error("The request body is too large (limit {limit} bytes).")]
    PayloadTooLarge { limit: u64 },
    #[error("The upload would exceed the storage quota.")]
    QuotaExceeded { limit: Option<i64>, used: i64 },
    #[error("The file is larger than the server accepts ({limit} bytes).")]
    FileTooLarge { limit: i64 },
    #[error("Content-Type must be {expected}.")]
    UnsupportedContentType { expected: &'static str },
    #[error("The requested range is not satisfiable for a file of {size} bytes.")]
    RangeNotSatisfiable { size: u64 },
    #[error("The request body could not be read.")]
    BodyRead,
    #[error("The request body did not arrive in time.")]
    RequestTimeout,
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
    #[error("The chunk does not match its Upload-Checksum; it was discarded.")]
    TusChecksumMismatch,
    #[error("A tus PATCH needs Content-Type: application/offset+octet-stream.")]
    TusContentType,
    #[error("This server speaks tus 1.0.0 (Tus-Resumable: 1.0.0).")]
    TusVersion,
    #[error("Upload-Offset is {given} but the upload is at {current}.")]
    OffsetMismatch { given: i64, current: i64 },
    #[error("The file is not held; only held files can be restored.")]
    FileNotHeld,
    #[error("The download link has expired.")]
    LinkExpired,
    #[error("The download link has been used up.")]
    LinkExhausted,
    #[error("The download link was revoked.")]
    LinkRevoked,
    #[error("Watermarks are only for PNG and JPEG images.")]
    WatermarkUnsupported,
    #[error("The webhook is disabled; re-enable it with PATCH {{\"active\": true}} first.")]
    WebhookInactive,
    #[error("Internal error.")]
    Internal(#[source] anyhow::Error),
    #[error("The service is not ready.")]
    Unavailable,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: Some(field.to_string()),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } | ApiError::BodyRead => StatusCode::BAD_REQUEST,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedContentType { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized
            | ApiError::InvalidCredentials
            | ApiError::TokenExpired
            | ApiError::AccountDisabled => StatusCode::UNAUTHORIZED,
            ApiError::AccountLocked { .. } => StatusCode::LOCKED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NameConflict(_) => StatusCode::CONFLICT,
            ApiError::FileHeld | ApiError::FileExpired => StatusCode::GONE,
            ApiError::PayloadTooLarge { .. }
            | ApiError::QuotaExceeded { .. }
            | ApiError::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::UploadExpired => StatusCode::GONE,
            ApiError::UploadAlreadyCompleted
            | ApiError::UploadAborted
            | ApiError::UploadFailed
            | ApiError::UploadIncomplete { .. } => StatusCode::CONFLICT,
            ApiError::ChecksumMismatch { .. } | ApiError::PartChecksumMismatch => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::PartSizeMismatch { .. }
            | ApiError::InvalidPartNumber { .. }
            | ApiError::InvalidParts { .. } => StatusCode::BAD_REQUEST,
            // 460 is tus' own "Checksum Mismatch".
            ApiError::TusChecksumMismatch => StatusCode::from_u16(460).expect("valid status"),
            ApiError::TusContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TusVersion => StatusCode::PRECONDITION_FAILED,
            ApiError::OffsetMismatch { .. } => StatusCode::CONFLICT,
            ApiError::LinkExpired | ApiError::LinkExhausted | ApiError::LinkRevoked => {
                StatusCode::GONE
            }
            ApiError::WatermarkUnsupported => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::FileNotHeld => StatusCode::CONFLICT,
            ApiError::WebhookInactive => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::BodyRead => "body_read_failed",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::UnsupportedContentType { .. } => "unsupported_content_type",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::TokenExpired => "token_expired",
            ApiError::AccountDisabled => "account_disabled",
            ApiError::AccountLocked { .. } => "account_locked",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::NameConflict(_) => "name_conflict",
            ApiError::FileHeld => "file_held",
            ApiError::FileExpired => "file_expired",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::QuotaExceeded { .. } => "quota_exceeded",
            ApiError::FileTooLarge { .. } => "file_too_large",
            ApiError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            ApiError::UploadExpired => "upload_session_expired",
            ApiError::UploadAlreadyCompleted => "upload_already_completed",
            ApiError::UploadAborted => "upload_aborted",
            ApiError::UploadFailed => "upload_failed",
            ApiError::UploadIncomplete { .. } => "upload_incomplete",
            ApiError::ChecksumMismatch { .. } => "checksum_mismatch",
            ApiError::PartChecksumMismatch => "part_checksum_mismatch",
            ApiError::PartSizeMismatch { .. } => "part_size_mismatch",
            ApiError::InvalidPartNumber { .. } => "invalid_part_number",
            ApiError::InvalidParts { .. } => "invalid_parts",
            ApiError::TusChecksumMismatch => "chunk_checksum_mismatch",
            ApiError::TusContentType => "unsupported_content_type",
            ApiError::TusVersion => "unsupported_tus_version",
            ApiError::OffsetMismatch { .. } => "offset_mismatch",
            ApiError::LinkExpired => "link_expired",
            ApiError::LinkExhausted => "link_exhausted",
            ApiError::LinkRevoked => "link_revoked",
            ApiError::WatermarkUnsupported => "watermark_unsupported",
            ApiError::FileNotHeld => "file_not_held",
            ApiError::WebhookInactive => "webhook_inactive",
            ApiError::Internal(_) => "internal_error",
            ApiError::Unavailable => "unavailable",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::BadRequest { field, .. } => field.clone(),
            ApiError::UnsupportedContentType { .. } => Some("Content-Type".into()),
            ApiError::ChecksumMismatch { .. } => Some("checksum_sha256".into()),
            ApiError::PartChecksumMismatch => Some("Content-Digest".into()),
            ApiError::InvalidPartNumber { .. } => Some("part_no".into()),
            ApiError::InvalidParts { .. } => Some("parts".into()),
            _ => None,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            ApiError::QuotaExceeded { limit, used } => {
                Some(serde_json::json!({"limit_bytes": limit, "used_bytes": used}))
            }
            ApiError::FileTooLarge { limit } => Some(serde_json::json!({"max_file_size": limit})),
            ApiError::AccountLocked { retry_after_secs } => {
                Some(serde_json::json!({"retry_after_secs": retry_after_secs}))
            }
            ApiError::UploadIncomplete { missing_parts } => {
                Some(serde_json::json!({"missing_parts": missing_parts}))
            }
            ApiError::ChecksumMismatch { expected, actual } => {
                Some(serde_json::json!({"expected": expected, "actual": actual}))
            }
            ApiError::PartSizeMismatch {
                expected, received, ..
            } => Some(serde_json::json!({"expected": expected, "received": received})),
            ApiError::InvalidPartNumber { part_count } => {
                Some(serde_json::json!({"part_count": part_count}))
            }
            ApiError::InvalidParts {
                part_count,
                duplicates,
                missing,
            } => Some(serde_json::json!({
                "part_count": part_count, "duplicates": duplicates, "missing": missing
            })),
            ApiError::OffsetMismatch { given, current } => {
                Some(serde_json::json!({"given": given, "current": current}))
            }
            _ => None,
        }
    }
}

/// What the middleware needs to render an error body once the request id is known.
#[derive(Debug, Clone)]
pub struct ErrorPayload {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub details: Option<Value>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if let ApiError::Internal(e) = &self {
            // Logged once here with its chain; the client sees only the generic message.
            tracing::error!(error = format!("{e:#}"), "internal error");
            "Internal error.".to_string()
        } else {
            self.to_string()
        };
        let mut response = status.into_response();
        if let ApiError::RangeNotSatisfiable { size } = &self {
            response.headers_mut().insert(
                axum::http::header::CONTENT_RANGE,
                format!("bytes */{size}").parse().expect("valid header"),
            );
        }
        if let ApiError::TusVersion = &self {
            response
                .headers_mut()
                .insert("tus-version", axum::http::HeaderValue::from_static("1.0.0"));
        }
        if let ApiError::AccountLocked { retry_after_secs } = &self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                retry_after_secs.to_string().parse().expect("valid header"),
            );
        }
        response.extensions_mut().insert(ErrorPayload {
            code: self.code(),
            message,
            field: self.field(),
            details: self.details(),
        });
        response
    }
}

impl From<ferry_store::StoreError> for ApiError {
    fn from(e: ferry_store::StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<ferry_core::Invalid> for ApiError {
    fn from(e: ferry_core::Invalid) -> Self {
        ApiError::BadRequest {
            code: e.code,
            message: e.message,
            field: Some(e.field.to_string()),
        }
    }
}

impl From<ferry_blob::BlobError> for ApiError {
    fn from(e: ferry_blob::BlobError) -> Self {
        match e {
            ferry_blob::BlobError::Body(_) => ApiError::BodyRead,
            ferry_blob::BlobError::TooLarge { limit } => ApiError::PayloadTooLarge { limit },
            other => ApiError::Internal(other.into()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ferry_store::DbError> for ApiError {
    fn from(e: ferry_store::DbError) -> Self {
        ApiError::Internal(e.into())
    }
}
