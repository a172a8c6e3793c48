//! A typed HTTP client for the Ferry v1 API, over the wire types of `ferry-api`. The CLI and
//! the API tests use it.
#![forbid(unsafe_code)]

pub mod disposition;

use bytes::Bytes;
use ferry_api as api;
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
}

impl ClientError {
    /// The error code, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.error.code),
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
        }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A downloaded body with its status and headers.
#[derive(Debug)]
pub struct Download {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A Ferry API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    /// A client for the server at `server_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(server_url: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", server_url.trim_end_matches('/')),
            token: None,
        }
    }

    /// A client for the server at `server_url` that sends its requests with `http` (for
    /// timeouts, a user agent, proxies...).
    pub fn with_http(server_url: &str, http: reqwest::Client) -> Client {
        Client {
            http,
            ..Client::new(server_url)
        }
    }

    /// The same client, sending `token` as its bearer token.
    pub fn with_token(&self, token: impl Into<String>) -> Client {
        Client {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    /// `http://host:port/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `path` (relative to `/api/v1`) with auth, for calls this type lacks.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let req = self.http.request(method, format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<T> {
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| ClientError::Unexpected {
                status,
                text: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        Err(error_from(status, &bytes))
    }

    async fn send_empty(req: RequestBuilder) -> Result<()> {
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(error_from(status, &bytes))
        }
    }

    fn json<B: Serialize>(&self, method: Method, path: &str, body: &B) -> RequestBuilder {
        self.request(method, path).json(body)
    }

    /// Logs in; returns the session (use [`Client::with_token`] with its token).
    pub async fn login(&self, login: &str, password: &str) -> Result<api::Session> {
        let body = api::LoginRequest {
            login: login.into(),
            password: password.into(),
        };
        Self::send(self.json(Method::POST, "/auth/session", &body)).await
    }

    /// Revokes the current token.
    pub async fn logout(&self) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, "/auth/session")).await
    }

    pub async fn me(&self) -> Result<api::User> {
        Self::send(self.request(Method::GET, "/me")).await
    }

    pub async fn create_user(&self, body: &api::CreateUser) -> Result<api::User> {
        Self::send(self.json(Method::POST, "/users", body)).await
    }

    pub async fn list_users(
        &self,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::UserList> {
        let q = page_query(limit, cursor);
        Self::send(self.request(Method::GET, "/users").query(&q)).await
    }

    pub async fn get_user(&self, id: &str) -> Result<api::User> {
        Self::send(self.request(Method::GET, &format!("/users/{id}"))).await
    }

    pub async fn update_user(&self, id: &str, body: &api::UpdateUser) -> Result<api::User> {
        Self::send(self.json(Method::PATCH, &format!("/users/{id}"), body)).await
    }

    pub async fn unlock_user(&self, id: &str) -> Result<api::User> {
        Self::send(self.request(Method::POST, &format!("/users/{id}/unlock"))).await
    }

    pub async fn create_folder(&self, name: &str, retention_days: i64) -> Result<api::Folder> {
        let body = api::CreateFolder {
            name: name.into(),
            retention_days: Some(retention_days),
            visibility: None,
        };
        Self::send(self.json(Method::POST, "/folders", &body)).await
    }

    pub async fn list_folders(&self, include_quota: bool) -> Result<api::FolderList> {
        Self::send(
            self.request(Method::GET, "/folders")
                .query(&[("include_quota", include_quota)]),
        )
        .await
    }

    /// One page of `GET /folders`.
    pub async fn list_folders_page(
        &self,
        include_quota: bool,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::FolderList> {
        let mut q: Vec<(&str, String)> = vec![("include_quota", include_quota.to_string())];
        if let Some(l) = limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(c) = cursor {
            q.push(("cursor", c.to_string()));
        }
        Self::send(self.request(Method::GET, "/folders").query(&q)).await
    }

    pub async fn get_folder(&self, id: &str) -> Result<api::Folder> {
        Self::send(self.request(Method::GET, &format!("/folders/{id}"))).await
    }

    pub async fn list_files(
        &self,
        folder_id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::FileList> {
        let q = page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/folders/{folder_id}/files"))
                .query(&q),
        )
        .await
    }

    /// Simple upload of `body` as `filename` into a folder.
    pub async fn upload(
        &self,
        folder_id: &str,
        filename: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<api::File> {
        Self::send(
            self.request(Method::POST, &format!("/folders/{folder_id}/files"))
                .query(&[("filename", filename)])
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(body),
        )
        .await
    }

    pub async fn get_file(&self, id: &str) -> Result<api::File> {
        Self::send(self.request(Method::GET, &format!("/files/{id}"))).await
    }

    /// Downloads a file's content with optional extra headers (`Range`, `If-None-Match`...).
    /// Any status is returned as is; only transport failures are errors.
    pub async fn download(&self, id: &str, headers: &[(&str, &str)]) -> Result<Download> {
        let mut req = self.request(Method::GET, &format!("/files/{id}/content"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await?;
        Ok(Download {
            status: res.status(),
            headers: res.headers().clone(),
            body: res.bytes().await?,
        })
    }

    /// Starts downloading a file's content with extra headers (`Range`, `If-Range`...) and
    /// returns the response with its body unread, for streaming. Error statuses (other than
    /// `304`) are returned as errors.
    pub async fn content(&self, id: &str, headers: &[(&str, &str)]) -> Result<reqwest::Response> {
        let mut req = self.request(Method::GET, &format!("/files/{id}/content"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await?;
        let status = res.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(res);
        }
        let bytes = res.bytes().await?;
        Err(error_from(status, &bytes))
    }

    /// Deletes a file: `Some(file)` when the folder holds it, `None` when it is gone.
    pub async fn delete_file(&self, id: &str) -> Result<Option<api::File>> {
        let res = self
            .request(Method::DELETE, &format!("/files/{id}"))
            .send()
            .await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        match status {
            StatusCode::NO_CONTENT => Ok(None),
            s if s.is_success() => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|_| ClientError::Unexpected {
                        status,
                        text: String::from_utf8_lossy(&bytes).into_owned(),
                    })
            }
            _ => Err(error_from(status, &bytes)),
        }
    }
}

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

    pub async fn abort_upload(&self, upload_id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/uploads/{upload_id}"))).await
    }
}

impl Client {
    /// Creates a download link for a file.
    pub async fn create_link(&self, file_id: &str, body: &api::CreateLink) -> Result<api::Link> {
        Self::send(self.json(
            Method::POST,
            &format!("/files/{file_id}/download-link"),
            body,
        ))
        .await
    }

    /// A file's download links.
    pub async fn list_links(&self, file_id: &str) -> Result<api::LinkList> {
        Self::send(self.request(Method::GET, &format!("/files/{file_id}/links"))).await
    }

    /// Starts downloading through a download link: `url` is the link's absolute URL
    /// (`…/d/<token>`), requested without credentials, with extra headers (`Range`,
    /// `If-Range`...). Returns the response with its body unread, for streaming. Error statuses
    /// (other than `304`) are returned as errors (`410 link_revoked`, `link_expired`, …).
    pub async fn link_content(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        let mut req = self.http.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await?;
        let status = res.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(res);
        }
        let bytes = res.bytes().await?;
        Err(error_from(status, &bytes))
    }

    /// `HEAD` of a download link's URL: what a download would get (size, `ETag`, name), with
    /// nothing counted. Errors as for a download (`410 link_exhausted`, …), without a body.
    pub async fn link_head(&self, url: &str) -> Result<reqwest::Response> {
        let res = self.http.head(url).send().await?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        Err(error_from(status, b""))
    }

    /// Revokes a download link.
    pub async fn revoke_link(&self, link_id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/links/{link_id}"))).await
    }
}

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

    /// Restores a held file.
    pub async fn restore_file(&self, id: &str) -> Result<api::File> {
        Self::send(self.request(Method::POST, &format!("/files/{id}/restore"))).await
    }
}

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

/// `limit` and `cursor` query parameters, where given.
fn page_query(limit: Option<i64>, cursor: Option<&str>) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(l) = limit {
        q.push(("limit", l.to_string()));
    }
    if let Some(c) = cursor {
        q.push(("cursor", c.to_string()));
    }
    q
}

fn error_from(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<api::ErrorBody>(bytes) {
        Ok(body) => ClientError::Api { status, body },
        Err(_) => ClientError::Unexpected {
            status,
            text: String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}
