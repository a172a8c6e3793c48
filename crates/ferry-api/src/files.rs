//! Files: a published file, its retention state, and file listings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::Owner;

/// Where a file stands in its lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Retention {
    /// `active` or `held` (a trashed file is `404` everywhere but the trash).
    pub state: String,
    pub held_until: Option<String>,
    /// When the file's `ttl` ends, if it has one.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct File {
    pub id: String,
    pub folder_id: String,
    pub name: String,
    /// From the caller's root, e.g. `/Partner deliveries/2026/report.pdf`.
    pub path: String,
    pub description: String,
    pub tags: Vec<String>,
    /// When the client said the file was last modified, if it did.
    pub client_modified_at: Option<String>,
    /// Whether the caller marked it as a favorite.
    pub favorite: bool,
    pub size: i64,
    pub checksum_sha256: String,
    pub mime_type: String,
    pub version: i64,
    pub owner: Owner,
    pub created_at: String,
    pub updated_at: String,
    pub retention: Retention,
    /// The upload link the file came through, with the uploader's name and e-mail as they
    /// gave them; null for files added otherwise.
    #[serde(default)]
    pub uploaded_via_link: Option<UploadedViaLink>,
    /// What the virus scanner said of the current content.
    #[serde(default)]
    pub scan: Scan,
    /// With `?fields=media`: what the content says of itself (images: dimensions, EXIF time,
    /// camera, GPS; audio: tags and duration). Absent otherwise, for types that carry none and
    /// when nothing could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Box<Media>>,
}

/// Media metadata read from a file's content (`GET /files/{id}?fields=media`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Media {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// EXIF `DateTimeOriginal` as the camera wrote it (`2026:11:22 12:00:00`, its local time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_model: Option<String>,
    /// Where the picture was taken, in decimal degrees. Shown to link recipients only when
    /// the link was made with `show_location`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<Gps>,
    /// Audio: the title tag (ID3, Vorbis comment, MP4, RIFF INFO, APE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
    /// Audio: the track number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<u32>,
    /// Audio: the year of the recording date tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// Audio: how long it plays, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
}

/// A position in decimal degrees (north and east positive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
}

/// A file's virus scan (`docs/content.md`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Scan {
    /// `pending`, `clean`, `infected` (content and links answer `403 file_infected`),
    /// `error` (the last attempt failed; retried) or `skipped` (scanning is off).
    #[schema(example = "clean")]
    pub status: String,
    /// What matched, for infected content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// When the content was scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scanned_at: Option<String>,
}

/// Who brought a file through an upload link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadedViaLink {
    pub link_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileList {
    pub files: Vec<File>,
    pub next_cursor: Option<String>,
}

/// `PATCH /files/{id}`: what to change (absent fields stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4096)]
    pub description: Option<String>,
    /// At most 32 tags of 1..=64 characters; replaces the current tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

/// `POST /files/{id}/move` and `/copy`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct MoveFile {
    pub folder_id: String,
    /// A new name; default: the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `rename` (default: `name (1).ext`) or `fail` (`409 name_conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(rename|fail)$")]
    pub on_conflict: Option<String>,
    /// Check names, permissions and quota; change nothing (`200 {"ok": true}`).
    #[serde(default)]
    pub dry_run: bool,
}

/// One deleted file or folder in `GET /trash`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrashItem {
    pub id: String,
    /// `file` or `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub original_path: String,
    pub original_parent_id: Option<String>,
    /// Bytes of the current versions it holds.
    pub size: i64,
    pub deleted_at: String,
    pub deleted_by: Option<crate::users::Owner>,
    /// `trashed` or `held`.
    pub state: String,
    pub held_until: Option<String>,
    pub purge_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrashList {
    pub items: Vec<TrashItem>,
    pub next_cursor: Option<String>,
}

/// `POST /trash/{id}/restore`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct RestoreItem {
    /// Restore here instead of the original place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `rename` (default) or `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(rename|fail)$")]
    pub on_conflict: Option<String>,
}

/// `GET /resolve?path=`: what a path names.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Resolved {
    /// `file` or `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<File>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<crate::folders::Folder>,
}

/// One version of a file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileVersion {
    pub version: i64,
    pub size: i64,
    pub checksum_sha256: String,
    pub created_at: String,
    pub created_by: Option<Owner>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileVersionList {
    pub versions: Vec<FileVersion>,
    pub next_cursor: Option<String>,
}

/// What a file move answers with `200`: the moved file, or for a dry run `{"ok": true}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum FileMoveResult {
    Moved(Box<File>),
    DryRun(crate::folders::DryRun),
}

/// What a restore from the trash brings back: a file or a folder.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum RestoredItem {
    File(File),
    Folder(crate::folders::Folder),
}

/// `GET /search`: hits in name order, each `{"type", "file"|"folder"}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<Resolved>,
    pub next_cursor: Option<String>,
}

/// `POST /batch/delete` and `POST /batch/restore`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// File and folder ids (trash item ids for restore), 1..=1000.
    pub items: Vec<String>,
}

/// The outcome of one item of a batch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchResult {
    pub id: String,
    /// The HTTP status the single request would have had.
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<BatchError>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchResults {
    pub results: Vec<BatchResult>,
}

/// `POST /files/{file_id}/temporary-link`: a short-lived URL to the file's content that needs
/// no credentials (for a browser's `<a href>`), downloading as the user who asked for it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TemporaryLink {
    /// Absolute: `GET` it with no credentials for the file's content (same `Range`, `ETag`
    /// and audit as `GET /files/{file_id}/content`).
    pub url: String,
    /// When the URL stops working (4 hours after it was made).
    pub expires_at: String,
}
