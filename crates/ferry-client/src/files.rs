//! Files: listing a folder's files, simple uploads, metadata, content downloads, deleting (to
//! the trash or for good) and restoring.

use bytes::Bytes;
use ferry_api as api;
use reqwest::header::{self, HeaderMap};
use reqwest::{Method, StatusCode};

use crate::client::page_query;
use crate::error::error_from;
use crate::{Client, ClientError, Result};

/// A downloaded body with its status and headers.
#[derive(Debug)]
pub struct Download {
    /// The response's status, whatever it was (`200`, `206`, `304`, an error...).
    pub status: StatusCode,
    /// The response's headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Client {
    /// One page of a folder's files.
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

    /// One file's metadata.
    pub async fn get_file(&self, id: &str) -> Result<api::File> {
        Self::send(self.request(Method::GET, &format!("/files/{id}"))).await
    }

    /// One file's metadata with what its content says of itself (`?fields=media`: dimensions,
    /// EXIF time, camera and GPS, audio tags and duration; absent where there is none).
    pub async fn get_file_with_media(&self, id: &str) -> Result<api::File> {
        Self::send(
            self.request(Method::GET, &format!("/files/{id}"))
                .query(&[("fields", "media")]),
        )
        .await
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
        Self::stream(
            self.request(Method::GET, &format!("/files/{id}/content")),
            headers,
        )
        .await
    }

    /// Sends `req` with `headers` and returns the response with its body unread; error
    /// statuses (other than `304`) as errors.
    pub(crate) async fn stream(
        mut req: reqwest::RequestBuilder,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
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

    /// A thumbnail of a file (`xs`, `s`, `m`, `l`, `xl`): WebP, or JPEG with `jpeg`. Errors
    /// (`404 thumbnail_unavailable`, `403 file_infected`…) as errors.
    pub async fn thumbnail(&self, id: &str, size: &str, jpeg: bool) -> Result<Bytes> {
        let accept = if jpeg { "image/jpeg" } else { "image/webp" };
        let res = Self::stream(
            self.request(Method::GET, &format!("/files/{id}/thumbnails/{size}")),
            &[("accept", accept)],
        )
        .await?;
        Ok(res.bytes().await?)
    }

    /// Deletes a file for good at once, without the trash (`410 file_held` where a retention
    /// rule keeps it).
    pub async fn delete_file_permanently(&self, id: &str) -> Result<()> {
        Self::send_empty(
            self.request(Method::DELETE, &format!("/files/{id}"))
                .query(&[("permanent", true)]),
        )
        .await
    }

    /// Restores a held file.
    pub async fn restore_file(&self, id: &str) -> Result<api::File> {
        Self::send(self.request(Method::POST, &format!("/files/{id}/restore"))).await
    }
}
