//! Download links: creating, listing and revoking them, and downloading through one.

use ferry_api as api;
use reqwest::{Method, StatusCode};

use crate::error::error_from;
use crate::{Client, Result};

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

    /// All of a file's download links, newest first (every page).
    pub async fn list_links(&self, file_id: &str) -> Result<api::LinkList> {
        let links = crate::all_pages(|cursor| async move {
            let page = self
                .list_links_page(file_id, Some(1000), cursor.as_deref())
                .await?;
            Ok((page.links, page.next_cursor))
        })
        .await?;
        Ok(api::LinkList {
            links,
            next_cursor: None,
        })
    }

    /// One page of a file's links, newest first.
    pub async fn list_links_page(
        &self,
        file_id: &str,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::LinkList> {
        let q = crate::client::page_query(limit, cursor);
        Self::send(
            self.request(Method::GET, &format!("/files/{file_id}/links"))
                .query(&q),
        )
        .await
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
