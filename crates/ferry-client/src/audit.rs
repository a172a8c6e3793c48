//! The audit log: searching, exporting and verifying it.

use ferry_api as api;
use reqwest::Method;

use crate::error::error_from;
use crate::{Client, Result};

impl Client {
    /// Searches the audit log; `query` holds the filters (`actor`, `action`, `range`, …).
    pub async fn audit_events(&self, query: &[(&str, &str)]) -> Result<api::EventList> {
        Self::send(self.request(Method::GET, "/audit/events").query(query)).await
    }

    /// Re-walks the audit chain (admins).
    pub async fn audit_verify(&self) -> Result<api::AuditVerification> {
        Self::send(self.request(Method::GET, "/audit/verify")).await
    }

    /// Starts the streamed export of the audit log (`format=csv` or `format=ndjson` in
    /// `query`, with the same filters as [`Client::audit_events`]); returns the response with
    /// its body unread. Error statuses are returned as errors.
    pub async fn audit_export(&self, query: &[(&str, &str)]) -> Result<reqwest::Response> {
        let res = self
            .request(Method::GET, "/audit/events")
            .query(query)
            .send()
            .await?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let bytes = res.bytes().await?;
        Err(error_from(status, &bytes))
    }
}
