//! Versions: replacing a file's content, and its list of versions (download, restore, delete).

use ferry_api as api;
use reqwest::Method;
use reqwest::header;

use crate::client::page_query;
use crate::{Client, Result};

impl Client {
    /// One page of a file's versions, newest first (the current one included).
    pub async fn versions(
        &self,
        file_id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::FileVersionList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/files/{file_id}/versions"))
                .query(&q),
        )
        .await
    }

    /// Starts downloading version `n` of a file, like [`Client::content`]: the response with
    /// its body unread; error statuses (other than `304`) as errors.
    pub async fn version_content(
        &self,
        file_id: &str,
        n: i64,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        Self::stream(
            self.request(
                Method::GET,
                &format!("/files/{file_id}/versions/{n}/content"),
            ),
            headers,
        )
        .await
    }

    /// Makes version `n`'s content current again, as a new version.
    pub async fn restore_version(&self, file_id: &str, n: i64) -> Result<api::File> {
        Self::send(self.request(
            Method::POST,
            &format!("/files/{file_id}/versions/{n}/restore"),
        ))
        .await
    }

    /// Deletes an old version (`409 current_version` for the current one).
    pub async fn delete_version(&self, file_id: &str, n: i64) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/files/{file_id}/versions/{n}")))
            .await
    }

    /// Replaces a file's content with `body`, as its next version. `if_match` (the file's
    /// ETag `"r<revision>"` or its content's `"<sha256>"`) refuses with `412
    /// precondition_failed` when the file changed meanwhile.
    pub async fn put_content(
        &self,
        file_id: &str,
        body: impl Into<reqwest::Body>,
        if_match: Option<&str>,
    ) -> Result<api::File> {
        let mut req = self
            .request(Method::PUT, &format!("/files/{file_id}/content"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(body);
        if let Some(tag) = if_match {
            req = req.header(header::IF_MATCH, tag);
        }
        Self::send(req).await
    }
}
