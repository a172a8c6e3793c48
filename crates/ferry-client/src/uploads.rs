//! Resumable uploads: creating a session, sending parts, completing or aborting it.

use ferry_api as api;
use reqwest::header;
use reqwest::{Method, StatusCode};

use crate::client::page_query;
use crate::error::error_from;
use crate::{Client, ClientError, Result};

impl Client {
    /// Starts a resumable upload.
    pub async fn create_upload(&self, body: &api::CreateUpload) -> Result<api::Upload> {
        Self::send(self.json(Method::POST, "/uploads", body)).await
    }

    /// Sends one part; `content_digest` is an RFC 9530 header value to send with it.
    pub async fn put_part(
        &self,
        upload_id: &str,
        part_no: i64,
        body: impl Into<reqwest::Body>,
        content_digest: Option<&str>,
    ) -> Result<api::PartReceipt> {
        let mut req = self
            .request(
                Method::PATCH,
                &format!("/uploads/{upload_id}/parts/{part_no}"),
            )
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(body);
        if let Some(d) = content_digest {
            req = req.header("content-digest", d);
        }
        Self::send(req).await
    }

    /// Sends one part from a body of known length (e.g. a stream that reports progress),
    /// with an optional RFC 9530 `Content-Digest` header value.
    pub async fn put_part_sized(
        &self,
        upload_id: &str,
        part_no: i64,
        body: reqwest::Body,
        content_length: u64,
        content_digest: Option<&str>,
    ) -> Result<api::PartReceipt> {
        let mut req = self
            .request(
                Method::PATCH,
                &format!("/uploads/{upload_id}/parts/{part_no}"),
            )
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header(header::CONTENT_LENGTH, content_length)
            .body(body);
        if let Some(d) = content_digest {
            req = req.header("content-digest", d);
        }
        Self::send(req).await
    }

    /// One page of the caller's uploads, newest first. `status` is one status or a
    /// comma-separated list; `None` asks for the server's default (the unfinished ones:
    /// `open,completing`).
    pub async fn list_uploads(
        &self,
        status: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::UploadList> {
        let mut q = page_query(limit, cursor);
        if let Some(s) = status {
            q.push(("status", s.to_string()));
        }
        Self::send(self.request(Method::GET, "/uploads").query(&q)).await
    }

    /// An upload session as it stands (received parts, status...).
    pub async fn get_upload(&self, upload_id: &str) -> Result<api::Upload> {
        Self::send(self.request(Method::GET, &format!("/uploads/{upload_id}"))).await
    }

    /// Completes an upload: `Ok(Ok(file))` when published (201), `Ok(Err(upload))` while the
    /// server is still verifying (202).
    pub async fn complete_upload(
        &self,
        upload_id: &str,
        body: &api::CompleteUpload,
    ) -> Result<std::result::Result<api::File, api::Upload>> {
        let res = self
            .json(
                Method::POST,
                &format!("/uploads/{upload_id}/complete"),
                body,
            )
            .send()
            .await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        let unexpected = || ClientError::Unexpected {
            status,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        };
        match status {
            StatusCode::ACCEPTED => serde_json::from_slice(&bytes)
                .map(Err)
                .map_err(|_| unexpected()),
            s if s.is_success() => serde_json::from_slice(&bytes)
                .map(Ok)
                .map_err(|_| unexpected()),
            _ => Err(error_from(status, &bytes)),
        }
    }

    /// Aborts an upload; the parts received so far are discarded.
    pub async fn abort_upload(&self, upload_id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/uploads/{upload_id}"))).await
    }
}
