//! Download and upload links: creating, showing and listing them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /files/{id}/download-link`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateLink {
    /// Seconds until the link expires: 1..=`links.max_expires_in_secs` (default 900).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub expires_in: Option<i64>,
    /// 1..=10000, or null/absent for unlimited.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    pub max_downloads: Option<i64>,
    /// Images only: deliver a copy with a visible mark naming the link.
    #[serde(default)]
    pub watermark: Option<bool>,
    /// 8..=256 characters: downloads need it (`POST /links/{token}/unlock` first). Stored as
    /// an Argon2id hash only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 256)]
    pub password: Option<String>,
    /// Download and folder links: recipients see the GPS position in media metadata
    /// (`GET /links/{token}/info?fields=media`, `GET /links/{token}/items?fields=media`).
    /// Default false: everything else of the media metadata, but not where a photo was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_location: Option<bool>,
}

/// `PATCH /links/{link_id}`: what to change of a download or folder link (absent fields stay).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateLink {
    /// Whether recipients see the GPS position in media metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_location: Option<bool>,
}

/// A download link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Link {
    pub id: String,
    /// Absolute, signed URL; anyone holding it can download (no login).
    pub url: String,
    pub expires_at: String,
    pub max_downloads: Option<i64>,
    /// `ceil(bytes_delivered / size)`.
    pub downloads_used: i64,
    pub bytes_delivered: i64,
    pub watermark: bool,
    pub created_at: String,
    /// `active`, `expired`, `exhausted` or `revoked`.
    pub status: String,
    /// The linked file (empty for folder and upload links).
    #[serde(default)]
    pub file_id: String,
    /// Downloads (uploads, for an upload link) need the link's password (a link access token).
    #[serde(default)]
    pub password_required: bool,
    /// `download` or `upload`.
    #[serde(default = "download_kind")]
    #[schema(pattern = "^(download|upload)$")]
    pub kind: String,
    /// Folder links: the linked folder; upload links: the folder uploads go into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    /// Upload links: at most this many files (null: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<i64>,
    /// Upload links: at most this many bytes in all (null: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<i64>,
    /// Upload links: files uploaded (uploads in progress included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_used: Option<i64>,
    /// Upload links: bytes uploaded (uploads in progress included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_used: Option<i64>,
    /// Upload links: each upload goes into a new subfolder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subfolder_per_upload: Option<bool>,
    /// Download and folder links: recipients see GPS positions in media metadata.
    #[serde(default)]
    pub show_location: bool,
}

fn download_kind() -> String {
    "download".into()
}

/// `POST /folders/{id}/upload-link`: a link through which anyone may upload into the folder
/// (and list or read nothing).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateUploadLink {
    /// Seconds until the link expires: 1..=`links.max_expires_in_secs` (default 900).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub expires_in: Option<i64>,
    /// 1..=10000 files, or null/absent for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub max_files: Option<i64>,
    /// The most bytes all uploads together may bring, or null/absent for unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_bytes: Option<i64>,
    /// 8..=256 characters: uploads need it (`POST /links/{token}/unlock` first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 256)]
    pub password: Option<String>,
    /// Put each upload into a new subfolder named from the time and the uploader's name.
    #[serde(default)]
    pub subfolder_per_upload: Option<bool>,
}

/// `GET /links/{token}/info`: what a landing page needs; no password needed, nothing counted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkInfo {
    /// `file`, `folder` or `upload`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(file|folder|upload)$")]
    pub kind: String,
    /// The file's name (a folder or upload link: its folder's name).
    pub name: String,
    /// The size of what a download delivers (the linked version's); absent for upload links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    pub expires_at: String,
    /// Whole downloads left; null when unlimited (and for upload links). A folder link: the
    /// downloads each of its files allows (what is left of each file is in its listing).
    pub downloads_left: Option<i64>,
    pub password_required: bool,
    #[serde(default)]
    pub watermark: bool,
    /// Upload links: files that may still be uploaded (null: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_left: Option<i64>,
    /// Upload links: bytes that may still be uploaded (null: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_left: Option<i64>,
    /// Upload links: the limit on files (null: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<i64>,
    /// Upload links: the limit on bytes (null: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_bytes: Option<i64>,
    /// How the company of the link's creator presents itself; absent when the creator
    /// belongs to no company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<crate::Branding>,
    /// File links with `?fields=media` (which needs what a download needs: the link access
    /// token of a link with a password): the file's media metadata, GPS only when the link
    /// shows it. Absent otherwise and when the file carries none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Box<crate::Media>>,
}

/// `POST /links/{token}/unlock`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UnlockLink {
    pub password: String,
}

/// A link access token: send it as `X-Link-Access` with `GET /d/{token}` (browsers get the
/// `ferry_link_access` cookie). Valid for this link only, until `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkAccess {
    pub link_access_token: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct LinkList {
    pub links: Vec<Link>,
    /// The cursor of the next page; null at the end.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A folder inside a folder link's listing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkFolderItem {
    pub name: String,
    /// Its path from the link's folder (`a/b`), for `?path=`.
    pub path: String,
    pub modified_at: String,
}

/// A file inside a folder link's listing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkFileItem {
    pub name: String,
    /// Its path from the link's folder (`a/b/report.pdf`).
    pub path: String,
    pub size: i64,
    pub checksum_sha256: String,
    pub mime_type: String,
    pub modified_at: String,
    /// Downloads of this file left through the link; null: unlimited.
    pub downloads_left: Option<i64>,
    /// Absolute URL that downloads it: `/d/{token}/{path}`.
    pub url: String,
    /// With `?fields=media`: the file's media metadata, GPS only when the link shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Box<crate::Media>>,
}

/// `GET /links/{token}/items`: one page of a folder link's folder, folders first, each by
/// name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkItems {
    /// The listed folder's path from the link's folder (`""`: the link's folder).
    pub path: String,
    pub folders: Vec<LinkFolderItem>,
    pub files: Vec<LinkFileItem>,
    /// The cursor of the next page; null at the end.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `POST /links/{token}/save`: add what a link gives to one of the caller's folders.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SaveLink {
    /// The caller's folder to save into (needs `write`).
    pub folder_id: String,
    /// Folder links: the file or folder under the link's folder to save (`a/b`; absent or
    /// empty: the link's folder). Ignored for file links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The copy's name; default: the original's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `rename` (default) or `fail` (`409 name_conflict`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(rename|fail)$")]
    pub on_conflict: Option<String>,
}
