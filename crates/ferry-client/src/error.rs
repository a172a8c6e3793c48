//! What can go wrong talking to Ferry, and how a non-2xx response becomes a [`ClientError`].

use ferry_api as api;
use reqwest::StatusCode;

/// What can go wrong talking to Ferry.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error in the contract's format.
    #[error("{status}: {} ({}) [{}]", .body.error.message, .body.error.code, .body.error.request_id)]
    Api {
        status: StatusCode,
        body: api::ErrorBody,
    },
    /// The server answered with something that is not the contract's format.
    #[error("unexpected response {status}: {text}")]
    Unexpected { status: StatusCode, text: String },
    /// The request did not complete.
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The server took the work on as a task, and the task failed.
    #[error("task {} failed: {}", .0.id, .0.error.as_ref().map_or("", |e| e.message.as_str()))]
    TaskFailed(Box<api::Task>),
}

impl ClientError {
    /// The error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.error.code),
            ClientError::TaskFailed(task) => task.error.as_ref().map(|e| e.code.as_str()),
            _ => None,
        }
    }

    /// The HTTP status, where there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Unexpected { status, .. } => {
                Some(*status)
            }
            ClientError::Http(e) => e.status(),
            ClientError::TaskFailed(_) => None,
        }
    }
}

/// The result of every call.
pub type Result<T> = std::result::Result<T, ClientError>;

/// The error for a non-2xx response: the contract's error body if it is one, else the raw text.
pub(crate) fn error_from(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<api::ErrorBody>(bytes) {
        Ok(body) => ClientError::Api { status, body },
        Err(_) => ClientError::Unexpected {
            status,
            text: String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}
