//! Archives: a folder, or a list of files and folders, as one zip (streamed, resumable with
//! `Range` and `If-Range`).

use ferry_api as api;
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// Starts downloading a folder as a zip with extra headers (`Range`, `If-Range`...) and
    /// returns the response with its body unread. Error statuses (other than `304`) are
    /// returned as errors.
    pub async fn folder_archive(
        &self,
        folder_id: &str,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        Self::stream(
            self.request(Method::GET, &format!("/folders/{folder_id}/archive")),
            headers,
        )
        .await
    }

    /// Starts downloading files and folders (`fil_…`, `fld_…`) as one zip; as
    /// [`Client::folder_archive`].
    pub async fn archive(
        &self,
        items: &[String],
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response> {
        Self::stream(
            self.request(Method::POST, "/archives")
                .json(&api::ArchiveRequest {
                    items: items.to_vec(),
                }),
            headers,
        )
        .await
    }
}
