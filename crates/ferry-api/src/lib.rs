//! The Ferry v1 wire types, shared by the server (which documents them in OpenAPI) and the
//! client. Field names and shapes follow `docs/api-contract.md` to the letter.
#![forbid(unsafe_code)]

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// Every non-2xx response body (except 304).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `not_found`, `quota_exceeded`.
    pub code: String,
    /// For humans; may change between versions.
    pub message: String,
    /// The `X-Request-Id` of the failed request.
    pub request_id: String,
    /// The offending input, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Structured extra data, e.g. `missing_parts`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// `POST /auth/session`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

/// A new access token.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_at: String,
    pub user: UserSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
    pub id: String,
    pub login: String,
    pub name: String,
    /// `user` or `admin`.
    pub role: String,
}

/// Storage use against a limit (`null` = unlimited).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Quota {
    pub limit_bytes: Option<i64>,
    pub used_bytes: i64,
}

/// A user as `GET /me` and the admin endpoints show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: String,
    pub login: String,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    /// Whether too many failed logins locked the account right now.
    pub locked: bool,
    pub quota: Quota,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /users` (admin).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateUser {
    /// 1..=128 letters, digits or `.@_+-`.
    #[schema(min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9.@_+-]+$")]
    pub login: String,
    /// 8..=1024 bytes.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
    /// At most 255 bytes, no control characters.
    #[serde(default)]
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
    /// `user` (default) or `admin`.
    #[serde(default)]
    #[schema(pattern = "^(user|admin)$")]
    pub role: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub quota_bytes: Option<i64>,
}

/// `PATCH /users/{id}` (admin). Absent fields are left as they are; `quota_bytes: null`
/// removes the quota.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(user|admin)$")]
    pub role: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub quota_bytes: Option<Option<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// Distinguishes a field that is present but `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
    pub next_cursor: Option<String>,
}

/// Who owns a folder or file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    pub id: String,
    pub login: String,
}

/// `POST /folders`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateFolder {
    /// 1..=255 bytes of UTF-8; no `/`, `\`, control or invisible formatting characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\\\x00-\x1f\x7f-\x9f\s.\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff][^/\\\x00-\x1f\x7f-\x9f\s\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub name: String,
    /// 0..=3650. 0 deletes files at once; N holds deleted files for N days.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3650)]
    pub retention_days: Option<i64>,
    /// Only `private` for now.
    #[serde(default)]
    #[schema(pattern = "^private$")]
    pub visibility: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub visibility: String,
    pub retention_days: i64,
    pub owner: Owner,
    /// What the caller may do here: `read`, `write`, `share`, `manage`.
    pub permissions: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Only with `include_quota=true`: the owner's limit and this folder's use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FolderList {
    pub folders: Vec<Folder>,
    pub next_cursor: Option<String>,
}

/// Where a file stands in its lifecycle.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Retention {
    /// `active` or `held`.
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
    pub size: i64,
    pub checksum_sha256: String,
    pub mime_type: String,
    pub version: i64,
    pub owner: Owner,
    pub created_at: String,
    pub updated_at: String,
    pub retention: Retention,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FileList {
    pub files: Vec<File>,
    pub next_cursor: Option<String>,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// `POST /uploads`: start a resumable upload.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreateUpload {
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
    /// `rename` (default) or `fail`: `fail` answers `409 name_conflict` when a live file of
    /// that name exists, at creation and again at completion.
    #[serde(default)]
    #[schema(pattern = "^(rename|fail)$")]
    pub on_conflict: Option<String>,
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
    pub expires_at: String,
    /// `open`, `completing`, `completed`, `failed`, `aborted` or `expired`.
    pub status: String,
    pub received_parts: Vec<i64>,
    pub bytes_received: i64,
    pub parts: Vec<UploadPart>,
    /// The whole-file checksum declared by the client, if any.
    pub checksum_sha256: Option<String>,
    /// Set once completed.
    pub file_id: Option<String>,
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
    pub file_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkList {
    pub links: Vec<Link>,
}

/// What an audit event is about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// One audit event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub time: String,
    /// Who did it; null for anonymous (failed logins, link downloads, the system).
    pub actor: Option<Owner>,
    pub action: String,
    pub target: Target,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventList {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
}

/// `GET /audit/verify`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    /// True when every event's hash matches its content and predecessor.
    pub ok: bool,
    /// Events checked (up to and including the broken one).
    pub checked: u64,
    /// The first event whose hash does not match, if any.
    pub broken_event_id: Option<String>,
}

/// `POST /webhooks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// `https://` and a public address (unless the server allows private targets).
    #[schema(pattern = "^https?://[a-z0-9.-]+(:[0-9]+)?(/.*)?$")]
    pub url: String,
    /// Audit actions to receive (`upload.completed`, `link.downloaded`, …) or `["*"]` for all.
    #[schema(min_items = 1, max_items = 100)]
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `PATCH /webhooks/{id}`. Absent fields are left as they are; `description: null` removes
/// the description; `active: true` re-enables a disabled webhook (and forgets its failures).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct UpdateWebhook {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^https?://[a-z0-9.-]+(:[0-9]+)?(/.*)?$")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_items = 1, max_items = 100)]
    pub events: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A webhook subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Subscribed actions, or `["*"]`.
    pub events: Vec<String>,
    /// The signing secret (`whsec_…`): only in the answers to create and rotate-secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// False once disabled (by its owner, or after too many failed deliveries in a row).
    pub active: bool,
    pub created_at: String,
    #[serde(default)]
    pub description: Option<String>,
    pub owner: Owner,
    pub updated_at: String,
    /// When the webhook was last disabled, while it is.
    #[serde(default)]
    pub disabled_at: Option<String>,
    /// Deliveries given up (`dead`) in a row since the last successful one.
    #[serde(default)]
    pub consecutive_failures: i64,
    /// Until then deliveries are signed with the previous secret too (after a rotation).
    #[serde(default)]
    pub previous_secret_expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
    pub next_cursor: Option<String>,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookAttempt {
    /// 1, 2, … for this delivery.
    pub attempt: i64,
    pub time: String,
    /// The receiver's HTTP status; null when no response arrived.
    pub status_code: Option<i64>,
    /// Until the response headers (or the failure).
    pub latency_ms: Option<i64>,
    /// The first KiB of the response body.
    pub response_excerpt: Option<String>,
    /// Why the attempt failed without a response (timeout, refused, forbidden target…).
    pub error: Option<String>,
}

/// One event sent (or to be sent) to one webhook.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    /// The `x-share-delivery` header.
    pub id: String,
    pub webhook_id: String,
    /// The event's id (`evt_…`), the same on every attempt.
    pub event_id: String,
    /// The event's type (`x-share-event`).
    pub event_type: String,
    /// `pending`, `delivering`, `succeeded`, `failed` (a retry is scheduled) or `dead`.
    pub status: String,
    /// Attempts made so far.
    pub attempt_count: i64,
    /// When the next attempt is due (pending and failed deliveries).
    pub next_attempt_at: Option<String>,
    /// The last attempt's HTTP status, latency, response excerpt and error.
    pub status_code: Option<i64>,
    pub latency_ms: Option<i64>,
    pub response_excerpt: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The request body sent on every attempt.
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttempt>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryList {
    pub deliveries: Vec<WebhookDelivery>,
    pub next_cursor: Option<String>,
}
