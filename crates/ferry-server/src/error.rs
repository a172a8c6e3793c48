//! The JSON door's error: an application error ([`ferry_app::Error`]) or one of the few
//! failures only HTTP has (a wrong content type, an unsatisfiable range, tus' own codes).
//! `status()` is one exhaustive match; the body is rendered with the request id by the
//! request-context middleware (`http::context`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ferry_app::Error;
use serde_json::Value;

/// Everything a handler can answer with instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case's answer.
    #[error(transparent)]
    App(#[from] Error),
    #[error("Method not allowed.")]
    MethodNotAllowed,
    #[error("Content-Type must be {expected}.")]
    UnsupportedContentType { expected: &'static str },
    #[error("The requested range is not satisfiable for a file of {size} bytes.")]
    RangeNotSatisfiable { size: u64 },
    #[error("The request body did not arrive in time.")]
    RequestTimeout,
    #[error("A tus PATCH needs Content-Type: application/offset+octet-stream.")]
    TusContentType,
    #[error("This server speaks tus 1.0.0 (Tus-Resumable: 1.0.0).")]
    TusVersion,
}

impl ApiError {
    /// A request the door cannot parse (`malformed_json`, …): the application's `Invalid`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::App(Error::bad_request(code, message))
    }

    /// A refused input naming its field (`invalid_query`, …).
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::App(Error::invalid(field, code, message))
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::App(Error::internal(e))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::App(e) => app_status(e),
            ApiError::UnsupportedContentType { .. } => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::TusContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TusVersion => StatusCode::PRECONDITION_FAILED,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::App(e) => e.code(),
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::UnsupportedContentType { .. } | ApiError::TusContentType => {
                "unsupported_content_type"
            }
            ApiError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::TusVersion => "unsupported_tus_version",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::App(e) => e.field(),
            ApiError::UnsupportedContentType { .. } => Some("Content-Type".into()),
            _ => None,
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            ApiError::App(e) => e.details(),
            _ => None,
        }
    }
}

/// The HTTP status of each application error: the JSON door's one mapping.
fn app_status(e: &Error) -> StatusCode {
    match e {
        Error::Invalid { .. } | Error::BodyRead => StatusCode::BAD_REQUEST,
        Error::PartSizeMismatch { .. }
        | Error::InvalidPartNumber { .. }
        | Error::InvalidParts { .. } => StatusCode::BAD_REQUEST,
        Error::Unauthorized
        | Error::InvalidCredentials
        | Error::TokenExpired
        | Error::DeviceWiped
        | Error::AccountDisabled
        | Error::AccountDeleted
        | Error::AccountExpired
        | Error::OtpRequired
        | Error::InvalidOtp
        | Error::CompanyInactive => StatusCode::UNAUTHORIZED,
        Error::AccountLocked { .. } => StatusCode::LOCKED,
        Error::Forbidden
        | Error::PermissionDenied
        | Error::InsufficientScope
        | Error::PolicyDenied(_) => StatusCode::FORBIDDEN,
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::NameConflict(_) | Error::Conflict(_) => StatusCode::CONFLICT,
        Error::FileHeld | Error::FileExpired | Error::FolderExpired => StatusCode::GONE,
        Error::CursorExpired => StatusCode::GONE,
        Error::FileNotHeld | Error::WebhookInactive => StatusCode::CONFLICT,
        Error::FileInfected { .. } => StatusCode::FORBIDDEN,
        Error::ScanPending => StatusCode::CONFLICT,
        Error::ThumbnailUnavailable | Error::PreviewUnavailable => StatusCode::NOT_FOUND,
        Error::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        Error::InvalidMove
        | Error::TooDeep { .. }
        | Error::OriginalParentMissing
        | Error::CurrentVersion => StatusCode::CONFLICT,
        Error::PayloadTooLarge { .. }
        | Error::QuotaExceeded { .. }
        | Error::FolderSizeLimit { .. }
        | Error::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UploadExpired => StatusCode::GONE,
        Error::UploadAlreadyCompleted
        | Error::UploadAborted
        | Error::UploadFailed
        | Error::UploadIncomplete { .. } => StatusCode::CONFLICT,
        Error::ChecksumMismatch { .. } | Error::PartChecksumMismatch => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        // 460 is tus' own "Checksum Mismatch"; only tus sends chunk digests.
        Error::ChunkChecksumMismatch => StatusCode::from_u16(460).expect("valid status"),
        Error::OffsetMismatch { .. } => StatusCode::CONFLICT,
        Error::LinkExpired | Error::LinkExhausted | Error::LinkRevoked => StatusCode::GONE,
        Error::LinkPasswordRequired | Error::InvalidLinkPassword => StatusCode::UNAUTHORIZED,
        Error::TooManyAttempts { .. } | Error::TooManyRequests { .. } => {
            StatusCode::TOO_MANY_REQUESTS
        }
        Error::WatermarkUnsupported => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Unavailable | Error::MailNotConfigured => StatusCode::SERVICE_UNAVAILABLE,
        Error::ResetTokenInvalid | Error::RegistrationTokenInvalid => StatusCode::BAD_REQUEST,
        Error::RegistrationClosed => StatusCode::FORBIDDEN,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
        let message = if let ApiError::App(Error::Internal(e)) = &self {
            // Logged once here with its chain; the client sees only the generic message.
            tracing::error!(error = format!("{e:#}"), "internal error");
            "Internal error.".to_string()
        } else {
            self.to_string()
        };
        let mut response = status.into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::RangeNotSatisfiable { size } => {
                headers.insert(
                    axum::http::header::CONTENT_RANGE,
                    format!("bytes */{size}").parse().expect("valid header"),
                );
            }
            ApiError::TusVersion => {
                headers.insert("tus-version", axum::http::HeaderValue::from_static("1.0.0"));
            }
            ApiError::App(
                Error::AccountLocked { retry_after_secs }
                | Error::TooManyAttempts { retry_after_secs }
                | Error::TooManyRequests { retry_after_secs },
            ) => {
                headers.insert(
                    axum::http::header::RETRY_AFTER,
                    retry_after_secs.to_string().parse().expect("valid header"),
                );
            }
            _ => {}
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

pub type ApiResult<T> = Result<T, ApiError>;

impl From<ferry_store::StoreError> for ApiError {
    fn from(e: ferry_store::StoreError) -> Self {
        ApiError::App(e.into())
    }
}

impl From<ferry_store::DbError> for ApiError {
    fn from(e: ferry_store::DbError) -> Self {
        ApiError::App(e.into())
    }
}

impl From<ferry_core::Invalid> for ApiError {
    fn from(e: ferry_core::Invalid) -> Self {
        ApiError::App(e.into())
    }
}

impl From<ferry_blob::BlobError> for ApiError {
    fn from(e: ferry_blob::BlobError) -> Self {
        ApiError::App(e.into())
    }
}
