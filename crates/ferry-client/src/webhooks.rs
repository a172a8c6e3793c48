//! Webhooks: subscriptions, their deliveries, redelivery, pings and secret rotation.

use ferry_api as api;
use reqwest::Method;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// Registers a webhook; the answer carries its secret (shown only this once).
    pub async fn create_webhook(&self, body: &api::CreateWebhook) -> Result<api::Webhook> {
        Self::send(self.json(Method::POST, "/webhooks", body)).await
    }

    /// The caller's webhooks (admins: everyone's).
    pub async fn list_webhooks(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::WebhookList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/webhooks").query(&q)).await
    }

    /// One webhook (without its secret).
    pub async fn get_webhook(&self, id: &str) -> Result<api::Webhook> {
        Self::send(self.request(Method::GET, &format!("/webhooks/{id}"))).await
    }

    /// Changes a webhook (URL, events, description, active).
    pub async fn update_webhook(
        &self,
        id: &str,
        body: &api::UpdateWebhook,
    ) -> Result<api::Webhook> {
        Self::send(self.json(Method::PATCH, &format!("/webhooks/{id}"), body)).await
    }

    /// Deletes a webhook.
    pub async fn delete_webhook(&self, id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/webhooks/{id}"))).await
    }

    /// A page of a webhook's deliveries, newest first, with their attempts.
    pub async fn webhook_deliveries(
        &self,
        id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::WebhookDeliveryList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/webhooks/{id}/deliveries"))
                .query(&q),
        )
        .await
    }

    /// Schedules a delivery again (same body, same event id).
    pub async fn redeliver(&self, id: &str, delivery_id: &str) -> Result<api::WebhookDelivery> {
        Self::send(self.request(
            Method::POST,
            &format!("/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
        ))
        .await
    }

    /// Queues a `webhook.ping` event to this webhook.
    pub async fn ping_webhook(&self, id: &str) -> Result<api::WebhookDelivery> {
        Self::send(self.request(Method::POST, &format!("/webhooks/{id}/ping"))).await
    }

    /// Replaces the webhook's secret; the answer carries the new one (shown only this once).
    pub async fn rotate_webhook_secret(&self, id: &str) -> Result<api::Webhook> {
        Self::send(self.request(Method::POST, &format!("/webhooks/{id}/rotate-secret"))).await
    }
}
