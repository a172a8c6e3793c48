//! Resumable uploads: creating a session, its parts, the receipt of a part, completion.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /uploads`: start a resumable upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateUpload {
    /// The folder to upload into. Absent (or empty) with `X-Link-Token`: an upload link's
    /// uploads go into its folder.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub folder_id: String,
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub filename: String,
    /// Total size in bytes (0 is a valid empty file).
    #[schema(minimum = 0)]
    pub size: i64,
    /// The whole file's SHA-256 (64 lowercase hex); may instead be given at completion.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub checksum_sha256: Option<String>,
    /// Wished part size, 5 MiB..=5 GiB; the server picks 64 MiB (or more, to stay within
    /// 10,000 parts) otherwise.
    #[serde(default)]
    #[schema(minimum = 5242880, maximum = 5368709120_i64)]
    pub part_size: Option<i64>,
    /// `rename` (default), `fail` or `new_version`: `fail` answers `409 name_conflict` when
    /// a live file of that name exists, at creation and again at completion; `new_version`
    /// makes the upload the next version of that file (its id stays).
    #[serde(default)]
    #[schema(pattern = "^(rename|fail|new_version)$")]
    pub on_conflict: Option<String>,
    /// Subfolders of `folder_id` to put the file in, e.g. `2026/reports`; missing ones are
    /// created (no `..`, no empty segments, at most 64 levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 16384)]
    pub relative_path: Option<String>,
    /// When the file was last modified on the client (RFC 3339); kept as the file's
    /// `client_modified_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    /// Through an upload link: the uploader's name, as they give it (at most 100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub uploader_name: Option<String>,
    /// Through an upload link: the uploader's e-mail, as they give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 254)]
    pub uploader_email: Option<String>,
}

/// One part to send.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadPart {
    pub part_no: i64,
    pub offset: i64,
    pub size: i64,
    /// Where to `PATCH` it (relative to the server).
    pub url: String,
}

/// A resumable upload session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Upload {
    pub upload_id: String,
    pub folder_id: String,
    pub filename: String,
    pub size: i64,
    pub part_size: i64,
    pub part_count: i64,
    /// When the upload was started (`GET /uploads` lists the newest first).
    #[serde(default)]
    #[schema(required = true)]
    pub created_at: String,
    /// Until then it takes parts; then it expires and its reserved space is released.
    pub expires_at: String,
    /// `open`, `completing`, `completed`, `failed`, `aborted` or `expired`.
    pub status: String,
    pub received_parts: Vec<i64>,
    /// Bytes durably received: the received parts' sizes (a tus upload: its offset).
    pub bytes_received: i64,
    pub parts: Vec<UploadPart>,
    /// The whole-file checksum declared by the client, if any.
    pub checksum_sha256: Option<String>,
    /// Set once completed.
    pub file_id: Option<String>,
}

/// `GET /uploads`: a page of the caller's uploads, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadList {
    pub uploads: Vec<Upload>,
    pub next_cursor: Option<String>,
}

/// `PATCH /uploads/{id}/parts/{n}`: the part as stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartReceipt {
    pub part_no: i64,
    pub size: i64,
    /// SHA-256 of the part's bytes, computed by the server.
    pub checksum_sha256: String,
}

/// `POST /uploads/{id}/complete`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CompleteUpload {
    /// The parts the client sent (all of 1..=part_count).
    #[serde(default)]
    pub parts: Option<Vec<i64>>,
    /// The whole file's SHA-256; required here unless given at creation.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub checksum_sha256: Option<String>,
}
