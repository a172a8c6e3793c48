//! Download links: creating, listing and revoking them, a link's landing-page info, unlocking
//! a link with its password, and downloading through one.

use ferry_api as api;
use reqwest::{Method, StatusCode};

use crate::error::error_from;
use crate::{Client, Result};

impl Client {
    /// A temporary link to a file's content: a URL that needs no credentials for 4 hours and
    /// downloads as this client's user (for browsers, which cannot send a bearer token).
    pub async fn temporary_link(&self, file_id: &str) -> Result<api::TemporaryLink> {
        Self::send(self.request(Method::POST, &format!("/files/{file_id}/temporary-link"))).await
    }

    /// Creates a download link for a file.
    pub async fn create_link(&self, file_id: &str, body: &api::CreateLink) -> Result<api::Link> {
        Self::send(self.json(
            Method::POST,
            &format!("/files/{file_id}/download-link"),
            body,
        ))
        .await
    }

    /// Creates a download link for a folder: its files can be listed and downloaded, one by
    /// one or as a zip, each counted on its own.
    pub async fn create_folder_link(
        &self,
        folder_id: &str,
        body: &api::CreateLink,
    ) -> Result<api::Link> {
        Self::send(self.json(
            Method::POST,
            &format!("/folders/{folder_id}/download-link"),
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

    /// One page of the caller's links (admins: everyone's), newest first. `state` is
    /// `active`, `expired`, `revoked` or `exhausted`.
    pub async fn list_my_links_page(
        &self,
        state: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<api::LinkList> {
        let mut q = crate::client::page_query(limit, cursor);
        if let Some(s) = state {
            q.push(("state", s.to_string()));
        }
        Self::send(self.request(Method::GET, "/links").query(&q)).await
    }

    /// All of the caller's links (admins: everyone's) in `state` (any when `None`), newest
    /// first (every page).
    pub async fn list_my_links(&self, state: Option<&str>) -> Result<api::LinkList> {
        let links = crate::all_pages(|cursor| async move {
            let page = self
                .list_my_links_page(state, Some(1000), cursor.as_deref())
                .await?;
            Ok((page.links, page.next_cursor))
        })
        .await?;
        Ok(api::LinkList {
            links,
            next_cursor: None,
        })
    }

    /// What a landing page needs to know of a link (no login, no password, nothing counted).
    /// `link` is the link's URL (`…/d/<token>`) or its token.
    pub async fn link_info(&self, link: &str) -> Result<api::LinkInfo> {
        let token = link_token(link);
        Self::send(
            self.http
                .get(format!("{}/links/{token}/info", self.base_url())),
        )
        .await
    }

    /// [`Client::link_info`] with the file's media metadata (`?fields=media`; GPS only when
    /// the link shows it). A link with a password needs the link access token set with
    /// [`Client::with_link_access`] (`401 link_password_required` otherwise).
    pub async fn link_info_with_media(&self, link: &str) -> Result<api::LinkInfo> {
        let token = link_token(link);
        let url = format!("{}/links/{token}/info", self.base_url());
        Self::send(
            self.with_access(self.http.get(url))
                .query(&[("fields", "media")]),
        )
        .await
    }

    /// One page (up to 1000 items) of the folder at `path` under a folder link's folder (`""`:
    /// that folder). `link` is the link's URL or its token.
    pub async fn link_items(
        &self,
        link: &str,
        path: &str,
        cursor: Option<&str>,
    ) -> Result<api::LinkItems> {
        self.link_items_fields(link, path, cursor, false).await
    }

    /// [`Client::link_items`] with each file's media metadata (`?fields=media`; GPS only
    /// when the link shows it).
    pub async fn link_items_with_media(&self, link: &str, path: &str) -> Result<api::LinkItems> {
        self.link_items_fields(link, path, None, true).await
    }

    async fn link_items_fields(
        &self,
        link: &str,
        path: &str,
        cursor: Option<&str>,
        media: bool,
    ) -> Result<api::LinkItems> {
        let token = link_token(link);
        let mut query = vec![("path", path.to_string()), ("limit", "1000".to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        if media {
            query.push(("fields", "media".to_string()));
        }
        let url = format!("{}/links/{token}/items", self.base_url());
        Self::send(self.with_access(self.http.get(url)).query(&query)).await
    }

    /// Saves what a link gives (its file, or a folder link's folder or `path` under it) into
    /// one of the caller's folders, counted as one download of every file. `link` is the
    /// link's URL or its token; a link access token set with [`Client::with_link_access`]
    /// goes along.
    pub async fn save_link(&self, link: &str, body: &api::SaveLink) -> Result<api::Resolved> {
        let token = link_token(link);
        Self::send(self.with_access(self.json(Method::POST, &format!("/links/{token}/save"), body)))
            .await
    }

    /// Unlocks a link with its password: a link access token for that link; use it with
    /// [`Client::with_link_access`]. `link` is the link's URL or its token.
    /// `401 invalid_link_password`, `429 too_many_attempts`.
    pub async fn unlock_link(&self, link: &str, password: &str) -> Result<api::LinkAccess> {
        let token = link_token(link);
        Self::send(
            self.http
                .post(format!("{}/links/{token}/unlock", self.base_url()))
                .json(&api::UnlockLink {
                    password: password.to_string(),
                }),
        )
        .await
    }

    /// Starts downloading through a download link: `url` is the link's absolute URL
    /// (`…/d/<token>`), requested without credentials, with extra headers (`Range`,
    /// `If-Range`...). Returns the response with its body unread, for streaming. Error statuses
    /// (other than `304`) are returned as errors (`410 link_revoked`, `link_expired`,
    /// `401 link_password_required`…). A link access token set with
    /// [`Client::with_link_access`] goes along as `X-Link-Access`.
    pub async fn link_content(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        let mut req = self.with_access(self.http.get(url));
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
        let res = self.with_access(self.http.head(url)).send().await?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        Err(error_from(status, b""))
    }

    fn with_access(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.link_access {
            Some(t) => req.header("x-link-access", t),
            None => req,
        }
    }

    /// Changes a download or folder link (`show_location`).
    pub async fn update_link(&self, link_id: &str, body: &api::UpdateLink) -> Result<api::Link> {
        Self::send(
            self.request(Method::PATCH, &format!("/links/{link_id}"))
                .json(body),
        )
        .await
    }

    /// Revokes a download link.
    pub async fn revoke_link(&self, link_id: &str) -> Result<()> {
        Self::send_empty(self.request(Method::DELETE, &format!("/links/{link_id}"))).await
    }
}

/// The token of a link's URL (`…/d/<token>` or an upload link's `…/s/<token>`, with or
/// without a query), or `link` itself.
pub fn link_token(link: &str) -> &str {
    let path = link.split(['?', '#']).next().unwrap_or(link);
    match path.rsplit_once("/d/").or_else(|| path.rsplit_once("/s/")) {
        Some((_, token)) => token.trim_end_matches('/'),
        None => path,
    }
}

/// The URL that downloads what a link gives: a landing page's `…/s/<token>` becomes
/// `…/d/<token>` (a folder link's zip); any other URL is returned as it is.
pub fn download_url(link: &str) -> String {
    match link.rsplit_once("/s/") {
        Some((base, token)) if !token.contains('/') => format!("{base}/d/{token}"),
        _ => link.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_pages_download_from_d() {
        assert_eq!(
            download_url("https://x.example/s/abc"),
            "https://x.example/d/abc"
        );
        assert_eq!(
            download_url("https://x.example/d/abc"),
            "https://x.example/d/abc"
        );
        assert_eq!(
            download_url("https://x.example/s/abc/more"),
            "https://x.example/s/abc/more"
        );
    }
}
