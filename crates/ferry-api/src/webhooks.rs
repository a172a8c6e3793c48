//! Webhooks: subscriptions, their changes, and the deliveries with their attempts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::patch::present;
use crate::users::Owner;

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
