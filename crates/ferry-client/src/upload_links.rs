//! Upload links (file requests): creating and listing them, and uploading through one (the
//! simple upload here; the resumable protocol with [`Client::with_upload_link`]).

use ferry_api as api;
use reqwest::Method;

use crate::{Client, Result};

/// Who says they are uploading through a link (both optional).
#[derive(Debug, Clone, Default)]
pub struct Uploader {
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Client {
    /// Creates an upload link on a folder.
    pub async fn create_upload_link(
        &self,
        folder_id: &str,
        body: &api::CreateUploadLink,
    ) -> Result<api::Link> {
        Self::send(self.json(
            Method::POST,
            &format!("/folders/{folder_id}/upload-link"),
            body,
        ))
        .await
    }

    /// One page of the caller's links of one kind (`download` or `upload`), newest first.
    pub async fn list_my_links_of_kind(
        &self,
        kind: &str,
        state: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::LinkList> {
        let mut q = crate::client::page_query(limit, cursor);
        q.push(("kind", kind.to_string()));
        if let Some(s) = state {
            q.push(("state", s.to_string()));
        }
        Self::send(self.request(Method::GET, "/links").query(&q)).await
    }

    /// Uploads `body` as `filename` through the upload link `link` (its URL or token), no
    /// login needed: the simple upload. Sends the link access token when the client has one.
    pub async fn upload_to_link(
        &self,
        link: &str,
        filename: &str,
        body: impl Into<reqwest::Body>,
        uploader: &Uploader,
    ) -> Result<api::File> {
        let token = crate::links::link_token(link);
        let mut req = self
            .http
            .post(format!("{}/links/{token}/files", self.base_url()))
            .query(&[("filename", filename)])
            .header("content-type", "application/octet-stream")
            .body(body);
        if let Some(name) = &uploader.name {
            req = req.query(&[("name", name)]);
        }
        if let Some(email) = &uploader.email {
            req = req.query(&[("email", email)]);
        }
        if let Some(access) = &self.link_access {
            req = req.header("X-Link-Access", access);
        }
        Self::send(req).await
    }
}
