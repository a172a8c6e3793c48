//! The [`Client`] itself: where the server is, which token it sends, and the request machinery
//! (building authenticated requests, reading JSON answers and error bodies) that every
//! resource's calls share.

use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ClientError, Result, error_from};

/// A Ferry API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    /// Also used directly for URLs outside `/api/v1` that need no credentials (download links).
    pub(crate) http: reqwest::Client,
    base: String,
    token: Option<String>,
    /// A link access token sent as `X-Link-Access` with downloads through links.
    pub(crate) link_access: Option<String>,
    /// An upload link's token, sent as `X-Link-Token` instead of credentials.
    pub(crate) link_token: Option<String>,
}

impl Client {
    /// A client for the server at `server_url` (e.g. `http://127.0.0.1:8080`).
    pub fn new(server_url: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", server_url.trim_end_matches('/')),
            token: None,
            link_access: None,
            link_token: None,
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

    /// The same client, sending `token` (from [`Client::unlock_link`]) as `X-Link-Access` with
    /// its downloads through links ([`Client::link_content`], [`Client::link_head`]).
    pub fn with_link_access(&self, token: impl Into<String>) -> Client {
        Client {
            link_access: Some(token.into()),
            ..self.clone()
        }
    }

    /// The same client, uploading through the upload link `link` (its URL or token): its
    /// resumable-upload calls send `X-Link-Token` (and `X-Link-Access`, when set) instead of
    /// credentials.
    pub fn with_upload_link(&self, link: &str) -> Client {
        Client {
            link_token: Some(crate::links::link_token(link).to_string()),
            token: None,
            ..self.clone()
        }
    }

    /// `http://host:port/api/v1`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to `path` (relative to `/api/v1`) with auth, for calls this type lacks.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut req = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(link) = &self.link_token {
            req = req.header("X-Link-Token", link);
            if let Some(access) = &self.link_access {
                req = req.header("X-Link-Access", access);
            }
        }
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Sends `req`; a 2xx body as `T`, anything else as an error.
    pub(crate) async fn send<T: DeserializeOwned>(req: RequestBuilder) -> Result<T> {
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

    /// Sends `req` for its status only; the body of a 2xx answer is ignored.
    pub(crate) async fn send_empty(req: RequestBuilder) -> Result<()> {
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(error_from(status, &bytes))
        }
    }

    /// A request to `path` with auth and `body` as JSON.
    pub(crate) fn json<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> RequestBuilder {
        self.request(method, path).json(body)
    }
}

/// `limit` and `cursor` query parameters, where given.
pub(crate) fn page_query(limit: Option<i64>, cursor: Option<&str>) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(l) = limit {
        q.push(("limit", l.to_string()));
    }
    if let Some(c) = cursor {
        q.push(("cursor", c.to_string()));
    }
    q
}

/// Every item of a paged list: `fetch(cursor)` returns one page (its items and the next
/// cursor); pages are fetched until the cursor ends (or repeats, which a server must not do).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>)>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = fetch(cursor.clone()).await?;
        items.extend(page);
        match next {
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => return Ok(items),
        }
    }
}
